import os.path as osp
import re
from typing import Dict, List

from mmengine.logging import MMLogger

from mmreid_instruct.registry import DATASETS
from .benchmark_dataset import BenchmarkDataset
from .utils import (camera_index, list_images, outfit_id, parse_name,
                    require_path, resolve_root)


@DATASETS.register_module()
class FolderReIDDataset(BenchmarkDataset):
    """A benchmark stored as one folder of images per subset, with the
    labels in the file names.

    By default it reads the Market-1501 layout and names: folders
    ``bounding_box_train``, ``query`` and ``bounding_box_test``, names such
    as ``0001_c1s1_001051_00.jpg`` (pid, 1-based camera, anything else),
    pid -1 being junk and dropped. Subclasses change ``ARCHIVE_NAMES``,
    ``SUBSET_DIRS``, ``NAME_PATTERN`` (and :meth:`parse_labels` or
    :meth:`keep` when the names hold other labels); used as it
    is, it reads any dataset that a user laid out like Market-1501.

    Images are listed in sorted path order; files without an image ending
    are ignored, an image whose name does not parse is an error.

    Args:
        data_root (str): The folder holding the subset folders, or its
            parent when that folder has one of the ``ARCHIVE_NAMES``.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        **kwargs: Other arguments of :class:`BenchmarkDataset` (``task``,
            ``pipeline``, ...).

    Example:
        >>> dataset = FolderReIDDataset('data/my_market_style', lazy_init=True)
        >>> dataset.parse_labels('query/0001_c3s1_001051_00.jpg')
        {'pid': 1, 'camid': 2}
    """

    METAINFO = dict(dataset_name='folder_reid')
    #: Names of the folder the archive unpacks to.
    ARCHIVE_NAMES = ()
    #: Folder of each subset, relative to the archive folder.
    SUBSET_DIRS = dict(
        train='bounding_box_train', query='query', gallery='bounding_box_test')
    #: Pattern of a whole image name; :meth:`parse_labels` reads its named
    #: groups ``pid``, ``camera`` and, if it has one, ``clothes``.
    NAME_PATTERN = re.compile(
        r'(?P<pid>-1|\d+)_c(?P<camera>\d+)(?:[s_].*)?\.\w+')
    #: An example of a valid name, for error messages.
    NAME_EXAMPLE = '0001_c1s1_001051_00.jpg'
    #: Pids marking junk images, dropped as the benchmark prescribes.
    JUNK_PIDS = frozenset({-1})

    def archive_root(self) -> str:
        """Return the folder the archive unpacked to."""
        return resolve_root(self.data_root, self.ARCHIVE_NAMES,
                            self.SUBSET_DIRS['train'])

    def subset_folder(self) -> str:
        """Return the folder of the images of this subset."""
        folder = osp.join(self.archive_root(), self.SUBSET_DIRS[self.subset])
        return require_path(
            folder, f'the {self.subset} images of {self.dataset_name}',
            'folder')

    def parse_labels(self, path: str) -> Dict[str, int]:
        """Read the labels of one image from its name.

        The groups of ``NAME_PATTERN`` give the pid, the 1-based camera and,
        for benchmarks that number the outfits of each person, ``clothes``,
        which becomes the dataset-wide :func:`outfit_id`.

        Args:
            path (str): The image path.

        Returns:
            dict: ``pid``, ``camid`` and, with a ``clothes`` group,
            ``clothes_id``.
        """
        groups = parse_name(self.NAME_PATTERN, path, self.NAME_EXAMPLE)
        labels = dict(
            pid=int(groups['pid']), camid=camera_index(groups['camera'], path))
        if 'clothes' in self.NAME_PATTERN.groupindex:
            labels['clothes_id'] = outfit_id(labels['pid'],
                                             int(groups['clothes']), path)
        return labels

    def keep(self, labels: Dict[str, int]) -> bool:
        """Whether the protocol keeps an image with these labels."""
        return labels['pid'] not in self.JUNK_PIDS

    def load_data_list(self) -> List[dict]:
        """List the subset folder.

        Returns:
            list[dict]: One record per kept image, in sorted path order.
        """
        records, dropped = [], 0
        for path in list_images(self.subset_folder()):
            labels = self.parse_labels(path)
            if self.keep(labels):
                records.append(self.new_record(img_path=path, **labels))
            else:
                dropped += 1
        if dropped:
            MMLogger.get_current_instance().info(
                f'{self.dataset_name} [{self.subset}]: dropped {dropped} '
                f'images excluded by the protocol (junk ids or cameras).')
        return records
