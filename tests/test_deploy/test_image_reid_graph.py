import pytest
import torch
from tiny_models import as_graph_input, bgr_images, predict_features

from mmreid_instruct.deploy import ImageReIDGraph


@pytest.mark.parametrize('fixture', ['image_reid', 'blind_irm'])
def test_equals_the_predict_mode_feature(fixture, request):
    model = request.getfixturevalue(fixture)
    graph = ImageReIDGraph(model).eval()
    bgr = bgr_images(3, (32, 16), seed=5)
    with torch.no_grad():
        got = graph(as_graph_input(bgr))
    if fixture == 'image_reid':
        want = predict_features(model, bgr, task=None)
    else:
        want = predict_features(model, bgr, texts=['any'] * 3, task='trad')
    assert got.shape == (3, 32)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5)


def test_pre_bn_feature(image_reid):
    graph = ImageReIDGraph(image_reid).eval()
    image_reid.head.test_feature = 'pre'
    try:
        bgr = bgr_images(2, (32, 16), seed=6)
        with torch.no_grad():
            got = graph(as_graph_input(bgr))
        want = predict_features(image_reid, bgr, task=None)
    finally:
        image_reid.head.test_feature = 'bn'
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5)


def test_refuses_models_with_instructions(irm):
    with pytest.raises(ValueError, match='TextInstructReIDGraph'):
        ImageReIDGraph(irm)
    with pytest.raises(TypeError, match='got Linear'):
        ImageReIDGraph(torch.nn.Linear(2, 2))
