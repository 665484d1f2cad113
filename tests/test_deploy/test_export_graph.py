import pytest
import torch
import torch.nn as nn

from mmreid_instruct.deploy import (EncodedInstructReIDGraph, ExportGraph,
                                    ImageReIDGraph)
from mmreid_instruct.deploy.export_graph import input_size, padded_mask


def test_padded_mask_keeps_two_tokens_at_least():
    mask = padded_mask(5, 3, torch.bool)
    assert mask.dtype == torch.bool
    assert mask.sum(1).tolist() == [3, 2, 2, 2, 2]
    assert mask[:, :2].all()


def test_input_size_needs_a_patch_embedding():
    with pytest.raises(TypeError, match='input size of the backbone'):
        input_size(nn.Linear(2, 2), 'backbone')


def test_normalisation_is_the_preprocessors(image_reid):
    graph = ImageReIDGraph(image_reid)
    pre = image_reid.data_preprocessor
    images = torch.rand(2, 3, 32, 16) * 255
    want = (images - pre.mean) / pre.std
    torch.testing.assert_close(graph.normalize(images), want)
    # The buffers are not in the state dict: checkpoints are unaffected.
    assert 'mean' not in graph.state_dict()


def test_no_normalisation_when_the_preprocessor_has_none(image_reid):
    pre = image_reid.data_preprocessor
    pre._enable_normalize = False
    try:
        graph = ImageReIDGraph(image_reid)
    finally:
        pre._enable_normalize = True
    images = torch.rand(1, 3, 32, 16) * 255
    assert torch.equal(graph.normalize(images), images)


def test_needs_an_image_data_preprocessor():

    class Model(nn.Module):
        data_preprocessor = nn.Identity()

    with pytest.raises(TypeError, match='the model has Identity'):
        ExportGraph(Model())


def test_dynamic_shapes_share_one_batch_dim(irm):
    shapes = EncodedInstructReIDGraph(irm).dynamic_shapes()
    assert sorted(shapes) == ['images', 'instr_mask', 'instr_tokens']
    batch = shapes['images'][0]
    assert shapes['instr_tokens'][0] is batch
    assert shapes['instr_mask'][0] is batch
    length = shapes['instr_tokens'][1]
    assert shapes['instr_mask'][1] is length
    assert length.max == 70 and length.min == 2
