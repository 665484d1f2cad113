"""Caption cleaning of the official Instruct-ReID code."""
import re

#: Characters the official code deletes from captions.
_DELETED = re.compile(r"[,.'!?\"()*#:;~]")
#: Runs of two or more white-space characters (a single one stays as is).
_SPACES = re.compile(r'\s{2,}')


def clean_caption(caption: str, max_words: int = 50) -> str:
    """Clean an instruction text or caption as the official Instruct-ReID
    code does before tokenising it (its ``pre_caption``).

    The text is lower-cased; the characters ``, . ' ! ? " ( ) * # : ; ~``
    are deleted; ``-`` and ``/`` become spaces and ``<person>`` becomes
    ``person``; runs of two or more white-space characters become one
    space; trailing newlines, then leading and trailing spaces are
    stripped; and only the first ``max_words`` space-separated words are
    kept.

    Args:
        caption (str): The text.
        max_words (int): Words kept. Defaults to 50.

    Returns:
        str: The cleaned text.

    Example:
        >>> clean_caption("A man's T-shirt (red),  and jeans/shorts.")
        'a mans t shirt red and jeans shorts'
        >>> clean_caption('one two three four', max_words=2)
        'one two'
    """
    if not isinstance(caption, str):
        raise TypeError(
            f'clean_caption needs a str, got {type(caption).__name__}')
    text = _DELETED.sub('', caption.lower())
    text = text.replace('-', ' ').replace('/', ' ')
    text = text.replace('<person>', 'person')
    text = _SPACES.sub(' ', text).rstrip('\n').strip(' ')
    words = text.split(' ')
    if len(words) > max_words:
        text = ' '.join(words[:max_words])
    return text
