import torch
from tiny_models import TEXTS, as_graph_input, bgr_images, predict_features

from mmreid_instruct.deploy import (EncodedInstructReIDGraph,
                                    TextInstructionGraph)


def test_precomputed_instructions_give_the_predict_mode_feature(irm):
    encoder = TextInstructionGraph(irm).eval()
    graph = EncodedInstructReIDGraph(irm).eval()
    bgr = bgr_images(3, (32, 16), seed=3)
    with torch.no_grad():
        # Each instruction encoded on its own, then padded to one length.
        encoded = [
            encoder(*irm.text_encoder.tokenize([t]).values()) for t in TEXTS
        ]
        length = max(tokens.size(1) for tokens, _, _ in encoded)
        instr_tokens = torch.zeros(3, length, irm.fusion.instr_dims)
        instr_mask = torch.zeros(3, length, dtype=torch.bool)
        for i, (tokens, mask, _) in enumerate(encoded):
            instr_tokens[i, :tokens.size(1)] = tokens[0]
            instr_mask[i, :mask.size(1)] = mask[0]
        got = graph(as_graph_input(bgr), instr_tokens, instr_mask)
    want = predict_features(irm, bgr, texts=TEXTS)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5)


def test_one_fixed_instruction_for_a_batch(irm):
    encoder = TextInstructionGraph(irm).eval()
    graph = EncodedInstructReIDGraph(irm).eval()
    bgr = bgr_images(4, (32, 16), seed=4)
    with torch.no_grad():
        tokens, mask, _ = encoder(
            *irm.text_encoder.tokenize(['do not change clothes']).values())
        got = graph(
            as_graph_input(bgr), tokens.expand(4, -1, -1), mask.expand(4, -1))
    want = predict_features(irm, bgr, texts=['do not change clothes'] * 4)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5)


def test_the_length_axis_covers_text_and_image_instructions(irm):
    graph = EncodedInstructReIDGraph(irm)
    # Text: max_length 70; 16x16 instruction images with 8x8 patches: 5.
    assert graph.max_length == 70
    images, tokens, mask = graph.example_inputs(batch_size=3, length=4)
    assert tokens.shape == (3, 4, 24) and mask.dtype == torch.bool
