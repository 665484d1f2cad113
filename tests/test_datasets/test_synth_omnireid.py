import json
import os.path as osp

import pytest

from mmreid_instruct.datasets import SynthOmniReID
from mmreid_instruct.synth import MICRO_OVERRIDES
from mmreid_instruct.utils import TASKS


def test_generates_on_first_use_and_reads_every_task(tmp_path):
    root = str(tmp_path / 'synth')
    preset = dict(MICRO_OVERRIDES)
    meta = None
    for task in TASKS:
        for subset in ('train', 'query', 'gallery'):
            dataset = SynthOmniReID(
                data_root=root, task=task, subset=subset, preset=preset)
            if meta is None:
                meta = json.load(open(osp.join(root, 'meta.json')))
            assert len(dataset) == meta['counts'][task][subset]['rows']
            info = dataset.get_data_info(0)
            assert info['task'] == task and info['subset'] == subset
            assert info['dataset_name'] == 'synth_omnireid'
    train = SynthOmniReID(data_root=root, task='sc', preset=preset)
    assert sorted(set(train.get_pids())) == list(range(4))  # relabelled


def test_other_settings_in_data_root_are_an_error(tmp_path):
    root = str(tmp_path / 'synth')
    preset = dict(MICRO_OVERRIDES)
    SynthOmniReID(data_root=root, preset=preset)
    with pytest.raises(ValueError, match=r"differ in \['seed'\]"):
        SynthOmniReID(data_root=root, preset=preset, seed=1)
    with pytest.raises(ValueError, match=r"differ in \['params', 'preset'\]"):
        SynthOmniReID(data_root=root, preset='tiny')
    # A folder made by another version of the generator is not reused.
    meta_file = osp.join(root, 'meta.json')
    meta = json.load(open(meta_file))
    meta['generator_version'] = '0.9'
    with open(meta_file, 'w') as f:
        json.dump(meta, f)
    with pytest.raises(ValueError, match='Delete .* to generate it again'):
        SynthOmniReID(data_root=root, preset=preset)
