"""The model zoo index (model-index.yml, read by mim) is consistent: every
listed config loads, lists its metrics, every published number is in its
README table, and ``Weights:`` appears only for hosted files."""
import numbers
import os.path as osp
import re

import pytest
import yaml
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

#: URL folders where this project's published checkpoints are hosted. A
#: metafile's ``Weights:`` must point into one of them; none is hosted yet,
#: so no metafile may carry ``Weights:`` (use a zoo mirror meanwhile:
#: docs/en/user_guides/model_zoo.md).
HOSTED_WEIGHTS = ()


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


def check_metrics(model):
    """Problems with a model's ``Results:`` (empty when it is fine)."""
    results = model.get('Results') or []
    if not results:
        return [f'{model["Name"]} lists no Results']
    problems = []
    for result in results:
        metrics = result.get('Metrics') or {}
        if not (result.get('Task') and result.get('Dataset') and metrics):
            problems.append(f'{model["Name"]}: a result without Task, '
                            f'Dataset or Metrics: {result}')
        for name, value in metrics.items():
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                problems.append(f'{model["Name"]}: {name} is {value!r}, '
                                'not a number')
    return problems


def check_weights(model, hosted=HOSTED_WEIGHTS):
    """Problems with a model's ``Weights:`` (empty when it is fine)."""
    url = model.get('Weights')
    if url is None:
        return []
    file_name = url.rsplit('/', 1)[-1]
    problems = []
    if not any(url.startswith(base) for base in hosted):
        problems.append(f'{model["Name"]}: Weights: {url} is not under a '
                        f'hosted folder {list(hosted)}; list only hosted '
                        'files')
    if not re.fullmatch(
            rf'{re.escape(model["Name"])}_\d{{8}}-[0-9a-f]{{8}}'
            r'\.pth', file_name):
        problems.append(f'{model["Name"]}: Weights file {file_name} is not '
                        '<name>_<yyyymmdd>-<sha8>.pth (publish_model.py)')
    return problems


@pytest.mark.parametrize(
    'metafile,model,readme', MODELS, ids=[m['Name'] for _, m, _ in MODELS])
def test_model_lists_metrics_and_only_hosted_weights(metafile, model, readme):
    assert check_metrics(model) == [], metafile
    assert check_weights(model) == [], metafile


def test_checks_catch_missing_metrics_and_unhosted_weights():
    good = dict(
        Name='m',
        Results=[dict(Task='ReID', Dataset='D', Metrics=dict(mAP=1.0))])
    assert check_metrics(good) == []
    assert check_metrics(dict(Name='m')) == ['m lists no Results']
    assert len(check_metrics(dict(Name='m', Results=[dict(Task='ReID')]))) \
        == 1
    bad_value = dict(
        Name='m', Results=[dict(Task='T', Dataset='D', Metrics=dict(R1='x'))])
    assert 'not a number' in check_metrics(bad_value)[0]

    hosted = ('https://zoo.example.org/v1/', )
    url = 'https://zoo.example.org/v1/m_20260101-0123abcd.pth'
    assert check_weights(dict(Name='m')) == []
    assert check_weights(dict(Name='m', Weights=url), hosted) == []
    assert 'not under a hosted folder' in check_weights(
        dict(Name='m', Weights=url))[0]
    assert 'is not <name>' in check_weights(
        dict(Name='m', Weights=hosted[0] + 'm.pth'), hosted)[0]
