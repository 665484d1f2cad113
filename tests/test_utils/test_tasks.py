import pytest

from mmreid_instruct.utils import TASKS, normalize_task


@pytest.mark.parametrize('name,key', [('sc', 'trad'), ('trad', 'trad'),
                                      ('CC', 'cc'), ('ctcc', 'ctcc'),
                                      ('attr', 'li'), ('cross', 'vi'),
                                      ('t2i', 't2i'),
                                      ('visible-infrared', 'vi')])
def test_both_spellings_are_accepted(name, key):
    assert normalize_task(name) == key


def test_canonical_keys_map_to_themselves():
    assert [normalize_task(t) for t in TASKS] == list(TASKS)


def test_unknown_task_names_the_accepted_ones():
    with pytest.raises(ValueError, match="'trad'"):
        normalize_task('pose')


def test_task_facts_use_canonical_keys():
    from mmreid_instruct.utils import (CLOTHES_MATCHING_TASKS,
                                       IMAGE_INSTRUCTION_TASKS, MODALITIES,
                                       VI_DIRECTIONS)
    assert set(CLOTHES_MATCHING_TASKS) == {'li', 'ctcc'}
    assert set(IMAGE_INSTRUCTION_TASKS) == {'cc', 'ctcc'}
    assert set(CLOTHES_MATCHING_TASKS) | set(IMAGE_INSTRUCTION_TASKS) <= set(
        TASKS)
    # Each direction searches one modality's queries in the other's gallery.
    assert VI_DIRECTIONS == {'ir2vis': ('ir', 'rgb'), 'vis2ir': ('rgb', 'ir')}
    for query, gallery in VI_DIRECTIONS.values():
        assert {query, gallery} == set(MODALITIES)
