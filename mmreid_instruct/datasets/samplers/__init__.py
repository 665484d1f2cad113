from .all_tasks_pk_sampler import AllTasksPKSampler
from .multi_task_sampler import MultiTaskPKSampler
from .per_dataset_batch_sampler import PerDatasetBatchSampler
from .pk_sampler import PKSampler

__all__ = [
    'PKSampler', 'MultiTaskPKSampler', 'AllTasksPKSampler',
    'PerDatasetBatchSampler'
]
