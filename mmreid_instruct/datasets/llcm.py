import os
import os.path as osp
import re
from typing import List

from mmreid_instruct.registry import DATASETS
from mmreid_instruct.utils.tasks import VI_DIRECTIONS
from .benchmark_dataset import BenchmarkDataset
from .utils import (camera_index, check_option, parse_name, person_images,
                    read_id_file, read_image_list, require_path, resolve_root)

#: Folder of the test images and modality of each LLCM modality name.
LLCM_MODALITIES = {'vis': 'rgb', 'nir': 'ir'}


@DATASETS.register_module()
class LLCM(BenchmarkDataset):
    """LLCM, Low-Light Cross-Modality ReID (Zhang & Wang, CVPR 2023).

    Layout: ``LLCM/idx/{train_vis,train_nir}.txt`` list the training images
    (``nir/0001/0001_c01_s185535_f7010_nir.jpg <label>``, paths relative to
    ``LLCM``; pid and camera come from the name); ``idx/test_id.txt`` holds
    the test ids (comma-separated), whose images are
    ``test_vis/cam<N>/<pid>/...`` and ``test_nir/cam<N>/<pid>/...``.
    ``direction='ir2vis'`` queries with the infrared test images against the
    visible ones; ``'vis2ir'`` swaps them. Camera ids are shared by both
    modalities (camera N of either is ``N - 1``). The single-shot gallery
    sampling over 10 trials belongs to the metric (see the config).

    Args:
        data_root (str): ``LLCM`` or its parent.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        direction (str): ``'ir2vis'`` or ``'vis2ir'``. Defaults to
            ``'ir2vis'``.
        **kwargs: Other arguments of :class:`BenchmarkDataset` (``task``
            defaults to ``'vi'``, ``pipeline``, ...).

    Example:
        Visible queries searched among the infrared test images::

            query = LLCM('data', subset='query', direction='vis2ir')
    """

    METAINFO = dict(dataset_name='llcm')
    DEFAULT_TASK = 'vi'
    NAME_PATTERN = re.compile(r'(\d+)_c(\d+)_.*_(vis|nir)\.\w+')
    NAME_EXAMPLE = '0001_c01_s185535_f7010_nir.jpg'
    CAMERA_DIR = re.compile(r'cam(\d+)')

    def __init__(self, *args, direction: str = 'ir2vis', **kwargs):
        self.direction = check_option('LLCM', 'direction', direction,
                                      VI_DIRECTIONS)
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the train lists of both modalities, or list the test
        folders of the modality this subset holds (see ``direction``).

        Returns:
            list[dict]: One record per image, in sorted path order.
        """
        root = resolve_root(self.data_root, ('LLCM', ), 'idx')
        if self.subset == 'train':
            records = []
            for name in ('train_vis.txt', 'train_nir.txt'):
                records.extend(
                    self._read_list(osp.join(root, 'idx', name), root))
        else:
            query_is_ir = self.direction == 'ir2vis'
            use_ir = (self.subset == 'query') == query_is_ir
            records = self._load_test(root, 'nir' if use_ir else 'vis')
        return sorted(records, key=lambda r: r['img_path'])

    def _read_list(self, list_file: str, root: str) -> List[dict]:
        records = []
        for path, _ in read_image_list(list_file, root):
            pid, camera, modality = parse_name(self.NAME_PATTERN, path,
                                               self.NAME_EXAMPLE).groups()
            records.append(
                self.new_record(
                    img_path=path,
                    pid=int(pid),
                    camid=camera_index(camera, path),
                    modality=LLCM_MODALITIES[modality]))
        return records

    def _load_test(self, root: str, modality: str) -> List[dict]:
        pids = read_id_file(osp.join(root, 'idx', 'test_id.txt'))
        folder = require_path(
            osp.join(root, f'test_{modality}'),
            'one folder per camera (cam1, cam2, ...)', 'folder')
        records = []
        for cam_dir in sorted(os.listdir(folder)):
            match = self.CAMERA_DIR.fullmatch(cam_dir)
            if match is None:
                continue
            camid = camera_index(match.group(1), osp.join(folder, cam_dir))
            for pid, path in person_images(osp.join(folder, cam_dir), pids):
                records.append(
                    self.new_record(
                        img_path=path,
                        pid=pid,
                        camid=camid,
                        modality=LLCM_MODALITIES[modality]))
        return records
