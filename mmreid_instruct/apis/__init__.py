from .feature_cache import FeatureCache
from .gallery_index import GalleryIndex
from .inferencer import ReIDInferencer
from .model import get_model, init_model, list_models, zoo_checkpoint
from .model_hub import ModelHub, ModelInfo
from .zoo_index import ZooIndex, zoo_mirror

__all__ = [
    'init_model', 'get_model', 'list_models', 'zoo_checkpoint', 'ModelHub',
    'ModelInfo', 'ZooIndex', 'zoo_mirror', 'ReIDInferencer', 'GalleryIndex',
    'FeatureCache'
]
