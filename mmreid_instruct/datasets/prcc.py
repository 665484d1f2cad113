import os
import os.path as osp
import re
from typing import List, Optional

from mmreid_instruct.registry import DATASETS
from .benchmark_dataset import BenchmarkDataset
from .utils import (check_option, list_images, outfit_id, parse_name,
                    require_path, resolve_root, to_int)

#: PRCC cameras A, B, C as 0-based camera ids.
PRCC_CAMERAS = {'A': 0, 'B': 1, 'C': 2}

#: Cameras of the query images for each clothes setting; the gallery is
#: camera A.
PRCC_QUERY_CAMERAS = {'same': ('B', ), 'cross': ('C', ), 'both': ('B', 'C')}


@DATASETS.register_module()
class PRCC(BenchmarkDataset):
    """PRCC, Person ReID under moderate Clothing Change (Yang et al.,
    TPAMI 2019).

    Layout: ``prcc/rgb/train/<pid>/{A,B,C}_cropped_rgbNNN.jpg`` and
    ``prcc/rgb/test/{A,B,C}/<pid>/cropped_rgbNNN.jpg``. Cameras A and B see
    the same clothes, camera C other clothes, so ``clothes_id`` is
    ``pid * 1000`` for A/B and ``pid * 1000 + 1`` for C. The gallery is
    camera A; the query is camera B (``clothes='same'``), C
    (``clothes='cross'``) or both (``clothes='both'``, to evaluate the two
    settings in one run with the metric's ``query_cameras``). Expected:
    train 150 ids / 17,896 images; test 71 ids. The ``val`` folder is not
    used.

    Args:
        data_root (str): ``prcc`` (or its ``rgb`` folder) or its parent.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        clothes (str): Query setting, ``'same'``, ``'cross'`` or
            ``'both'``. Defaults to ``'cross'``.
        **kwargs: Other arguments of :class:`BenchmarkDataset` (``task``
            defaults to ``'cc'``, ``pipeline``, ...).

    Example:
        The same-clothes queries (camera B)::

            query = PRCC('data', subset='query', clothes='same')
    """

    METAINFO = dict(dataset_name='prcc')
    DEFAULT_TASK = 'cc'
    TRAIN_PATTERN = re.compile(r'([ABC])_cropped_rgb\d+\.\w+')
    TRAIN_EXAMPLE = 'A_cropped_rgb001.jpg'

    def __init__(self, *args, clothes: str = 'cross', **kwargs):
        self.clothes = check_option('PRCC', 'clothes', clothes,
                                    PRCC_QUERY_CAMERAS)
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """List the train folder, or the test folders of this subset's
        cameras (camera A for the gallery, see ``clothes`` for the query).

        Returns:
            list[dict]: One record per image, in sorted path order.
        """
        root = resolve_root(self.data_root, ('prcc/rgb', 'PRCC/rgb', 'rgb'),
                            'train')
        if self.subset == 'train':
            return self._load(osp.join(root, 'train'), None)
        cameras = ('A', ) if self.subset == 'gallery' else \
            PRCC_QUERY_CAMERAS[self.clothes]
        records = []
        for camera in cameras:
            records.extend(self._load(osp.join(root, 'test', camera), camera))
        return sorted(records, key=lambda r: r['img_path'])

    def _load(self, folder: str, camera: Optional[str]) -> List[dict]:
        """Read ``folder/<pid>/<image>``; the camera is ``camera`` or, for
        the train folder, the first letter of each name."""
        require_path(folder, 'one folder per person id', 'folder')
        records = []
        for name in sorted(os.listdir(folder)):
            person = osp.join(folder, name)
            if not osp.isdir(person):
                continue
            pid = to_int(name, person, 'person folder name')
            for path in list_images(person):
                cam = camera or parse_name(self.TRAIN_PATTERN, path,
                                           self.TRAIN_EXAMPLE).group(1)
                records.append(
                    self.new_record(
                        img_path=path,
                        pid=pid,
                        camid=PRCC_CAMERAS[cam],
                        clothes_id=outfit_id(pid, int(cam == 'C'), path)))
        return records
