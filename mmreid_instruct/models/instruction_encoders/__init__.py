from .image_instruction_encoder import ImageInstructionEncoder, backbone_tokens
from .text_instruction_encoder import (PRETRAINED_TEXT_MODELS,
                                       TextInstructionEncoder,
                                       minilm_l6_v2_folder)

__all__ = [
    'TextInstructionEncoder', 'ImageInstructionEncoder', 'minilm_l6_v2_folder',
    'PRETRAINED_TEXT_MODELS', 'backbone_tokens'
]
