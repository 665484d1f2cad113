import pytest

from mmreid_instruct.synth import MICRO_OVERRIDES, generate_synth_omnireid


@pytest.fixture(scope='session')
def micro_preset():
    """The overrides of the micro preset (a fresh copy per use)."""
    return dict(MICRO_OVERRIDES)


@pytest.fixture(scope='session')
def micro_root(tmp_path_factory):
    """SynthOmniReID generated once with the micro preset, seed 0."""
    root = tmp_path_factory.mktemp('synth_micro') / 'micro'
    generate_synth_omnireid(root, preset=dict(MICRO_OVERRIDES), seed=0)
    return root
