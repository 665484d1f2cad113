import pytest

#: A preset far smaller than ``tiny`` that still exercises every feature
#: (confusers, shared outfits, distractors, occluders, infrared).
MICRO_PRESET = dict(
    base='tiny',
    num_train_ids=4,
    num_test_ids=4,
    num_distractor_ids=2,
    distractor_images=3,
    num_cameras=3,
    images_per_cell=2,
    images_per_extra_cell=1,
    ir_images_per_cell=1,
    image_size=(64, 32),
    clothes_size=(32, 32),
    confuser_fraction=0.5,
    shared_outfit_fraction=0.5,
    outfit_group_size=2,
    occlusion_prob=0.5,
)


@pytest.fixture(scope='session')
def micro_preset():
    """The overrides of the micro preset (a fresh copy per use)."""
    return dict(MICRO_PRESET)


@pytest.fixture(scope='session')
def micro_root(tmp_path_factory):
    """SynthOmniReID generated once with the micro preset, seed 0."""
    from mmreid_instruct.datasets.synth.generator import \
        generate_synth_omnireid
    root = tmp_path_factory.mktemp('synth_micro') / 'micro'
    generate_synth_omnireid(root, preset=dict(MICRO_PRESET), seed=0)
    return root
