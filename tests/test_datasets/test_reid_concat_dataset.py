"""ReIDConcatDataset: (index, seed) pass-through and shared defaults."""
import pytest

from mmreid_instruct.datasets import ReIDConcatDataset, SynthOmniReID
from mmreid_instruct.datasets.reid_concat_dataset import with_defaults
from mmreid_instruct.utils import register_all_modules

register_all_modules()


def test_defaults_fill_what_a_config_does_not_set(synth_tiny_root, tmp_path):
    concat = ReIDConcatDataset(
        datasets=[
            dict(type='SynthOmniReID', task='trad', subset='query'),
            dict(
                type='SynthOmniReID',
                task='cc',
                subset='query',
                data_root=synth_tiny_root),
        ],
        defaults=dict(data_root=synth_tiny_root, preset='tiny'))
    trad = SynthOmniReID(
        data_root=synth_tiny_root, task='trad', subset='query')
    assert len(concat.datasets[0]) == len(trad)
    assert [d.task for d in concat.datasets] == ['trad', 'cc']
    # A key set by a config wins over the default.
    configs = with_defaults([dict(type='X', data_root='own')],
                            dict(data_root='shared', seed=1))
    assert configs == [dict(type='X', data_root='own', seed=1)]


def test_index_seed_pairs_reach_the_sub_dataset(synth_tiny_root):
    concat = ReIDConcatDataset(
        datasets=[
            dict(type='SynthOmniReID', task=task, subset='query')
            for task in ('trad', 'cc')
        ],
        defaults=dict(data_root=synth_tiny_root))
    last = len(concat) - 1
    record = concat[(last, 7)]  # no pipeline: the record itself
    cc = concat.datasets[1]
    assert record['img_path'] == cc.get_data_info(len(cc) - 1)['img_path']
    assert record['task'] == 'cc'


def test_defaults_need_configs():
    built = object()
    with pytest.raises(TypeError, match=r'datasets\[0\] is a built object'):
        with_defaults([built], dict(data_root='x'))
    assert with_defaults([built], None) == [built]
