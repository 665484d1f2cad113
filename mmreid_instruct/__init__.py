import warnings

import mmengine
from mmengine.utils import digit_version

from .version import __version__, version_info

mmengine_minimum_version = '0.10.7'
mmengine_maximum_version = '1.0.0'
mmengine_version = digit_version(mmengine.__version__)

assert (digit_version(mmengine_minimum_version) <= mmengine_version <
        digit_version(mmengine_maximum_version)), \
    f'MMEngine=={mmengine.__version__} is used but incompatible. ' \
    f'Please install mmengine>={mmengine_minimum_version}, ' \
    f'<{mmengine_maximum_version}.'

# mmcv-lite has no compiled ops; mmcv warns about them on import although
# this library never uses them.
warnings.filterwarnings(
    'ignore', message='Fail to import ``MultiScaleDeformableAttention``')

__all__ = ['__version__', 'version_info', 'digit_version']
