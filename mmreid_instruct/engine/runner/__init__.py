from .all_tasks_train_loop import AllTasksTrainLoop
from .checkpoint import (CHECKPOINT_SAFE_GLOBALS, CheckpointLoadError,
                         CheckpointMismatchError, load_checkpoint_file,
                         register_checkpoint_safe_globals)
from .reid_iter_based_train_loop import ReIDIterBasedTrainLoop
from .reid_runner import ReIDRunner
from .skipped_batches_iterator import SkippedBatchesIterator

__all__ = [
    'ReIDRunner', 'ReIDIterBasedTrainLoop', 'AllTasksTrainLoop',
    'SkippedBatchesIterator', 'CHECKPOINT_SAFE_GLOBALS', 'CheckpointLoadError',
    'CheckpointMismatchError', 'load_checkpoint_file',
    'register_checkpoint_safe_globals'
]
