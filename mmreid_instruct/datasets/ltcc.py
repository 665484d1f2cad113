import re

from mmreid_instruct.registry import DATASETS
from .folder_reid_dataset import FolderReIDDataset


@DATASETS.register_module()
class LTCC(FolderReIDDataset):
    """LTCC, Long-Term Cloth-Changing ReID (Qian et al., ACCV 2020).

    Layout: ``LTCC_ReID/{train, query, test}`` (``test`` is the gallery)
    with names like ``001_1_c11_015833.png`` (pid, clothes number of that
    person, camera 1-12). ``clothes_id`` is ``pid * 1000 + clothes``, the
    same outfit in every subset. Expected: train 77 ids / 9,576 images,
    query 493, gallery 7,050. Evaluate both Market-style (general) and
    clothes-aware mode CC (clothes-changing). The ``info/`` lists of the
    archive are not needed.

    Args:
        data_root (str): ``LTCC_ReID`` or its parent.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        **kwargs: Other arguments of :class:`BenchmarkDataset` (``task``
            defaults to ``'cc'``, ``pipeline``, ...).

    Example:
        The queries; an image named ``010_3_c12_...`` has
        ``clothes_id == 10003``::

            query = LTCC('data', subset='query')
    """

    METAINFO = dict(dataset_name='ltcc')
    DEFAULT_TASK = 'cc'
    ARCHIVE_NAMES = ('LTCC_ReID', 'LTCC-ReID', 'ltcc')
    SUBSET_DIRS = dict(train='train', query='query', gallery='test')
    NAME_PATTERN = re.compile(
        r'(?P<pid>\d+)_(?P<clothes>\d+)_c(?P<camera>\d+)_.*\.\w+')
    NAME_EXAMPLE = '001_1_c11_015833.png'
