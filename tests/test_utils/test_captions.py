"""clean_caption: the official caption cleaning, case by case."""
import pytest

from mmreid_instruct.utils import clean_caption


@pytest.mark.parametrize(
    'text,expected',
    [
        ('Do NOT change clothes', 'do not change clothes'),
        # Deleted characters leave nothing behind.
        ("a man's (red) coat, jeans; cap: hat~ #1 * \"x\" ok? yes!",
         'a mans red coat jeans cap hat 1 x ok yes'),
        # '-' and '/' become spaces; runs of white space become one space.
        ('t-shirt/jeans  and\t\tshoes', 't shirt jeans and shoes'),
        # A single tab or newline inside stays; a trailing newline goes.
        ('red\tcoat\n', 'red\tcoat'),
        ('<person> wears a <PERSON> hat', 'person wears a person hat'),
        ('  spaced out  ', 'spaced out'),
        ('...', ''),
    ])
def test_cases(text, expected):
    assert clean_caption(text) == expected


def test_at_most_max_words():
    words = [f'w{i}' for i in range(60)]
    assert clean_caption(' '.join(words)) == ' '.join(words[:50])
    assert clean_caption(' '.join(words[:50])) == ' '.join(words[:50])
    assert clean_caption('a b c', max_words=2) == 'a b'


def test_needs_a_string():
    with pytest.raises(TypeError, match='needs a str'):
        clean_caption(None)
