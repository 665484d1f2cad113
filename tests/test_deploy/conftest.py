import os.path as osp
import sys

import pytest

# Let the tests of this folder import tiny_models whether or not the test
# folders are packages.
sys.path.insert(0, osp.dirname(__file__))

from tiny_models import build_image_reid, build_irm  # noqa: E402


@pytest.fixture(scope='session')
def irm():
    """A tiny InstructReID with text and image instruction encoders."""
    return build_irm()


@pytest.fixture(scope='session')
def blind_irm():
    """A tiny instruction-blind InstructReID."""
    return build_irm(
        instruction_blind=True,
        fusion=None,
        image_instruction_encoder=None,
        text_encoder=None)


@pytest.fixture(scope='session')
def image_reid():
    """A tiny ImageReID (ViT CLS, ReIDHead with a BN neck)."""
    return build_image_reid()
