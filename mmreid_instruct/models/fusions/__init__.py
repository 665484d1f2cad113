from .editing_fusion import EditingFusion

__all__ = ['EditingFusion']
