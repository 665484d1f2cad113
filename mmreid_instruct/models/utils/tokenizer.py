import os.path as osp
import string
from typing import Dict, Optional, Sequence

import torch

from .huggingface import resolve_pretrained_folder


def char_vocab() -> Dict[str, int]:
    """The built-in character-level WordPiece vocabulary: BERT's five special
    tokens, then lower-case letters, digits and ASCII punctuation, then the
    word-continuation pieces ``##<letter or digit>``.

    Every word is spelled out character by character, so any English text
    tokenizes without a vocabulary file. The order is fixed: changing it
    would scramble the embeddings of saved checkpoints.

    Returns:
        dict[str, int]: Token to id.

    Example:
        >>> vocab = char_vocab()
        >>> vocab['[PAD]'], vocab['[CLS]'], vocab['a'], len(vocab)
        (0, 2, 5, 109)
    """
    specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    # The pre-tokenizer splits punctuation off, so it never continues a word.
    pieces = ['##' + c for c in string.ascii_lowercase + string.digits]
    return {tok: i for i, tok in enumerate(specials + chars + pieces)}


def build_tokenizer(tokenizer: Optional[str] = None,
                    pretrained_folder: Optional[str] = None):
    """A Hugging Face tokenizer, built offline.

    Args:
        tokenizer (str, optional): ``'char'`` (:func:`char_vocab`), a known
            name or a folder (the tokenizer saved there), or a ``vocab.txt``
            file (a BERT WordPiece tokenizer over its lines). Defaults to
            None: the tokenizer saved in ``pretrained_folder``, else
            ``'char'``.
        pretrained_folder (str, optional): The folder of the pretrained
            model, used when ``tokenizer`` is None. Defaults to None.

    Returns:
        transformers.PreTrainedTokenizerBase: The tokenizer.

    Example:
        >>> tok = build_tokenizer('char')
        >>> tok.tokenize('Red hat')
        ['r', '##e', '##d', 'h', '##a', '##t']
    """
    from transformers import AutoTokenizer, BertTokenizer
    if tokenizer is None:
        if pretrained_folder is not None:
            return AutoTokenizer.from_pretrained(
                pretrained_folder, local_files_only=True)
        tokenizer = 'char'
    if tokenizer == 'char':
        return BertTokenizer(vocab=char_vocab())
    if osp.isfile(tokenizer):
        with open(tokenizer, encoding='utf-8') as f:
            tokens = [line.rstrip('\n') for line in f]
        return BertTokenizer(vocab={tok: i for i, tok in enumerate(tokens)})
    folder = resolve_pretrained_folder(tokenizer, 'tokenizer')
    return AutoTokenizer.from_pretrained(folder, local_files_only=True)


def tokenize_texts(tokenizer,
                   texts: Sequence[str],
                   max_length: int,
                   add_sep_token: bool = True,
                   pad_to_max_length: bool = False) -> Dict[str, torch.Tensor]:
    """Tokenize a batch of texts into padded id and mask tensors.

    The default is BERT's usual input: ``[CLS]`` + word pieces + ``[SEP]``,
    truncated to ``max_length`` and padded to the longest text.
    ``add_sep_token=False, pad_to_max_length=True`` gives the input of the
    official Instruct-ReID code (its ALBEF tokenizer): ``[CLS]`` + word
    pieces, no ``[SEP]``, always padded to exactly ``max_length``. The
    official code does not truncate (a text of more than ``max_length - 1``
    word pieces makes its batch fail to stack); here such a text keeps its
    first ``max_length - 1`` pieces, so every output has the same length.

    Args:
        tokenizer: A Hugging Face tokenizer with ``cls_token_id``,
            ``sep_token_id`` and ``pad_token_id``.
        texts (Sequence[str]): The texts.
        max_length (int): Most tokens per text, specials included.
        add_sep_token (bool): End each text with ``[SEP]``. Defaults to
            True.
        pad_to_max_length (bool): Pad to ``max_length`` instead of to the
            longest text. Defaults to False.

    Returns:
        dict: ``input_ids`` and ``attention_mask`` (1 = real token), both
        LongTensor (B, L).

    Example:
        >>> tok = build_tokenizer('char')
        >>> out = tokenize_texts(tok, ['ab', 'c'], max_length=5,
        ...                      add_sep_token=False, pad_to_max_length=True)
        >>> out["input_ids"].tolist()  # [CLS]=2, a=5, ##b=74, c=7, [PAD]=0
        [[2, 5, 74, 0, 0], [2, 7, 0, 0, 0]]
        >>> out['attention_mask'].tolist()
        [[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]]
    """
    specials = 2 if add_sep_token else 1
    if max_length <= specials:
        raise ValueError(f'max_length={max_length} leaves no room for text '
                         f'after {specials} special token(s)')
    pieces = tokenizer(
        list(texts),
        add_special_tokens=False,
        truncation=True,
        max_length=max_length - specials)['input_ids']
    rows = [[tokenizer.cls_token_id] + ids +
            ([tokenizer.sep_token_id] if add_sep_token else [])
            for ids in pieces]
    length = max_length if pad_to_max_length else max(map(len, rows))
    input_ids = torch.full((len(rows), length),
                           tokenizer.pad_token_id,
                           dtype=torch.long)
    attention_mask = torch.zeros((len(rows), length), dtype=torch.long)
    for i, row in enumerate(rows):
        input_ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
        attention_mask[i, :len(row)] = 1
    return dict(input_ids=input_ids, attention_mask=attention_mask)
