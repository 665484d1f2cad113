"""Determinism, counts and atomic writing of the SynthOmniReID generator."""
import hashlib
import json
import runpy
import threading
from pathlib import Path
from types import SimpleNamespace

import cv2
import pytest

from mmreid_instruct.synth import generator as generator_module
from mmreid_instruct.synth.generator import (GENERATOR_VERSION,
                                             generate_synth_omnireid,
                                             read_meta)
from mmreid_instruct.synth.presets import resolve_preset


def file_hashes(root):
    root = Path(root)
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


#: Digests of the files generated with seed 0 by generator version 1.1
#: (see :func:`content_digest`). They change only with the generator
#: version: a change of output needs a new GENERATOR_VERSION.
DIGESTS = {
    'micro':
    'ae9708e194c6e33a6eb1d1568e0c9c530acc0972642c81a16ec0fc5a9072c6f7',
    'tiny': 'd1972b7aeb948269ef14e9d9fcc7d75c0e076cd049a4357794b3a338d514687a',
}


def content_digest(root):
    """SHA-256 of the file names, the text files and the decoded pixels of
    the PNG files (not their bytes, which depend on the zlib build)."""
    root = Path(root)
    digest = hashlib.sha256()
    for path in sorted(root.rglob('*')):
        if not path.is_file():
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        if path.suffix == '.png':
            pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            digest.update(repr(pixels.shape).encode())
            digest.update(pixels.tobytes())
        else:
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize('root_fixture,preset', [('micro_root', 'micro'),
                                                 ('synth_tiny_root', 'tiny')])
def test_output_of_this_generator_version_is_unchanged(request, root_fixture,
                                                       preset):
    assert GENERATOR_VERSION == '1.1', 'new version: update DIGESTS'
    root = request.getfixturevalue(root_fixture)
    assert content_digest(root) == DIGESTS[preset]


def expected_counts(params):
    """Rows of every list, computed from the preset alone."""
    n_train, n_test = params['num_train_ids'], params['num_test_ids']
    cams = params['num_cameras']
    slots = params['outfits_per_id']
    main = cams * params['images_per_cell']
    every = main + (slots - 1) * cams * params['images_per_extra_cell']
    ir = cams * params['ir_images_per_cell']
    distractors = params['num_distractor_ids'] * params['distractor_images']
    trad_queries = n_test * (cams // 2)
    odd = cams // 2
    return {
        'trad': (n_train * main, trad_queries,
                 n_test * main - trad_queries + distractors),
        'cc': (n_train * every, n_test * slots,
               n_test * (every - slots) + distractors),
        'ctcc': (n_train * every, n_test * slots,
                 n_test * (every - slots) + distractors),
        'li': (n_train * every, n_test * slots,
               n_test * (every - slots) + distractors),
        'vi': (n_train * (main + ir),
               n_test * odd * params['ir_images_per_cell'], None),
        't2i': (n_train * main * params['captions_per_image'], n_test * main,
                n_test * main + distractors),
    }


@pytest.mark.parametrize('root_fixture,preset', [('micro_root', 'micro'),
                                                 ('synth_tiny_root', 'tiny')])
def test_counts_match_preset_and_summary(request, micro_preset, root_fixture,
                                         preset):
    root = Path(request.getfixturevalue(root_fixture))
    _, params = resolve_preset(micro_preset if preset == 'micro' else preset)
    meta = read_meta(root)
    assert meta['generator_version'] == GENERATOR_VERSION
    assert meta['params'] == json.loads(json.dumps(params))
    for task, rows in expected_counts(params).items():
        for subset, count in zip(('train', 'query', 'gallery'), rows):
            lines = (root / 'datalist' /
                     f'{subset}_{task}.txt').read_text().splitlines()
            assert meta['counts'][task][subset]['rows'] == len(lines)
            if count is not None:
                assert len(lines) == count, (task, subset)
            pids = {int(line.split()[2]) for line in lines}
            assert meta['counts'][task][subset]['ids'] == len(pids)
    assert meta['ids'] == dict(
        train=params['num_train_ids'],
        test=params['num_test_ids'],
        distractor=params['num_distractor_ids'])
    images = list((root / 'images').rglob('*.png'))
    files = meta['files']
    assert len(images) == files['rgb_images'] + files['ir_images']
    assert len(list((root / 'clothes' / 'crops').rglob('*.png'))) == \
        files['clothes_crops']
    assert len(list((root / 'clothes' / 'templates').glob('*.png'))) == \
        files['garment_templates']


def test_tiny_sizes(synth_tiny_root):
    counts = read_meta(synth_tiny_root)['counts']
    for task, subsets in counts.items():
        # "a few hundred" training images per task
        assert 200 <= subsets['train']['images'] <= 1000, task


def test_summary_is_meta(tmp_path, micro_preset):
    summary = generate_synth_omnireid(tmp_path / 'd', micro_preset, seed=3)
    assert summary == read_meta(tmp_path / 'd')
    assert summary['seed'] == 3 and summary['preset'] == 'tiny+custom'


def test_deterministic(tmp_path, micro_root, micro_preset):
    generate_synth_omnireid(tmp_path / 'again', micro_preset, seed=0)
    first, again = file_hashes(micro_root), file_hashes(tmp_path / 'again')
    assert len(first) > 100
    assert first == again

    generate_synth_omnireid(tmp_path / 'other', micro_preset, seed=1)
    other = file_hashes(tmp_path / 'other')
    images = [k for k in first if k.startswith('images/')]
    shared = [k for k in images if other.get(k) == first[k]]
    assert not shared
    assert first['datalist/captions.json'] != \
        other['datalist/captions.json']


def test_complete_out_dir_is_left_alone(tmp_path, micro_preset):
    out = tmp_path / 'd'
    generate_synth_omnireid(out, micro_preset, seed=0)
    before = file_hashes(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob('*')}
    assert generate_synth_omnireid(out, micro_preset, seed=0) == \
        read_meta(out)
    with pytest.warns(UserWarning, match='seed'):
        summary = generate_synth_omnireid(out, micro_preset, seed=5)
    assert summary['seed'] == 0
    assert file_hashes(out) == before
    assert mtimes == {p: p.stat().st_mtime_ns for p in out.rglob('*')}
    assert sorted(p.name for p in tmp_path.iterdir()) == ['d']


def test_incomplete_out_dir_is_an_error(tmp_path, micro_preset):
    out = tmp_path / 'd'
    out.mkdir()
    (out / 'stray.txt').write_text('not a dataset')
    with pytest.raises(FileExistsError, match=str(out)):
        generate_synth_omnireid(out, micro_preset)
    # An empty folder is fine.
    empty = tmp_path / 'empty'
    empty.mkdir()
    generate_synth_omnireid(empty, micro_preset)
    assert read_meta(empty) is not None


def test_failure_leaves_nothing(tmp_path, micro_preset, monkeypatch):

    def broken(*args, **kwargs):
        raise RuntimeError('renderer broke')

    monkeypatch.setattr(generator_module, 'render_template', broken)
    with pytest.raises(RuntimeError, match='renderer broke'):
        generate_synth_omnireid(tmp_path / 'd', micro_preset)
    assert list(tmp_path.iterdir()) == []


def test_losing_the_rename_race_keeps_the_winner(tmp_path, micro_preset,
                                                 monkeypatch):
    out = tmp_path / 'd'
    build = generator_module._build

    def build_while_another_process_finishes(root, *args):
        meta = build(root, *args)
        monkeypatch.setattr(generator_module, '_build', build)
        generate_synth_omnireid(out, micro_preset, seed=0)  # the winner
        return meta

    monkeypatch.setattr(generator_module, '_build',
                        build_while_another_process_finishes)
    summary = generate_synth_omnireid(out, micro_preset, seed=0)
    assert summary == read_meta(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['d']


def test_concurrent_generators(tmp_path, micro_preset):
    out = tmp_path / 'd'
    results, errors = [], []

    def run():
        try:
            results.append(generate_synth_omnireid(out, micro_preset))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results[0] == results[1] == read_meta(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['d']
    generate_synth_omnireid(tmp_path / 'ref', micro_preset)
    assert file_hashes(out) == file_hashes(tmp_path / 'ref')


@pytest.mark.parametrize('seed', [-1, 1.5, True])
def test_bad_seed(tmp_path, seed):
    with pytest.raises(ValueError, match='seed'):
        generate_synth_omnireid(tmp_path / 'd', 'tiny', seed=seed)


TOOL = Path(__file__).parents[2] / 'tools' / 'dataset_converters' / \
    'make_synth_omnireid.py'


def test_command_line_tool(tmp_path, capsys):
    tool = SimpleNamespace(**runpy.run_path(str(TOOL)))
    out = tmp_path / 'd'
    args = [
        '--out',
        str(out), '--seed', '2', '--set', 'num_train_ids=3', 'num_test_ids=3',
        'num_distractor_ids=1', 'num_cameras=3', 'image_size=(64, 32)',
        'clothes_size=(32, 32)'
    ]
    tool.main(args)
    printed = capsys.readouterr().out
    meta = read_meta(out)
    assert meta['seed'] == 2 and meta['params']['num_train_ids'] == 3
    assert 'trad  train' in printed and f'Generated {out}' in printed
    tool.main(args)
    assert 'already complete' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='KEY=VALUE'):
        tool.main(['--out', str(out), '--set', 'oops'])
