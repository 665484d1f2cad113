import re
from typing import Dict

from mmreid_instruct.registry import DATASETS
from .folder_reid_dataset import FolderReIDDataset
from .utils import camera_index, outfit_id, parse_name


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
        >>> LTCC('data', subset='query').get_data_info(0)['clothes_id']
        1001
    """

    METAINFO = dict(dataset_name='ltcc')
    DEFAULT_TASK = 'cc'
    ARCHIVE_NAMES = ('LTCC_ReID', 'LTCC-ReID', 'ltcc')
    SUBSET_DIRS = dict(train='train', query='query', gallery='test')
    NAME_PATTERN = re.compile(r'(\d+)_(\d+)_c(\d+)_.*\.\w+')
    NAME_EXAMPLE = '001_1_c11_015833.png'

    def parse_labels(self, path: str) -> Dict[str, int]:
        pid, clothes, camera = parse_name(self.NAME_PATTERN, path,
                                          self.NAME_EXAMPLE)
        pid = int(pid)
        return dict(
            pid=pid,
            camid=camera_index(camera, path),
            clothes_id=outfit_id(pid, int(clothes), path))
