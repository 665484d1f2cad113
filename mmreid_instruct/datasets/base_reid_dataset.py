from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger

from mmreid_instruct.registry import DATASETS
from mmreid_instruct.utils.random_state import seeded_random_state
from mmreid_instruct.utils.tasks import MODALITIES, normalize_task

#: The keys of one record, the same for every dataset (see DESIGN.md).
RECORD_KEYS = ('img_path', 'pid', 'camid', 'clothes_id', 'modality', 'task',
               'instruction', 'instruction_img_path', 'subset', 'dataset_name')

#: The subsets a ReID dataset can be split into.
SUBSETS = ('train', 'query', 'gallery')


def make_record(*,
                img_path,
                pid,
                camid,
                clothes_id=-1,
                modality='rgb',
                task='trad',
                instruction=None,
                instruction_img_path=None,
                subset,
                dataset_name):
    """Build one data record with exactly the keys of :data:`RECORD_KEYS`.

    Args:
        img_path (str | None): Image path, ``None`` for a caption query.
        pid (int): Person id.
        camid (int): 0-based camera id; negative values mean unknown.
        clothes_id (int): Outfit id, -1 when unknown. Defaults to -1.
        modality (str): ``'rgb'`` or ``'ir'``. Defaults to ``'rgb'``.
        task (str): Task name in any accepted spelling. Defaults to
            ``'trad'``.
        instruction (str | None): Instruction text. Defaults to None.
        instruction_img_path (str | None): Instruction image (clothes crop
            or garment template). Defaults to None.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        dataset_name (str): Name of the benchmark the record comes from.

    Returns:
        dict: The record.
    """
    return dict(
        img_path=img_path,
        pid=int(pid),
        camid=int(camid),
        clothes_id=int(clothes_id),
        modality=modality,
        task=normalize_task(task),
        instruction=instruction,
        instruction_img_path=instruction_img_path,
        subset=subset,
        dataset_name=dataset_name)


def relabel_pids(records: List[dict]) -> List[dict]:
    """Relabel pids to 0..N-1 in sorted order of the original ids.

    Args:
        records (list[dict]): Records whose ``pid`` values are the original
            ids. They are modified in place.

    Returns:
        list[dict]: The same records.
    """
    mapping = {
        pid: i
        for i, pid in enumerate(sorted({r['pid']
                                        for r in records}))
    }
    for record in records:
        record['pid'] = mapping[record['pid']]
    return records


def check_record(record: dict, where: str = 'record') -> None:
    """Raise a ``ValueError`` naming ``where`` if a record is malformed.

    Args:
        record (dict): One data record.
        where (str): Where the record came from (file and line), used in
            the error message.
    """
    keys = set(record)
    if keys != set(RECORD_KEYS):
        missing = sorted(set(RECORD_KEYS) - keys)
        extra = sorted(keys - set(RECORD_KEYS))
        raise ValueError(f'{where}: record keys differ from {RECORD_KEYS} '
                         f'(missing {missing}, unexpected {extra}).')
    for key in ('pid', 'camid', 'clothes_id'):
        if not isinstance(record[key], (int, np.integer)):
            raise ValueError(f'{where}: {key} must be an int, got '
                             f'{record[key]!r}.')
    if record['modality'] not in MODALITIES:
        raise ValueError(f'{where}: modality must be one of {MODALITIES}, '
                         f'got {record["modality"]!r}.')
    if record['subset'] not in SUBSETS:
        raise ValueError(f'{where}: subset must be one of {SUBSETS}, got '
                         f'{record["subset"]!r}.')
    normalize_task(record['task'])
    if record['img_path'] is None and record['instruction'] is None:
        raise ValueError(f'{where}: a record needs an image or a caption.')


@DATASETS.register_module()
class BaseReIDDataset(BaseDataset):
    """Base class of every ReID dataset of the library.

    A subclass implements :meth:`load_data_list`, returning records made by
    :meth:`new_record`. This class checks every record, relabels training
    pids when asked, logs what was found and gives samplers fast access to
    the pids.

    An index may also be a tuple ``(index, seed)``: the pipeline then runs
    with Python, NumPy and torch seeded by ``seed``. Samplers that know the
    position of a sample in the training stream (e.g. :class:`PKSampler`)
    use it so that data augmentation is a pure function of that position,
    which makes resumed runs bit-identical to uninterrupted ones whatever
    the number of dataloader workers.

    Two class attributes tell the tools about the data of a dataset class
    (:func:`~mmreid_instruct.utils.check_data_exists` reads them before
    anything is built):

    - ``GENERATES_DATA`` (bool): the dataset makes its data on first use
      (e.g. :class:`SynthOmniReID`), so missing data are not an error.
      Defaults to False.
    - ``DATA_HINT`` (str): where to get the data and how to lay them out,
      printed when they are missing. Defaults to a pointer to
      ``docs/en/user_guides/dataset_prepare.md``.

    Args:
        data_root (str): Root folder of the dataset.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
            Defaults to ``'train'``.
        relabel (bool, optional): Relabel pids to 0..N-1 (sorted original
            order). Defaults to True for the train subset, else False.
        pipeline (Sequence[dict | callable]): Processing pipeline.
        test_mode (bool, optional): Defaults to ``subset != 'train'``.
        **kwargs: Other arguments of :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO = dict(dataset_name='reid')
    GENERATES_DATA = False
    DATA_HINT = ('See docs/en/user_guides/dataset_prepare.md for where to '
                 'download each benchmark and how to lay it out.')

    def __init__(self,
                 data_root: str = '',
                 subset: str = 'train',
                 relabel: Optional[bool] = None,
                 pipeline: Sequence = (),
                 test_mode: Optional[bool] = None,
                 **kwargs):
        if subset not in SUBSETS:
            raise ValueError(f'{type(self).__name__}: subset must be one of '
                             f'{SUBSETS}, got {subset!r}.')
        self.subset = subset
        self.relabel = (subset == 'train') if relabel is None else relabel
        self._pids = None
        if test_mode is None:
            test_mode = subset != 'train'
        super().__init__(
            data_root=data_root,
            pipeline=pipeline,
            test_mode=test_mode,
            **kwargs)

    @property
    def dataset_name(self) -> str:
        return self.metainfo.get('dataset_name', type(self).__name__)

    def new_record(self, **fields) -> dict:
        """Make a record of this dataset's subset and name.

        Args:
            **fields: The other arguments of :func:`make_record`.

        Returns:
            dict: The record.
        """
        return make_record(
            subset=self.subset, dataset_name=self.dataset_name, **fields)

    def filter_data(self) -> List[dict]:
        """Check the loaded records, relabel them and log a summary."""
        for i, record in enumerate(self.data_list):
            check_record(record, f'{type(self).__name__} record {i}')
        if self.relabel:
            relabel_pids(self.data_list)
        self._log_summary(self.data_list)
        return self.data_list

    def _log_summary(self, records: List[dict]) -> None:
        pids = {r['pid'] for r in records}
        cams = {r['camid'] for r in records}
        images = {r['img_path'] for r in records} - {None}
        captions = sum(r['task'] == 't2i' and r['instruction'] is not None
                       for r in records)
        text = (f'{self.dataset_name} [{self.subset}]: {len(pids)} ids, '
                f'{len(images)} images, {len(cams)} cameras')
        if captions:
            text += f', {captions} captions'
        MMLogger.get_current_instance().info(text)

    def get_pids(self) -> np.ndarray:
        """Return the pid of every sample, in index order.

        Returns:
            np.ndarray: int64 array of length ``len(self)``.
        """
        if self._pids is None:
            self.full_init()
            self._pids = np.array(
                [self.get_data_info(i)['pid'] for i in range(len(self))],
                dtype=np.int64)
        return self._pids

    def __getitem__(self, idx: Union[int, Tuple[int, int]]) -> dict:
        if isinstance(idx, (tuple, list)):
            index, seed = idx
            with seeded_random_state(int(seed)):
                return super().__getitem__(int(index))
        return super().__getitem__(idx)
