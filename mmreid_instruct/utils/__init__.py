from .captions import clean_caption
from .missing_data import check_data_exists, find_missing_data
from .setup_env import register_all_modules
from .tasks import (CLOTHES_MATCHING_TASKS, IMAGE_INSTRUCTION_TASKS,
                    MODALITIES, TASK_ALIASES, TASKS, VI_DIRECTIONS,
                    normalize_task)

__all__ = [
    'register_all_modules', 'TASKS', 'TASK_ALIASES', 'MODALITIES',
    'normalize_task', 'VI_DIRECTIONS', 'CLOTHES_MATCHING_TASKS',
    'IMAGE_INSTRUCTION_TASKS', 'check_data_exists', 'find_missing_data',
    'clean_caption'
]
