import pytest
import torch
from transformers import BertConfig
from transformers.models.bert.modeling_bert import BertOnlyMLMHead

from mmreid_instruct.models.heads import MaskedLMHead
from mmreid_instruct.registry import MODELS

C, V = 16, 40


def hf_head():
    config = BertConfig(
        hidden_size=C, vocab_size=V, hidden_act='gelu', layer_norm_eps=1e-12)
    torch.manual_seed(0)
    head = BertOnlyMLMHead(config).eval()
    for p in head.parameters():
        p.data.normal_()
    return head


def test_equals_hf_bert_mlm_head_with_tied_decoder():
    hf = hf_head()
    word_embeddings = torch.randn(V, C)
    with torch.no_grad():
        hf.predictions.decoder.weight.copy_(word_embeddings)
        hf.predictions.decoder.bias.copy_(hf.predictions.bias)
    # BERT's checkpoint names, without the tied decoder, are ours.
    state = {
        k[len('predictions.'):]: v
        for k, v in hf.state_dict().items() if '.decoder.' not in k
    }
    head = MaskedLMHead(embed_dims=C, vocab_size=V)
    head.load_state_dict(state)  # strict: the same names, nothing left
    hidden = torch.randn(2, 5, C)
    with torch.no_grad():
        torch.testing.assert_close(
            head(hidden, word_embeddings), hf(hidden), atol=1e-5, rtol=1e-5)


def test_decoder_is_the_given_embedding_matrix():
    head = MODELS.build(dict(type='MaskedLMHead', embed_dims=C, vocab_size=V))
    assert set(head.state_dict()) == {
        'transform.dense.weight', 'transform.dense.bias',
        'transform.LayerNorm.weight', 'transform.LayerNorm.bias', 'bias'
    }
    word_embeddings = torch.randn(V, C, requires_grad=True)
    hidden = torch.randn(3, C)
    logits = head(hidden, word_embeddings)
    assert logits.shape == (3, V)
    logits.sum().backward()
    assert word_embeddings.grad.abs().sum() > 0
    # Logit v is the transformed token's dot product with embedding v.
    transformed = head.transform(hidden)
    torch.testing.assert_close(logits[:, 7],
                               transformed @ word_embeddings[7] + head.bias[7])


def test_bert_initialisation():
    head = MaskedLMHead(embed_dims=64, vocab_size=V)
    assert abs(head.transform.dense.weight.std().item() - 0.02) < 0.004
    assert head.bias.abs().max() == 0
    assert (head.transform.LayerNorm.weight == 1).all()


def test_shape_errors():
    head = MaskedLMHead(embed_dims=C, vocab_size=V)
    with pytest.raises(ValueError, match='word_embeddings'):
        head(torch.randn(2, C), torch.randn(V + 1, C))
    with pytest.raises(ValueError, match='hidden'):
        head(torch.randn(2, C + 1), torch.randn(V, C))
