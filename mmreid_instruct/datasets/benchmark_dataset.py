from typing import List, Optional

from mmreid_instruct.registry import DATASETS
from mmreid_instruct.utils.tasks import normalize_task
from .base_reid_dataset import BaseReIDDataset
from .utils import DEFAULT_INSTRUCTIONS, fixed_instruction


@DATASETS.register_module()
class BenchmarkDataset(BaseReIDDataset):
    """Base class of the loaders of public benchmarks.

    It fixes the task of the benchmark's records and their instruction
    text, which is the same for every record of an image benchmark (a
    benchmark with captions gives each record its own). Subclasses set
    ``DEFAULT_TASK`` and ``METAINFO['dataset_name']`` and implement
    :meth:`load_data_list` with :meth:`new_record`.

    Args:
        data_root (str): Folder the benchmark unpacks to, or its parent.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``. Defaults to
            ``'train'``.
        task (str, optional): Task of the records, one whose instruction is
            fixed text (``trad``, ``cc`` or ``vi``, any spelling). Defaults
            to the benchmark's own task, ``DEFAULT_TASK``.
        instruction_text (str, optional): Replaces the task's default
            instruction.
        **kwargs: Other arguments of :class:`BaseReIDDataset`.

    Example:
        Market-1501 queries read as clothes-changing queries (the ``cc``
        instruction instead of the ``trad`` one)::

            query = Market1501('data', subset='query', task='cc')
    """

    DEFAULT_TASK = 'trad'

    def __init__(self,
                 data_root: str = '',
                 subset: str = 'train',
                 task: Optional[str] = None,
                 instruction_text: Optional[str] = None,
                 **kwargs):
        self.task = normalize_task(task or self.DEFAULT_TASK)
        # Only a benchmark read with a fixed instruction may be read with
        # another fixed instruction; captions cannot be made up.
        if self.task != self.DEFAULT_TASK and not {
                self.task, self.DEFAULT_TASK
        } <= set(DEFAULT_INSTRUCTIONS):
            raise ValueError(
                f'{type(self).__name__}: task must be {self.DEFAULT_TASK!r}'
                f' or, for an image benchmark, another task with a fixed '
                f'instruction {sorted(DEFAULT_INSTRUCTIONS)}; got '
                f'{self.task!r}.')
        self.instruction_text = fixed_instruction(self.task, instruction_text)
        super().__init__(data_root=data_root, subset=subset, **kwargs)

    def filter_data(self) -> List[dict]:
        """Refuse an empty subset, then check, relabel and log the records
        as :class:`BaseReIDDataset` does."""
        if not self.data_list:
            raise ValueError(
                f'{type(self).__name__}: no {self.subset} images or captions '
                f'found under {self.data_root}; is the download complete?')
        return super().filter_data()

    def new_record(self, **fields) -> dict:
        """Make a record of this dataset, with the benchmark's task and
        fixed instruction unless ``fields`` give others (see
        :meth:`BaseReIDDataset.new_record`).

        Args:
            **fields: Record keys (``img_path``, ``pid``, ``camid``, and
                ``clothes_id``, ``modality``, ``instruction``, ... when
                they differ from the defaults of :func:`make_record`).

        Returns:
            dict: The record.
        """
        defaults = dict(task=self.task, instruction=self.instruction_text)
        return super().new_record(**{**defaults, **fields})
