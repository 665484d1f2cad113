from .image_reid import ImageReID
from .instruct_reid import InstructReID

__all__ = ['ImageReID', 'InstructReID']
