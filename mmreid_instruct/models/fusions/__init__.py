from .cross_modal_encoder import CrossModalEncoder
from .editing_fusion import EditingFusion

__all__ = ['CrossModalEncoder', 'EditingFusion']
