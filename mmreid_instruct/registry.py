"""Registries of mmreid_instruct.

Every registry is a child of the matching mmengine root registry, so that
mmengine's runner finds the modules registered here when
``default_scope='mmreid_instruct'``. ``MODELS`` is a child of mmpretrain's
``MODELS`` (itself a child of mmengine's), so that a config can name any
mmpretrain model with a scope prefix, e.g.
``backbone=dict(type='mmpretrain.VisionTransformer', arch='deit-tiny')``.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.registry import TRANSFORMS as MMPRETRAIN_TRANSFORMS

__all__ = [
    'RUNNERS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
    'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS'
]

_SCOPE = 'mmreid_instruct'


def _child(name, parent, location=None):
    """A child registry; ``location`` is the module that registers into it
    (None while the library registers nothing there)."""
    locations = [location] if location else []
    return Registry(name, parent=parent, scope=_SCOPE, locations=locations)


# Runner, loops, hooks and logging.
RUNNERS = _child('runner', MMENGINE_RUNNERS, 'mmreid_instruct.engine')
LOOPS = _child('loop', MMENGINE_LOOPS, 'mmreid_instruct.engine')
HOOKS = _child('hook', MMENGINE_HOOKS, 'mmreid_instruct.engine')
LOG_PROCESSORS = _child('log processor', MMENGINE_LOG_PROCESSORS,
                        'mmreid_instruct.engine')

# Data. TRANSFORMS reaches mmpretrain's (and through it mmcv's and
# mmengine's) transforms without a scope prefix.
DATASETS = _child('dataset', MMENGINE_DATASETS, 'mmreid_instruct.datasets')
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS,
                       'mmreid_instruct.datasets.samplers')
TRANSFORMS = _child('transform', MMPRETRAIN_TRANSFORMS,
                    'mmreid_instruct.datasets.transforms')

# Models and their optimisation.
MODELS = _child('model', MMPRETRAIN_MODELS, 'mmreid_instruct.models')
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS,
                        'mmreid_instruct.models')
WEIGHT_INITIALIZERS = _child('weight initializer',
                             MMENGINE_WEIGHT_INITIALIZERS,
                             'mmreid_instruct.models')
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, 'mmreid_instruct.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS,
                        'mmreid_instruct.engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS,
                          'mmreid_instruct.engine')

# Evaluation.
METRICS = _child('metric', MMENGINE_METRICS, 'mmreid_instruct.evaluation')
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR,
                   'mmreid_instruct.evaluation')

# Miscellaneous.
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS, 'mmreid_instruct.models')
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS,
                     'mmreid_instruct.visualization')
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS)
