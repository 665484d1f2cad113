from .multi_task_sampler import MultiTaskPKSampler
from .pk_sampler import PKSampler

__all__ = ['PKSampler', 'MultiTaskPKSampler']
