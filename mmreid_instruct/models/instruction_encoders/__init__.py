from .image_instruction_encoder import ImageInstructionEncoder
from .text_instruction_encoder import TextInstructionEncoder

__all__ = ['TextInstructionEncoder', 'ImageInstructionEncoder']
