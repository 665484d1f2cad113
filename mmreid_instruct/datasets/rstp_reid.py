from mmreid_instruct.registry import DATASETS
from .t2i_json_dataset import T2IJsonDataset


@DATASETS.register_module()
class RSTPReid(T2IJsonDataset):
    """RSTPReid, text-based person retrieval (Zhu et al., ACM MM 2021).

    Layout: ``RSTPReid/imgs/*.jpg`` (names like ``0000_c14_0031.jpg``) and
    ``RSTPReid/data_captions.json``, a list of ``{"id", "img_path",
    "captions", "split"}`` with splits ``train``, ``val`` and ``test``.
    Expected: 4,101 ids, 3,701 train / 200 val / 200 test. Evaluate with the
    T2I metric.

    Args:
        data_root (str): ``RSTPReid`` or its parent.
        subset (str): ``'train'``, ``'query'`` (captions) or ``'gallery'``
            (images).
        **kwargs: Other arguments of :class:`T2IJsonDataset`
            (``test_split``, ``pipeline``, ...).

    Example:
        The captions of the validation split, as queries::

            captions = RSTPReid('data', subset='query', test_split='val')
    """

    METAINFO = dict(dataset_name='rstp_reid')
    ARCHIVE_NAMES = ('RSTPReid', 'RSTPReID', 'rstp_reid')
    ANNOTATION_FILES = ('data_captions.json', )
    PATH_KEY = 'img_path'
