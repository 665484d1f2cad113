from mmreid_instruct.registry import DATASETS
from .folder_reid_dataset import FolderReIDDataset


@DATASETS.register_module()
class Market1501(FolderReIDDataset):
    """Market-1501 (Zheng et al., ICCV 2015).

    Layout: ``Market-1501-v15.09.15/{bounding_box_train, query,
    bounding_box_test}`` with names like ``0001_c1s1_001051_00.jpg`` (pid,
    camera 1-6). Gallery images of pid -1 are junk and dropped; pid 0
    (distractors) is kept. Expected: train 751 ids / 12,936 images, query
    3,368, gallery 15,913. Evaluate Market-style.

    Args:
        data_root (str): ``Market-1501-v15.09.15`` (or ``Market-1501``,
            ``market1501``) or its parent.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        **kwargs: Other arguments of :class:`BenchmarkDataset` (``task``
            defaults to ``'trad'``, ``pipeline``, ...).

    Example:
        The queries, camera ids from 0::

            query = Market1501('data', subset='query')
    """

    METAINFO = dict(dataset_name='market1501')
    ARCHIVE_NAMES = ('Market-1501-v15.09.15', 'Market-1501', 'market1501')
