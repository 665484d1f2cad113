import re

from mmreid_instruct.registry import DATASETS
from .folder_reid_dataset import FolderReIDDataset


@DATASETS.register_module()
class DukeMTMCReID(FolderReIDDataset):
    """DukeMTMC-reID (Zheng et al., ICCV 2017).

    Layout: ``DukeMTMC-reID/{bounding_box_train, query, bounding_box_test}``
    with names like ``0005_c2_f0046985.jpg`` (pid, camera 1-8). Expected:
    train 702 ids / 16,522 images, query 2,228, gallery 17,661. Evaluate
    Market-style.

    Args:
        data_root (str): ``DukeMTMC-reID`` or its parent.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        **kwargs: Other arguments of :class:`BenchmarkDataset` (``task``
            defaults to ``'trad'``, ``pipeline``, ...).

    Example:
        The gallery images (``bounding_box_test``)::

            gallery = DukeMTMCReID('data', subset='gallery')
    """

    METAINFO = dict(dataset_name='dukemtmc_reid')
    ARCHIVE_NAMES = ('DukeMTMC-reID', 'dukemtmc-reid', 'DukeMTMC_reID')
    NAME_PATTERN = re.compile(r'(?P<pid>\d+)_c(?P<camera>\d+)_.*\.\w+')
    NAME_EXAMPLE = '0005_c2_f0046985.jpg'
