import pytest
import torch
from tiny_models import as_graph_input, bgr_images, build_irm, predict_features

from mmreid_instruct.deploy import ImageInstructReIDGraph


def test_equals_the_predict_mode_feature(irm):
    graph = ImageInstructReIDGraph(irm).eval()
    bgr = bgr_images(3, (32, 16), seed=1)
    instruction_bgr = bgr_images(3, (16, 16), seed=2)
    with torch.no_grad():
        got = graph(as_graph_input(bgr), as_graph_input(instruction_bgr))
    want = predict_features(
        irm, bgr, instruction_bgr=instruction_bgr, task='ctcc')
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5)


def test_sizes_come_from_the_backbones(irm):
    graph = ImageInstructReIDGraph(irm)
    assert graph.img_size == (32, 16)
    assert graph.instruction_img_size == (16, 16)
    images, instruction_images = graph.example_inputs(batch_size=2)
    assert images.shape == (2, 3, 32, 16)
    assert instruction_images.shape == (2, 3, 16, 16)
    assert graph.max_length is None


def test_needs_an_image_instruction_encoder():
    with pytest.raises(ValueError, match='image_instruction_encoder'):
        ImageInstructReIDGraph(build_irm(image_instruction_encoder=None))
