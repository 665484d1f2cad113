import os.path as osp
import re
from typing import List

from mmreid_instruct.registry import DATASETS
from .benchmark_dataset import BenchmarkDataset
from .utils import (camera_index, check_option, parse_name, read_image_list,
                    require_path, resolve_root)

#: Image folders of the train and test images, per version.
MSMT17_DIRS = {
    'v1': dict(train='train', test='test'),
    'v2': dict(train='mask_train_v2', test='mask_test_v2'),
}

#: List files read by each subset (relative to the archive folder).
MSMT17_LISTS = {
    'train': ('list_train.txt', 'list_val.txt'),
    'query': ('list_query.txt', ),
    'gallery': ('list_gallery.txt', ),
}


@DATASETS.register_module()
class MSMT17(BenchmarkDataset):
    """MSMT17 (Wei et al., CVPR 2018).

    Layout: ``MSMT17_V1/{train, test}/<pid>/...`` (V2:
    ``MSMT17_V2/{mask_train_v2, mask_test_v2}``) and the lists
    ``list_{train,val,query,gallery}.txt``, whose lines read
    ``0000/0000_000_01_0303morning_0015_0.jpg 0``: the image, relative to
    the train or test folder, and its label (test labels restart at 0).
    The camera is the third ``_`` field of the name (1-15). The train
    subset joins ``list_train`` and ``list_val`` as is customary (train
    1,041 ids / 32,621 images); query 11,659, gallery 82,161. Evaluate
    Market-style.

    Args:
        data_root (str): ``MSMT17_V1`` / ``MSMT17_V2`` or their parent.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        version (str): ``'v1'`` or ``'v2'``. Defaults to ``'v1'``.
        use_val (bool): Also train on ``list_val.txt``. Defaults to True.
        **kwargs: Other arguments of :class:`BenchmarkDataset` (``task``
            defaults to ``'trad'``, ``pipeline``, ...).

    Example:
        The queries of MSMT17_V2 (the version with masked faces)::

            query = MSMT17('data', subset='query', version='v2')
    """

    METAINFO = dict(dataset_name='msmt17')
    NAME_PATTERN = re.compile(r'\d+_\d+_(\d+)_.*\.\w+')
    NAME_EXAMPLE = '0000_000_01_0303morning_0015_0.jpg'

    def __init__(self,
                 *args,
                 version: str = 'v1',
                 use_val: bool = True,
                 **kwargs):
        self.version = check_option('MSMT17', 'version', version, MSMT17_DIRS)
        self.use_val = use_val
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the lists of the subset.

        Returns:
            list[dict]: One record per listed image, in sorted path order.
        """
        names = ('MSMT17_V1', 'MSMT17') if self.version == 'v1' else \
            ('MSMT17_V2', 'MSMT17')
        root = resolve_root(self.data_root, names, 'list_train.txt')
        folder = MSMT17_DIRS[self.version]['train' if self.subset ==
                                           'train' else 'test']
        folder = require_path(
            osp.join(root, folder), f'the {self.subset} images of MSMT17',
            'folder')
        lists = MSMT17_LISTS[self.subset]
        if self.subset == 'train' and not self.use_val:
            lists = lists[:1]
        records = []
        for name in lists:
            records.extend(self._read_list(osp.join(root, name), folder))
        return sorted(records, key=lambda r: r['img_path'])

    def _read_list(self, list_file: str, folder: str) -> List[dict]:
        records = []
        for path, label in read_image_list(list_file, folder):
            camera = parse_name(self.NAME_PATTERN, path,
                                self.NAME_EXAMPLE).group(1)
            records.append(
                self.new_record(
                    img_path=path, pid=label, camid=camera_index(camera,
                                                                 path)))
        return records
