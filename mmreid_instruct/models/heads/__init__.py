from .reid_head import ReIDHead

__all__ = ['ReIDHead']
