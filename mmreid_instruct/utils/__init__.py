from .setup_env import register_all_modules
from .tasks import (MODALITIES, TASK_ALIASES, TASKS, VI_DIRECTIONS,
                    normalize_task)

__all__ = [
    'register_all_modules', 'TASKS', 'TASK_ALIASES', 'MODALITIES',
    'normalize_task', 'VI_DIRECTIONS'
]
