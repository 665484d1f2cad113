from .builder import build_data_preprocessor, build_optional_neck
from .huggingface import (MINILM_PACKAGE, PRETRAINED_TEXT_MODELS,
                          minilm_l6_v2_folder, resolve_pretrained_folder)
from .labels import pid_labels
from .precision import fp32_forward
from .projection import width_projection
from .token_masking import mask_tokens, replaced_token_labels
from .tokenizer import build_tokenizer, char_vocab, tokenize_texts
from .tokens import backbone_tokens

__all__ = [
    'build_data_preprocessor', 'build_optional_neck', 'MINILM_PACKAGE',
    'PRETRAINED_TEXT_MODELS', 'minilm_l6_v2_folder',
    'resolve_pretrained_folder', 'pid_labels', 'width_projection',
    'build_tokenizer', 'char_vocab', 'backbone_tokens', 'fp32_forward',
    'tokenize_texts', 'mask_tokens', 'replaced_token_labels'
]
