import pytest
import torch
from tiny_models import TEXTS, as_graph_input, bgr_images, predict_features

from mmreid_instruct.deploy import TextInstructReIDGraph


def test_equals_the_predict_mode_feature(irm):
    # The model gets BGR through its data preprocessor, the graph RGB.
    graph = TextInstructReIDGraph(irm).eval()
    bgr = bgr_images(3, (32, 16))
    tokens = irm.text_encoder.tokenize(TEXTS)
    assert not tokens['attention_mask'].all()  # padding is exercised
    with torch.no_grad():
        got = graph(
            as_graph_input(bgr), tokens['input_ids'], tokens['attention_mask'])
    want = predict_features(irm, bgr, texts=TEXTS)
    assert got.shape == (3, irm.head.out_channels)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5)


def test_example_inputs_follow_the_tokenizer(irm):
    graph = TextInstructReIDGraph(irm)
    images, ids, mask = graph.example_inputs(batch_size=4, length=6)
    assert images.shape == (4, 3, 32, 16)
    assert 0 <= images.min() and images.max() <= 255
    assert ids.shape == mask.shape == (4, 6)
    tokenizer = irm.text_encoder.tokenizer
    assert (ids[:, 0] == tokenizer.cls_token_id).all()
    assert (ids[mask == 0] == tokenizer.pad_token_id).all()
    assert mask.sum(1).tolist() == [6, 5, 4, 3]
    assert graph.max_length == irm.text_encoder.max_length


def test_refuses_models_without_instructions(blind_irm, image_reid):
    with pytest.raises(ValueError, match='instruction_blind=True'):
        TextInstructReIDGraph(blind_irm)
    with pytest.raises(TypeError, match='InstructReID model, got ImageReID'):
        TextInstructReIDGraph(image_reid)
