from .pass_vision_transformer import PASSVisionTransformer

__all__ = ['PASSVisionTransformer']
