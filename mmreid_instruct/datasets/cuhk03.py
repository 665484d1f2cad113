import os
import os.path as osp
import re
import shutil
from typing import List

import numpy as np

from mmreid_instruct.registry import DATASETS
from .folder_reid_dataset import FolderReIDDataset
from .utils import (camera_index, check_option, first_existing, parse_name,
                    require_path, resolve_root)

CUHK03_VARIANTS = ('labeled', 'detected')
CUHK03_SOURCES = ('auto', 'folders', 'mat')

#: Keys of the new-protocol split file holding each subset's indices.
CUHK03_SPLIT_KEYS = dict(
    train='train_idx', query='query_idx', gallery='gallery_idx')

#: Name of an image extracted from ``cuhk-03.mat``: camera pair, pid within
#: the pair, view (1 or 2) and index (1-10), e.g. ``1_001_1_01.png``.
CUHK03_MAT_NAME = re.compile(r'(\d+)_(\d+)_(\d+)_(\d+)\.png')


def _mat_string(value) -> str:
    """Unwrap a string read from a MATLAB cell by ``scipy.io.loadmat``."""
    while isinstance(value, np.ndarray):
        value = value.ravel()[0]
    return str(value)


def extract_cuhk03_images(mat_file: str, variant: str, out_dir: str) -> int:
    """Write the images of ``cuhk-03.mat`` to ``out_dir`` as PNG files.

    The file is MATLAB v7.3 (HDF5): ``<variant>`` holds one cell per camera
    pair, each a ``persons x 10`` cell of images (views 1 and 2 take five
    cells each; missing images are empty cells). Images are named like
    ``1_001_1_01.png`` (pair, person within the pair, view, index), the
    names that ``cuhk03_new_protocol_config_*.mat`` lists. The images are
    written to a temporary folder renamed to ``out_dir`` at the end, so an
    interrupted run leaves no partial folder behind.

    Args:
        mat_file (str): ``cuhk03_release/cuhk-03.mat``.
        variant (str): ``'labeled'`` or ``'detected'``.
        out_dir (str): Folder to create.

    Returns:
        int: The number of images written.
    """
    import cv2
    import h5py

    require_path(mat_file, 'the raw CUHK03 images (cuhk-03.mat)')
    try:
        mat = h5py.File(mat_file, 'r')
    except OSError as e:
        raise ValueError(f'{mat_file}: cannot be read as MATLAB v7.3 (HDF5), '
                         f'the format of cuhk-03.mat ({e}).') from None
    tmp_dir = f'{out_dir}.partial'
    shutil.rmtree(tmp_dir, ignore_errors=True)
    os.makedirs(tmp_dir)
    count = 0
    with mat:
        if variant not in mat:
            raise ValueError(f'{mat_file}: no {variant!r} images; expected '
                             f'the keys {list(CUHK03_VARIANTS)}.')
        for pair, pair_ref in enumerate(mat[variant][()].ravel(), 1):
            cells = mat[pair_ref][()].T  # persons x 10, as in MATLAB
            for person, row in enumerate(cells, 1):
                for index, ref in enumerate(row, 1):
                    img = mat[ref][()].T  # H x W x 3 RGB; empty cells are 1-D
                    if img.ndim != 3:
                        continue
                    view = 1 if index <= 5 else 2
                    name = f'{pair}_{person:03d}_{view}_{index:02d}.png'
                    cv2.imwrite(
                        osp.join(tmp_dir, name),
                        np.ascontiguousarray(img[..., ::-1]))
                    count += 1
    os.replace(tmp_dir, out_dir)
    return count


@DATASETS.register_module()
class CUHK03(FolderReIDDataset):
    """CUHK03 (Li et al., CVPR 2014) with the new protocol (767 train and
    700 test ids) of Zhong et al., CVPR 2017.

    It reads either of two sources:

    - the CUHK03-NP folders ``cuhk03-np/{labeled,detected}/
      {bounding_box_train, query, bounding_box_test}`` with names like
      ``0001_c1_1.png`` (global pid 1-1467, camera 1 or 2, index);
    - the raw release ``cuhk03/cuhk03_release/cuhk-03.mat`` (MATLAB v7.3)
      with the split files ``cuhk03_new_protocol_config_{labeled,
      detected}.mat`` (next to ``cuhk03_release`` or inside it). On first
      use the images are extracted to ``cuhk03/images_<variant>/`` (see
      :func:`extract_cuhk03_images`); the split file gives each image's
      global pid, and its view (1 or 2) is the camera.

    Both give the same pids and cameras. Expected (labeled / detected):
    train 7,368 / 7,365 images, query 1,400 / 1,400, gallery 5,328 / 5,332.
    Evaluate Market-style.

    Args:
        data_root (str): ``cuhk03-np`` or ``cuhk03``, or their parent.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        variant (str): ``'labeled'`` (hand-drawn boxes) or ``'detected'``.
            Defaults to ``'labeled'``.
        source (str): ``'folders'``, ``'mat'``, or ``'auto'`` (the folders
            when present, else the ``.mat`` files). Defaults to ``'auto'``.
        **kwargs: Other arguments of :class:`BenchmarkDataset` (``task``
            defaults to ``'trad'``, ``pipeline``, ...).

    Example:
        The queries of the detected boxes, from whichever source is under
        ``data``::

            query = CUHK03('data', subset='query', variant='detected')
    """

    METAINFO = dict(dataset_name='cuhk03')
    ARCHIVE_NAMES = ('cuhk03-np', 'CUHK03-NP', 'cuhk03_np')
    RAW_NAMES = ('cuhk03', 'CUHK03')
    NAME_PATTERN = re.compile(r'(?P<pid>\d+)_c(?P<camera>\d+)_\d+\.\w+')
    NAME_EXAMPLE = '0001_c1_1.png'

    def __init__(self,
                 *args,
                 variant: str = 'labeled',
                 source: str = 'auto',
                 **kwargs):
        self.variant = check_option('CUHK03', 'variant', variant,
                                    CUHK03_VARIANTS)
        self.source = check_option('CUHK03', 'source', source, CUHK03_SOURCES)
        super().__init__(*args, **kwargs)

    def archive_root(self) -> str:
        return resolve_root(self.data_root, self.ARCHIVE_NAMES,
                            osp.join(self.variant, 'bounding_box_train'))

    def subset_folder(self) -> str:
        folder = osp.join(self.archive_root(), self.variant,
                          self.SUBSET_DIRS[self.subset])
        return require_path(folder, f'the {self.subset} images of CUHK03-NP',
                            'folder')

    def load_data_list(self) -> List[dict]:
        """Read the CUHK03-NP folders or the raw ``.mat`` files.

        Returns:
            list[dict]: One record per image, in sorted path order.
        """
        use_folders = self.source == 'folders'
        if self.source == 'auto':
            try:
                self.archive_root()
                use_folders = True
            except FileNotFoundError:
                use_folders = False
        if use_folders:
            return super().load_data_list()
        return self._load_mat()

    def _load_mat(self) -> List[dict]:
        from scipy.io import loadmat

        root = resolve_root(self.data_root, self.RAW_NAMES,
                            osp.join('cuhk03_release', 'cuhk-03.mat'))
        split_file = first_existing(
            root, [
                f'cuhk03_new_protocol_config_{self.variant}.mat',
                f'cuhk03_release/cuhk03_new_protocol_config_'
                f'{self.variant}.mat'
            ], f'the CUHK03 new-protocol split of the {self.variant} images')
        img_dir = osp.join(root, f'images_{self.variant}')
        if not osp.isdir(img_dir):
            extract_cuhk03_images(
                osp.join(root, 'cuhk03_release', 'cuhk-03.mat'), self.variant,
                img_dir)
        try:
            split = loadmat(split_file)
        except (ValueError, NotImplementedError, OSError) as e:
            raise ValueError(f'{split_file}: cannot be read as a MATLAB '
                             f'file ({e}).') from None
        keys = (CUHK03_SPLIT_KEYS[self.subset], 'filelist', 'labels')
        missing = [k for k in keys if k not in split]
        if missing:
            raise ValueError(f'{split_file}: missing {missing}; expected '
                             f'the new-protocol keys {list(keys)}.')
        filelist = split['filelist'].ravel()
        labels = split['labels'].ravel()
        records = []
        for value in split[keys[0]].ravel():
            index = int(value)
            where = f'{split_file} ({keys[0]} {index})'
            if index != value or not 1 <= index <= len(filelist):
                raise ValueError(f'{where}: expected an index in '
                                 f'1..{len(filelist)} (the split uses '
                                 f'1-based indices).')
            name = _mat_string(filelist[index - 1])
            path = osp.join(img_dir, name)
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'{where}: image {path} does not exist; delete {img_dir}'
                    f' to extract the images again.')
            _, _, view, _ = parse_name(CUHK03_MAT_NAME, path,
                                       '1_001_1_01.png').groups()
            records.append(
                self.new_record(
                    img_path=path,
                    pid=int(labels[index - 1]),
                    camid=camera_index(view, path)))
        return sorted(records, key=lambda r: r['img_path'])
