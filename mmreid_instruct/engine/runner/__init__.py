from .checkpoint import (CHECKPOINT_SAFE_GLOBALS, CheckpointLoadError,
                         load_checkpoint_file,
                         register_checkpoint_safe_globals)
from .reid_iter_based_train_loop import ReIDIterBasedTrainLoop
from .reid_runner import ReIDRunner

__all__ = [
    'ReIDRunner', 'ReIDIterBasedTrainLoop', 'CHECKPOINT_SAFE_GLOBALS',
    'CheckpointLoadError', 'load_checkpoint_file',
    'register_checkpoint_safe_globals'
]
