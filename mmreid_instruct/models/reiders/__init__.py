from .image_reid import ImageReID

__all__ = ['ImageReID']
