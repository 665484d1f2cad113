from mmreid_instruct.registry import DATASETS
from .t2i_json_dataset import T2IJsonDataset


@DATASETS.register_module()
class ICFGPEDES(T2IJsonDataset):
    """ICFG-PEDES, text-based person search (Ding et al., 2021).

    Layout: ``ICFG-PEDES/imgs/{train,test}/...`` and
    ``ICFG-PEDES/ICFG-PEDES.json`` (also found as ``ICFG_PEDES.json``), with
    the schema of CUHK-PEDES. Expected: train 3,102 ids / 34,674 images;
    test 1,000 ids / 19,848 images. Evaluate with the T2I metric.

    Args:
        data_root (str): ``ICFG-PEDES`` or its parent.
        subset (str): ``'train'``, ``'query'`` (captions) or ``'gallery'``
            (images).
        **kwargs: Other arguments of :class:`T2IJsonDataset`
            (``pipeline``, ...).

    Example:
        The test images, each a gallery item without an instruction::

            images = ICFGPEDES('data', subset='gallery')
    """

    METAINFO = dict(dataset_name='icfg_pedes')
    ARCHIVE_NAMES = ('ICFG-PEDES', 'ICFG_PEDES')
    ANNOTATION_FILES = ('ICFG-PEDES.json', 'ICFG_PEDES.json')
