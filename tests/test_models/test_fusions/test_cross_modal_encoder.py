import math

import pytest
import torch
from transformers import BertConfig
from transformers.models.bert.modeling_bert import BertLayer

from mmreid_instruct.models.fusions import CrossModalEncoder
from mmreid_instruct.registry import MODELS

C, HEADS, FFN, CI = 16, 4, 32, 12


def build(num_layers=2, encoder_dims=CI):
    torch.manual_seed(0)
    encoder = CrossModalEncoder(
        num_layers=num_layers,
        embed_dims=C,
        num_heads=HEADS,
        feedforward_channels=FFN,
        encoder_dims=encoder_dims)
    # Parameters larger than BERT's initial ones, so that pre-activations
    # reach the range where an approximate GELU or a swapped parameter shows.
    for name, p in encoder.named_parameters():
        if 'LayerNorm' in name and name.endswith('weight'):
            p.data.uniform_(0.5, 1.5)
        elif name.endswith('weight'):
            p.data.normal_(0., 0.5)
        else:
            p.data.uniform_(-0.5, 0.5)
    return encoder.eval()


def linear(x, module):
    return x @ module.weight.t() + module.bias


def layer_norm(x, module, eps=1e-12):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean)**2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * module.weight + module.bias


def gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def reference_attention(x, kv, valid, block):
    """One sample: explicit per-head softmax attention over the valid keys,
    then BERT's post-norm residual."""
    d = C // HEADS
    q, k, v = (linear(x, block.self.query), linear(kv, block.self.key),
               linear(kv, block.self.value))
    heads = []
    for h in range(HEADS):
        sl = slice(h * d, (h + 1) * d)
        scores = q[:, sl] @ k[valid, sl].t() / math.sqrt(d)
        heads.append(torch.softmax(scores, dim=-1) @ v[valid, sl])
    out = linear(torch.cat(heads, dim=-1), block.output.dense)
    return layer_norm(out + x, block.output.LayerNorm)


def reference_encoder(encoder, text, text_mask, image):
    outputs = []
    for b in range(len(text)):
        x, valid = text[b], text_mask[b].bool()
        image_valid = torch.ones(len(image[b]), dtype=torch.bool)
        for layer in encoder.layers:
            x = reference_attention(x, x, valid, layer.attention)
            x = reference_attention(x, image[b], image_valid,
                                    layer.crossattention)
            h = gelu(linear(x, layer.intermediate.dense))
            x = layer_norm(
                linear(h, layer.output.dense) + x, layer.output.LayerNorm)
        outputs.append(x)
    return torch.stack(outputs)


def test_matches_per_layer_loop_reference():
    encoder = build()
    torch.manual_seed(1)
    text, image = torch.randn(3, 6, C), torch.randn(3, 5, CI)
    text_mask = torch.tensor([[1] * 6, [1] * 4 + [0] * 2, [1, 1] + [0] * 4])
    out = encoder(text, text_mask, image)
    expected = reference_encoder(encoder, text, text_mask, image)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    # Bool masks act like 0/1 ones; padding does not change valid tokens.
    torch.testing.assert_close(encoder(text, text_mask.bool(), image), out)
    torch.testing.assert_close(
        encoder(text[2:, :2], None, image[2:])[0],
        out[2, :2],
        atol=1e-5,
        rtol=1e-5)


def test_image_mask_drops_image_tokens():
    encoder = build(num_layers=1)
    torch.manual_seed(2)
    text, image = torch.randn(2, 4, C), torch.randn(2, 5, CI)
    image_mask = torch.tensor([[1, 1, 1, 0, 0], [1] * 5])
    out = encoder(text, None, image, image_mask)
    torch.testing.assert_close(
        out[0],
        encoder(text[:1], None, image[:1, :3])[0],
        atol=1e-5,
        rtol=1e-5)
    assert not torch.allclose(out[0], encoder(text[:1], None, image[:1])[0])


def hf_layer_keys():
    config = BertConfig(
        hidden_size=C,
        num_attention_heads=HEADS,
        intermediate_size=FFN,
        is_decoder=True,
        add_cross_attention=True)
    return set(BertLayer(config).state_dict())


def test_state_dict_names_are_hf_bert_layer_names():
    encoder = build(num_layers=3)
    hf_keys = hf_layer_keys()
    assert 'crossattention.self.key.weight' in hf_keys
    expected = {f'layers.{i}.{k}' for i in range(3) for k in hf_keys}
    assert set(encoder.state_dict()) == expected


def test_matches_hf_bert_layers_run_non_causal():
    """HF's BertLayer with cross-attention, given an explicit additive 4D
    self-attention mask (eager attention adds it; no causal mask is made),
    is the non-causal multimodal layer."""
    encoder = build(num_layers=2, encoder_dims=C)
    config = BertConfig(
        hidden_size=C,
        num_attention_heads=HEADS,
        intermediate_size=FFN,
        is_decoder=True,
        add_cross_attention=True,
        hidden_act='gelu',
        layer_norm_eps=1e-12,
        attn_implementation='eager')
    hf_layers = [BertLayer(config).eval() for _ in range(2)]
    for i, hf_layer in enumerate(hf_layers):
        hf_layer.load_state_dict(encoder.layers[i].state_dict())
    torch.manual_seed(3)
    text, image = torch.randn(2, 6, C), torch.randn(2, 5, C)
    text_mask = torch.tensor([[1] * 6, [1] * 3 + [0] * 3])
    additive = (1. - text_mask[:, None, None, :].float()) * \
        torch.finfo(torch.float32).min
    x = text
    with torch.no_grad():
        for hf_layer in hf_layers:
            x = hf_layer(
                x,
                attention_mask=additive,
                encoder_hidden_states=image,
                encoder_attention_mask=None)
        out = encoder(text, text_mask, image)
    torch.testing.assert_close(out, x, atol=1e-5, rtol=1e-5)
    # A causal self-attention would differ: the test can tell.
    causal = additive + torch.full((6, 6), float('-inf')).triu(1)
    with torch.no_grad():
        y = hf_layers[0](
            text, attention_mask=causal, encoder_hidden_states=image)
        first = encoder.layers[0](text, text_mask.bool(), image, None)
    assert not torch.allclose(y, first, atol=1e-3)


def test_bert_initialisation_and_registry():
    encoder = MODELS.build(
        dict(
            type='CrossModalEncoder',
            num_layers=1,
            embed_dims=64,
            num_heads=4,
            feedforward_channels=256))
    layer = encoder.layers[0]
    assert layer.crossattention.self.key.in_features == 64
    weight = layer.intermediate.dense.weight
    assert abs(weight.std().item() - 0.02) < 0.003
    assert layer.intermediate.dense.bias.abs().max() == 0
    assert (layer.output.LayerNorm.weight == 1).all()


def test_dropout_only_in_training():
    encoder = build(num_layers=1)
    text, image = torch.randn(2, 4, C), torch.randn(2, 3, CI)
    torch.testing.assert_close(
        encoder(text, None, image), encoder(text, None, image))
    encoder.train()
    torch.manual_seed(0)
    a = encoder(text, None, image)
    assert not torch.allclose(a, encoder(text, None, image))


def test_gradients_flow_to_text_and_image():
    encoder = build(num_layers=1).train()
    text = torch.randn(2, 4, C, requires_grad=True)
    image = torch.randn(2, 3, CI, requires_grad=True)
    encoder(text, torch.ones(2, 4), image).sum().backward()
    assert text.grad.abs().sum() > 0 and image.grad.abs().sum() > 0


@pytest.mark.parametrize('bad, match', [
    (dict(text=torch.randn(2, 4, C + 1)), 'text_tokens'),
    (dict(image=torch.randn(2, 3, CI + 1)), 'image_tokens'),
    (dict(text_mask=torch.ones(2, 5)), 'text_mask'),
    (dict(image_mask=torch.ones(2, 4)), 'image_mask'),
])
def test_shape_errors_name_the_argument(bad, match):
    encoder = build(num_layers=1)
    args = dict(
        text=torch.randn(2, 4, C),
        text_mask=torch.ones(2, 4),
        image=torch.randn(2, 3, CI),
        image_mask=None)
    args.update(bad)
    with pytest.raises(ValueError, match=match):
        encoder(args['text'], args['text_mask'], args['image'],
                args['image_mask'])


def test_heads_must_divide_width():
    with pytest.raises(ValueError, match='num_heads'):
        CrossModalEncoder(num_layers=1, embed_dims=10, num_heads=4)
