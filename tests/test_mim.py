"""An installed (non-editable) package carries ``mmreid_instruct/.mim``:
the model zoo works from it, and so do ``mim search`` and ``mim download``
(run only where openmim is installed)."""
import importlib.util
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PROJECT_FILES = ('setup.py', 'README.md', 'MANIFEST.in', 'model-index.yml',
                 'requirements', 'mmreid_instruct', 'configs', 'tools', 'demo')
HOSTED = 'baseline_vit-tiny_synth-omnireid-tiny'
UNHOSTED = 'irm_vit-tiny_synth-omnireid-tiny'
HAS_MIM = importlib.util.find_spec('mim') is not None


def run(command, cwd, env=None, timeout=300):
    return subprocess.run(
        command,
        cwd=str(cwd),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)


def copy_project(dest):
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim', '*.pth',
                                    '*.egg-info', 'build')
    for name in PROJECT_FILES:
        src = osp.join(REPO, name)
        if osp.isdir(src):
            shutil.copytree(src, dest / name, ignore=ignore)
        elif osp.exists(src):
            shutil.copyfile(src, dest / name)


def host_weights(src, url):
    """Give model ``HOSTED`` a ``Weights:`` URL in the copied metafile."""
    path = src / 'configs' / 'baseline' / 'metafile.yml'
    meta = yaml.safe_load(path.read_text())
    for model in meta['Models']:
        if model['Name'] == HOSTED:
            model['Weights'] = url
    path.write_text(yaml.safe_dump(meta, sort_keys=False))


@pytest.mark.slow
def test_installed_package_has_mim_files(tmp_path, serve_folder):
    served = tmp_path / 'served'
    served.mkdir()
    weights = f'{HOSTED}_20260101-0123abcd.pth'
    (served / weights).write_bytes(b'not really a checkpoint')
    base, requests = serve_folder(served)
    src = tmp_path / 'src'
    src.mkdir()
    copy_project(src)
    host_weights(src, base + weights)

    target = tmp_path / 'site'
    built = run([
        sys.executable, '-m', 'pip', 'install', '--no-deps',
        '--no-build-isolation', '--no-index', '--target',
        str(target),
        str(src)
    ], tmp_path)
    if built.returncode != 0 and 'bdist_wheel' in built.stderr:
        pytest.skip('this setuptools cannot build wheels without `wheel`')
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]

    mim = target / 'mmreid_instruct' / '.mim'
    assert (mim / 'model-index.yml').is_file()
    assert not (mim / 'configs').is_symlink()
    assert (mim / 'configs' / 'irm' / f'{UNHOSTED}.py').is_file()
    assert (mim / 'configs' / 'irm' / 'metafile.yml').is_file()
    assert (mim / 'tools' / 'model_converters' / 'publish_model.py').is_file()
    if (src / 'demo').is_dir():
        assert any((mim / 'demo').iterdir())

    env = dict(os.environ, PYTHONPATH=str(target), OMP_NUM_THREADS='1')
    listed = run([
        sys.executable, '-c', 'import json, mmreid_instruct\n'
        'from mmreid_instruct.apis import ModelHub, list_models\n'
        'from mmreid_instruct.apis.model_hub import find_model_index\n'
        'print(json.dumps([mmreid_instruct.__file__, find_model_index(), '
        f'list_models(), ModelHub.get({HOSTED!r}).config]))'
    ], tmp_path, env)
    assert listed.returncode == 0, listed.stderr[-3000:]
    package_file, index, names, config = json.loads(
        listed.stdout.strip().splitlines()[-1])
    assert package_file.startswith(str(target))
    assert index == str(mim / 'model-index.yml')
    assert HOSTED in names and UNHOSTED in names
    assert config.startswith(str(mim / 'configs'))

    if not HAS_MIM:
        pytest.skip('openmim is not installed')
    searched = run([sys.executable, '-m', 'mim', 'search', 'mmreid_instruct'],
                   tmp_path, env)
    assert searched.returncode == 0, searched.stderr[-3000:]
    for name in names:
        assert f'config id: {name}' in searched.stdout

    dest = tmp_path / 'downloads'
    downloaded = run([
        sys.executable, '-m', 'mim', 'download', 'mmreid_instruct', '--config',
        HOSTED, '--dest',
        str(dest)
    ], tmp_path, env)
    assert downloaded.returncode == 0, downloaded.stderr[-3000:]
    assert sorted(os.listdir(dest)) == sorted([weights, f'{HOSTED}.py'])
    assert requests == ['/' + weights]

    # openmim 0.3.9 needs a Weights: URL: for a model without one it stops
    # with an error before writing anything (see model_zoo.md).
    unhosted = run([
        sys.executable, '-m', 'mim', 'download', 'mmreid_instruct', '--config',
        UNHOSTED, '--dest',
        str(dest)
    ], tmp_path, env)
    assert unhosted.returncode != 0
    assert f'{UNHOSTED}.py' not in os.listdir(dest)
