from .bn_neck import BNNeck
from .editing_transformer import EditingTransformer

__all__ = ['BNNeck', 'EditingTransformer']
