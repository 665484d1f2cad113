from .instruct_reid_head import InstructReIDHead, classifier_key
from .reid_head import ReIDHead
from .t2i_head import T2IHead

__all__ = ['ReIDHead', 'InstructReIDHead', 'T2IHead', 'classifier_key']
