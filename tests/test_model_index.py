"""The model zoo index (model-index.yml, read by mim) is consistent: every
listed config loads, and every published number is in its README table."""
import os.path as osp

import pytest
import yaml
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_yaml(path):
    with open(osp.join(REPO, path), encoding='utf-8') as f:
        return yaml.safe_load(f)


def models():
    for metafile in load_yaml('model-index.yml')['Import']:
        meta = load_yaml(metafile)
        readmes = {c['Name']: c['README'] for c in meta['Collections']}
        for model in meta['Models']:
            yield metafile, model, readmes[model['In Collection']]


MODELS = list(models())


def test_index_lists_every_metafile():
    listed = set(load_yaml('model-index.yml')['Import'])
    assert listed == {
        'configs/baseline/metafile.yml', 'configs/irm/metafile.yml'
    }


@pytest.mark.parametrize(
    'metafile,model,readme', MODELS, ids=[m['Name'] for _, m, _ in MODELS])
def test_model_config_and_numbers(metafile, model, readme):
    config = model['Config']
    assert osp.splitext(osp.basename(config))[0] == model['Name']
    Config.fromfile(osp.join(REPO, config))
    with open(osp.join(REPO, readme), encoding='utf-8') as f:
        text = f.read()
    assert osp.basename(config) in text
    for result in model['Results']:
        for name, value in result['Metrics'].items():
            assert f'{value:.2f}' in text, (metafile, model['Name'], name)
