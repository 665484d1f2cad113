from .pk_sampler import PKSampler

__all__ = ['PKSampler']
