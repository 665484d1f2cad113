import re
from typing import Dict

from mmreid_instruct.registry import DATASETS
from .folder_reid_dataset import FolderReIDDataset
from .utils import check_option

#: 0-based cameras kept in the test subsets by each evaluation mode: all
#: four, cameras 2 & 3 (same clothes) or cameras 3 & 4 (clothes change).
VC_CLOTHES_MODES = {'all': (0, 1, 2, 3), 'sc': (1, 2), 'cc': (2, 3)}


@DATASETS.register_module()
class VCClothes(FolderReIDDataset):
    """VC-Clothes, a synthetic clothes-changing benchmark (Wan et al.,
    CVPRW 2020).

    Layout: ``VC-Clothes/{train, query, gallery}`` with names like
    ``0001-01-01-01.jpg`` (pid, camera 1-4, clothes number of that person,
    index). ``clothes_id`` is ``pid * 1000 + clothes``. Expected: train 256
    ids / 9,449 images, query 1,020, gallery 8,591 (all cameras).

    Args:
        data_root (str): ``VC-Clothes`` or its parent.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        mode (str): Cameras kept in query and gallery: ``'all'``, ``'sc'``
            (cameras 2 & 3, same clothes) or ``'cc'`` (cameras 3 & 4,
            clothes change). The train subset always keeps every camera.
            Defaults to ``'all'``.
        **kwargs: Other arguments of :class:`BenchmarkDataset` (``task``
            defaults to ``'cc'``, ``pipeline``, ...).

    Example:
        The clothes-changing queries (cameras 3 and 4)::

            query = VCClothes('data', subset='query', mode='cc')
    """

    METAINFO = dict(dataset_name='vc_clothes')
    DEFAULT_TASK = 'cc'
    ARCHIVE_NAMES = ('VC-Clothes', 'VC_Clothes', 'vc_clothes', 'vc-clothes')
    SUBSET_DIRS = dict(train='train', query='query', gallery='gallery')
    NAME_PATTERN = re.compile(
        r'(?P<pid>\d+)-(?P<camera>\d+)-(?P<clothes>\d+)-\d+\.\w+')
    NAME_EXAMPLE = '0001-01-01-01.jpg'

    def __init__(self, *args, mode: str = 'all', **kwargs):
        self.mode = check_option('VCClothes', 'mode', mode, VC_CLOTHES_MODES)
        super().__init__(*args, **kwargs)

    def keep(self, labels: Dict[str, int]) -> bool:
        return (self.subset == 'train'
                or labels['camid'] in VC_CLOTHES_MODES[self.mode])
