from .albef_t2i_head import ALBEFT2IHead
from .instruct_reid_head import InstructReIDHead, classifier_key
from .masked_lm_head import MaskedLMHead
from .reid_head import ReIDHead
from .t2i_head import T2IHead

__all__ = [
    'ReIDHead', 'InstructReIDHead', 'T2IHead', 'classifier_key',
    'MaskedLMHead', 'ALBEFT2IHead'
]
