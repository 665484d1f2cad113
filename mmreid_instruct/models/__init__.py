# mmpretrain's models (e.g. VisionTransformer) are reachable from our
# registry only once they are registered.
import mmpretrain.models  # noqa: F401

from .backbones import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .fusions import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .instruction_encoders import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .reiders import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
