import os.path as osp
import string
from typing import Dict, Optional

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
