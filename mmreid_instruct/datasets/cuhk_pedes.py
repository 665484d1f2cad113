from mmreid_instruct.registry import DATASETS
from .t2i_json_dataset import T2IJsonDataset


@DATASETS.register_module()
class CUHKPEDES(T2IJsonDataset):
    """CUHK-PEDES, text-based person search (Li et al., CVPR 2017).

    Layout: ``CUHK-PEDES/imgs/...`` and ``CUHK-PEDES/reid_raw.json``, a
    list of ``{"split", "captions", "file_path", "id"}`` (paths relative to
    ``imgs``, ids 1-based). Expected: train 11,003 ids / 34,054 images /
    68,108 captions; test 1,000 ids / 3,074 images / 6,156 captions.
    Evaluate with the T2I metric.

    Args:
        data_root (str): ``CUHK-PEDES`` or its parent.
        subset (str): ``'train'``, ``'query'`` (captions) or ``'gallery'``
            (images).
        **kwargs: Other arguments of :class:`T2IJsonDataset`
            (``test_split``, ``pipeline``, ...).

    Example:
        The test captions, each a query without an image::

            captions = CUHKPEDES('data', subset='query')
            assert captions.get_data_info(0)['img_path'] is None
    """

    METAINFO = dict(dataset_name='cuhk_pedes')
    ARCHIVE_NAMES = ('CUHK-PEDES', 'CUHK_PEDES', 'cuhk-pedes')
