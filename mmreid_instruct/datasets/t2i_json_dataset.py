import os.path as osp
from typing import List, Optional, Tuple

from mmreid_instruct.registry import DATASETS
from .benchmark_dataset import BenchmarkDataset
from .utils import (MISSING_CAMID, first_existing, load_json, resolve_root,
                    to_int)


@DATASETS.register_module()
class T2IJsonDataset(BenchmarkDataset):
    """A text-to-image benchmark whose annotations are one JSON list.

    Each entry of the list describes one image: ``id`` (person id),
    the image path relative to the image folder (key ``PATH_KEY``),
    ``captions`` (a list of sentences) and ``split``. The train subset has
    one record per caption (the image with that caption as
    ``instruction``); the query subset one record per caption of the test
    split, with no image; the gallery subset one record per test image,
    with no instruction. Entries are taken in sorted image-path order,
    captions in their JSON order. Cameras are unknown (-1 for train and
    query records, -2 for gallery records), clothes ids -1.

    Args:
        data_root (str): The benchmark folder or its parent.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        test_split (str): Split of the annotations used by query and
            gallery, e.g. ``'val'`` for a validation run. Defaults to
            ``'test'``.
        annotation_file (str, optional): Annotation file, relative to the
            benchmark folder; defaults to the first of ``ANNOTATION_FILES``
            that exists.
        **kwargs: Other arguments of :class:`BaseReIDDataset`
            (``pipeline``, ...).

    Example:
        >>> import json, os, tempfile
        >>> root = tempfile.mkdtemp()
        >>> os.makedirs(f'{root}/imgs')
        >>> with open(f'{root}/reid_raw.json', 'w') as f:
        ...     json.dump([dict(id=3, file_path='p3.jpg', split='test',
        ...                     captions=['a man in a red coat'])], f)
        >>> query = T2IJsonDataset(root, subset='query', lazy_init=True)
        >>> query.load_data_list()[0]['instruction']  # what it holds
        'a man in a red coat'
    """

    METAINFO = dict(dataset_name='t2i_json')
    DEFAULT_TASK = 't2i'
    ARCHIVE_NAMES = ()
    #: Names of the annotation file, in order of preference.
    ANNOTATION_FILES = ('reid_raw.json', )
    #: Folder the image paths of the annotations are relative to.
    IMAGE_DIR = 'imgs'
    #: Key of the image path in an annotation entry.
    PATH_KEY = 'file_path'

    def __init__(self,
                 data_root: str = '',
                 subset: str = 'train',
                 test_split: str = 'test',
                 annotation_file: Optional[str] = None,
                 **kwargs):
        self.test_split = test_split
        self.annotation_file = annotation_file
        super().__init__(data_root=data_root, subset=subset, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the annotations of the subset's split.

        Returns:
            list[dict]: The records, see the class description.
        """
        root = resolve_root(self.data_root, self.ARCHIVE_NAMES, self.IMAGE_DIR)
        names = (self.annotation_file, ) if self.annotation_file else \
            self.ANNOTATION_FILES
        ann_file = first_existing(root, names, 'the caption annotations')
        entries = self._read_entries(ann_file, osp.join(root, self.IMAGE_DIR))
        records = []
        camid = MISSING_CAMID[self.subset]
        for where, path, pid, captions in entries:
            if self.subset == 'query':
                records.extend(
                    self.new_record(
                        img_path=None, pid=pid, camid=camid, instruction=c)
                    for c in captions)
                continue
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'{where}: image {path} does not exist.')
            if self.subset == 'gallery':
                records.append(
                    self.new_record(
                        img_path=path, pid=pid, camid=camid, instruction=None))
            else:
                records.extend(
                    self.new_record(
                        img_path=path, pid=pid, camid=camid, instruction=c)
                    for c in captions)
        return records

    def _read_entries(self, ann_file: str,
                      img_dir: str) -> List[Tuple[str, str, int, list]]:
        what = (f'a list of {{"id", "{self.PATH_KEY}", "captions", '
                f'"split"}} objects')
        entries = load_json(ann_file, what)
        if not isinstance(entries, list):
            raise ValueError(f'{ann_file}: expected {what}.')
        split = 'train' if self.subset == 'train' else self.test_split
        kept = []
        for i, entry in enumerate(entries):
            where = f'{ann_file} entry {i}'
            if not isinstance(entry, dict) or not {
                    'id', self.PATH_KEY, 'captions', 'split'
            } <= set(entry):
                raise ValueError(f'{where}: expected an object with keys '
                                 f'id, {self.PATH_KEY}, captions, split; '
                                 f'got {entry!r}.')
            if entry['split'] != split:
                continue
            captions = entry['captions']
            if not isinstance(captions, list) or not captions or not all(
                    isinstance(c, str) and c.strip() for c in captions):
                raise ValueError(f'{where}: captions must be a non-empty '
                                 f'list of sentences, got {captions!r}.')
            kept.append((where, osp.join(img_dir, entry[self.PATH_KEY]),
                         to_int(entry['id'], where, 'id'), captions))
        if not kept:
            raise ValueError(f'{ann_file}: no entry has split {split!r}.')
        return sorted(kept, key=lambda item: item[1])
