"""ModelHub / list_models read model-index.yml and its metafiles."""
import os.path as osp

import pytest
import yaml

from mmreid_instruct.apis import ModelHub, list_models
from mmreid_instruct.apis.model_hub import find_model_index

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def metafile_names():
    """Every model name in the repository's metafiles, read directly."""
    with open(osp.join(REPO, 'model-index.yml')) as f:
        imports = yaml.safe_load(f)['Import']
    names = []
    for metafile in imports:
        with open(osp.join(REPO, metafile)) as f:
            names += [m['Name'] for m in yaml.safe_load(f)['Models']]
    return names


@pytest.fixture
def own_hub(monkeypatch):
    """The hub with the package's models; changes are undone after."""
    ModelHub.names()
    monkeypatch.setattr(ModelHub, '_models', dict(ModelHub._models))


def write_index(folder, models, collections=()):
    (folder / 'configs').mkdir(exist_ok=True)
    for model in models:
        (folder / model['Config']).write_text('model = dict(type="X")\n')
    (folder / 'meta.yml').write_text(
        yaml.safe_dump(
            dict(Collections=list(collections), Models=list(models))))
    (folder / 'model-index.yml').write_text(
        yaml.safe_dump(dict(Import=['meta.yml'])))
    return str(folder / 'model-index.yml')


def test_source_checkout_uses_repository_index():
    assert find_model_index() == osp.join(REPO, 'model-index.yml')


def test_list_models_is_every_metafile_model():
    names = metafile_names()
    assert len(names) >= 5
    assert list_models() == sorted(names)


def test_list_models_pattern():
    assert list_models('baseline') == ['baseline_vit-tiny_synth-omnireid-tiny']
    assert list_models('IRM-BLIND') == [
        'irm-blind_vit-tiny_synth-omnireid-small',
        'irm-blind_vit-tiny_synth-omnireid-tiny'
    ]
    assert list_models('*small') == sorted(n for n in metafile_names()
                                           if n.endswith('small'))
    assert list_models('irm_?it-tiny*tiny') == [
        'irm_vit-tiny_quick-start_synth-omnireid-tiny',
        'irm_vit-tiny_synth-omnireid-tiny'
    ]
    assert list_models('nothing*') == []


def test_get_model_info():
    info = ModelHub.get('Baseline_ViT-tiny_synth-omnireid-tiny')
    assert info.name == 'baseline_vit-tiny_synth-omnireid-tiny'
    assert info.config == osp.join(REPO, 'configs', 'baseline',
                                   'baseline_vit-tiny_synth-omnireid-tiny.py')
    assert info.weights is None
    assert info.collection == 'Baseline'
    # Collection metadata under the model's own.
    assert info.metadata['Architecture'] == ['Vision Transformer', 'BN neck']
    assert info.metadata['Training Data'] == 'SynthOmniReID tiny'
    assert info.results[0]['Metrics']['mAP'] == 55.51
    assert info.metafile == osp.join(REPO, 'configs', 'baseline',
                                     'metafile.yml')
    assert ModelHub.has('BASELINE_vit-tiny_synth-omnireid-tiny')
    assert not ModelHub.has('baseline')
    info.metadata.clear()
    assert ModelHub.get(info.name).metadata, 'get must return a copy'


def test_unknown_name():
    with pytest.raises(
            ValueError, match="No model named 'irm_vit-huge'.*"
            'list_models'):
        ModelHub.get('irm_vit-huge')
    with pytest.raises(
            ValueError,
            match="Similar names: .*'irm_vit-tiny_synth-omnireid-"
            "tiny'"):
        ModelHub.get('irm_vit-tiny_synth-omnireid-tny')


def test_register_another_index(tmp_path, own_hub):
    index = write_index(
        tmp_path, [
            dict(
                Name='my_model',
                Config='configs/my_model.py',
                Weights='https://h/zoo/my_model_20260101-0123abcd.pth',
                **{'In Collection': 'Mine'})
        ],
        collections=[dict(Name='Mine', Metadata={'Training Data': 'X'})])
    assert ModelHub.register_model_index(index) == ['my_model']
    assert 'my_model' in list_models()
    info = ModelHub.get('my_model')
    assert info.config == str(tmp_path / 'configs' / 'my_model.py')
    assert info.weights.endswith('-0123abcd.pth')
    assert info.metadata == {'Training Data': 'X'}


def test_config_prefix(tmp_path, own_hub):
    index = write_index(tmp_path, [dict(Name='m', Config='configs/m.py')])
    ModelHub.register_model_index(index, config_prefix=str(tmp_path / 'x'))
    assert ModelHub.get('m').config == str(tmp_path / 'x' / 'configs' / 'm.py')


def test_duplicate_names_are_refused(tmp_path, own_hub):
    index = write_index(
        tmp_path,
        [dict(Name='IRM_vit-tiny_synth-omnireid-tiny', Config='configs/m.py')])
    with pytest.raises(ValueError, match='also listed in .*irm.metafile.yml'):
        ModelHub.register_model_index(index)


@pytest.mark.parametrize('missing', ['Name', 'Config'])
def test_model_without_name_or_config(tmp_path, own_hub, missing):
    model = dict(Name='m', Config='configs/m.py')
    write_index(tmp_path, [model])
    del model[missing]
    (tmp_path / 'meta.yml').write_text(yaml.safe_dump(dict(Models=[model])))
    with pytest.raises(
            ValueError, match=f'meta.yml: model #1 has no '
            f'{missing}'):
        ModelHub.register_model_index(str(tmp_path / 'model-index.yml'))


def test_missing_metafile(tmp_path, own_hub):
    (tmp_path / 'model-index.yml').write_text('Import: [absent.yml]\n')
    with pytest.raises(FileNotFoundError, match='absent.yml'):
        ModelHub.register_model_index(str(tmp_path / 'model-index.yml'))
