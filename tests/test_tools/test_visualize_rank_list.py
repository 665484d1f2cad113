"""tools/analysis_tools/visualize_rank_list.py on dumps written by the real
metrics over hand-made samples."""
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from script_loader import load_script

from mmreid_instruct.evaluation.metrics import ReIDMetric, T2IMetric
from mmreid_instruct.structures import ReIDDataSample
from mmreid_instruct.visualization import (CORRECT_COLOR, JUNK_COLOR,
                                           WRONG_COLOR)
from mmreid_instruct.visualization.rank_list import (BORDER, COLUMN_HEIGHT,
                                                     COLUMN_WIDTH, LINE_HEIGHT,
                                                     PAD, SEPARATOR)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'visualize_rank_list.py')
tool = load_script(TOOL)

WHITE = [255, 255, 255]


def sample(feat,
           pid,
           camid,
           subset,
           idx,
           img_path,
           task='trad',
           instruction='do not change clothes',
           instruction_img_path=None,
           clothes=-1):
    data = ReIDDataSample(
        metainfo=dict(
            subset=subset,
            sample_idx=idx,
            dataset_name='toy',
            img_path=img_path,
            instruction_img_path=instruction_img_path))
    data.set_pid(pid).set_camid(camid).set_clothes_id(clothes)
    data.set_modality('rgb').set_task(task).set_instruction(instruction)
    data.set_pred_feature(torch.tensor(feat, dtype=torch.float32))
    return data.to_dict()


def write_images(root, names):
    """Solid images under ``root/img`` (one colour each); relative paths."""
    (root / 'img').mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        cv2.imwrite(
            str(root / 'img' / name),
            np.full((64, 32, 3), (40 * i, 100, 200 - 30 * i), np.uint8))
    return [f'img/{name}' for name in names]


def evaluate(metric, samples):
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def trad_dump(root, img_root=None):
    """Two queries, four gallery items (as in the ReIDMetric tests).

    Query 0 at (0, 0), person 1, camera 0, ranks g2 (person 1, camera 0:
    junk), g0 (person 2: wrong), g1 (person 1, camera 1: correct). Query 1
    at (10, 0), person 2, ranks g3 and g0 (person 2, camera 1: correct),
    then g2 (person 1: wrong).
    """
    img_root = img_root or root
    q0, q1, g0, g1, g2, g3 = write_images(
        img_root, ['q0.png', 'q1.png', 'g0.png', 'g1.png', 'g2.png', 'g3.png'])
    samples = [
        sample([0., 0.], 1, 0, 'query', 0, q0),
        sample([10., 0.], 2, 0, 'query', 1, q1),
        sample([1., 0.], 2, 1, 'gallery', 0, g0),
        sample([0., 2.], 1, 1, 'gallery', 1, g1),
        sample([0., 0.], 1, 0, 'gallery', 2, g2),
        sample([10., 1.], 2, 1, 'gallery', 3, g3),
    ]
    out = root / 'ranks.json'
    evaluate(ReIDMetric(rank_list=dict(out_file=str(out), topk=3)), samples)
    return out


def match_frame(strip, rank, top=PAD, query_width=COLUMN_WIDTH):
    """The distinct colours of the frame of match ``rank`` (1-based)."""
    x = PAD + query_width + SEPARATOR + (rank - 1) * (COLUMN_WIDTH + PAD)
    picture = strip[top:top + COLUMN_HEIGHT, x:x + COLUMN_WIDTH]
    ring = np.concatenate([
        picture[:BORDER].reshape(-1, 3), picture[-BORDER:].reshape(-1, 3),
        picture[:, :BORDER].reshape(-1, 3), picture[:,
                                                    -BORDER:].reshape(-1, 3)
    ])
    return np.unique(ring, axis=0).tolist()


def read_rgb(path):
    return cv2.imread(str(path))[..., ::-1]


def test_trad_dump_frames_follow_the_protocol(tmp_path, monkeypatch):
    dump = trad_dump(tmp_path)
    monkeypatch.chdir(tmp_path)  # the dump's paths are relative
    out = tmp_path / 'pictures'
    assert tool.main([str(dump), '--out-dir', str(out)]) == 0
    files = sorted(p.name for p in (out / 'toy_trad').iterdir())
    assert files == ['q00000.png', 'q00001.png']
    first = read_rgb(out / 'toy_trad' / 'q00000.png')
    # Instruction line above; 3 matches; '#k', distance, pid under each.
    assert first.shape == (2 * PAD + LINE_HEIGHT + COLUMN_HEIGHT +
                           3 * LINE_HEIGHT,
                           2 * PAD + 4 * COLUMN_WIDTH + 2 * PAD + SEPARATOR, 3)
    top = PAD + LINE_HEIGHT
    assert match_frame(first, 1, top) == [list(JUNK_COLOR)]
    assert match_frame(first, 2, top) == [list(WRONG_COLOR)]
    assert match_frame(first, 3, top) == [list(CORRECT_COLOR)]
    second = read_rgb(out / 'toy_trad' / 'q00001.png')
    frames = [match_frame(second, k, top) for k in (1, 2, 3)]
    assert frames == [[list(CORRECT_COLOR)], [list(CORRECT_COLOR)],
                      [list(WRONG_COLOR)]]
    index = (out / 'index.html').read_text()
    assert 'toy_trad/q00000.png' in index and 'toy_trad/q00001.png' in index


def test_selection_topk_and_root(tmp_path):
    # Images in another folder than the current one: --root finds them.
    dump = trad_dump(tmp_path, img_root=tmp_path / 'data')
    out = tmp_path / 'pictures'
    tool.main([
        str(dump), '--out-dir',
        str(out), '--root',
        str(tmp_path / 'data'), '--topk', '2', '--query-ids', '1', '--task',
        'sc'
    ])
    assert [p.name for p in (out / 'toy_trad').iterdir()] == ['q00001.png']
    picture = read_rgb(out / 'toy_trad' / 'q00001.png')
    assert picture.shape[1] == 2 * PAD + 3 * COLUMN_WIDTH + PAD + SEPARATOR
    tool.main([
        str(dump), '--out-dir',
        str(tmp_path / 'one'), '--root',
        str(tmp_path / 'data'), '--num-queries', '1'
    ])
    assert [p.name for p in (tmp_path / 'one' / 'toy_trad').iterdir()
            ] == ['q00000.png']


def test_errors_name_the_problem(tmp_path):
    dump = trad_dump(tmp_path)
    out = str(tmp_path / 'pictures')
    root = ['--root', str(tmp_path)]
    with pytest.raises(ValueError, match='holds 3 matches per query'):
        tool.main([str(dump), '--out-dir', out, '--topk', '4'] + root)
    with pytest.raises(ValueError, match=r'has queries 0\.\.1'):
        tool.main([str(dump), '--out-dir', out, '--query-ids', '2'] + root)
    with pytest.raises(ValueError, match=r"no search of task=cc.*toy_trad"):
        tool.main([str(dump), '--out-dir', out, '--task', 'cc'] + root)
    with pytest.raises(
            FileNotFoundError, match='query 0: query: .*see --root'):
        tool.main([str(dump), '--out-dir', out])
    with pytest.raises(SystemExit):
        tool.main([str(dump), '--out-dir', out, '--task', 'nope'])
    with pytest.raises(SystemExit):
        tool.main([str(dump), '--out-dir', out, '--topk', '0'])
    not_a_dump = tmp_path / 'other.json'
    not_a_dump.write_text('[1, 2]')
    with pytest.raises(ValueError, match='not a rank-list dump'):
        tool.main([str(not_a_dump), '--out-dir', out])


def test_dump_without_protocol_verdicts_uses_pids(tmp_path):
    dump = trad_dump(tmp_path)
    data = json.loads(dump.read_text())
    for entry in data['sets']:
        for key in ('is_match', 'is_junk', 'protocol', 'metric'):
            del entry[key]
    dump.write_text(json.dumps(data))
    out = tmp_path / 'pictures'
    tool.main([str(dump), '--out-dir', str(out), '--root', str(tmp_path)])
    first = read_rgb(out / 'toy_trad' / 'q00000.png')
    top = PAD + LINE_HEIGHT
    # g2, junk under the protocol, is just the same pid here.
    frames = [match_frame(first, k, top)[0] for k in (1, 2, 3)]
    assert frames == [
        list(CORRECT_COLOR),
        list(WRONG_COLOR),
        list(CORRECT_COLOR)
    ]


def test_text_queries_and_clothes_instructions(tmp_path):
    paths = write_images(tmp_path, ['a.png', 'b.png', 'clothes.png'])
    t2i = [
        sample([1., 0.], 7, -1, 'query', 0, None, 't2i',
               'a man in a grey coat'),
        sample([1., 0.], 7, 0, 'gallery', 0, paths[0], 't2i', None),
        sample([0., 1.], 8, 0, 'gallery', 1, paths[1], 't2i', None),
    ]
    cc = [
        sample([1., 0.], 7, 0, 'query', 0, paths[0], 'cc', None, paths[2]),
        sample([1., 0.], 7, 0, 'query', 1, paths[1], 'cc', 'ignore clothes',
               paths[2]),
        sample([1., 0.], 7, 1, 'gallery', 0, paths[1], 'cc', None, paths[2]),
    ]
    t2i_dump, cc_dump = tmp_path / 't2i.json', tmp_path / 'cc.json'
    evaluate(T2IMetric(rank_list=dict(out_file=str(t2i_dump))), t2i)
    evaluate(ReIDMetric(rank_list=dict(out_file=str(cc_dump))), cc)
    out = tmp_path / 'pictures'
    args = ['--out-dir', str(out), '--root', str(tmp_path)]
    tool.main([str(t2i_dump)] + args)
    tool.main([str(cc_dump)] + args)
    caption = read_rgb(out / 'toy_t2i' / 'q00000.png')
    box = 3 * COLUMN_WIDTH + 2 * PAD
    assert caption.shape[1] == 2 * PAD + box + 2 * COLUMN_WIDTH + PAD + \
        SEPARATOR
    assert match_frame(caption, 1, query_width=box) == [list(CORRECT_COLOR)]
    assert match_frame(caption, 2, query_width=box) == [list(WRONG_COLOR)]
    clothes = read_rgb(out / 'toy_cc' / 'q00000.png')
    # Query, clothes image, one match; no instruction text line.
    assert clothes.shape[1] == 2 * PAD + 3 * COLUMN_WIDTH + PAD + SEPARATOR
    assert clothes.shape[0] == 2 * PAD + COLUMN_HEIGHT + 3 * LINE_HEIGHT
    assert match_frame(
        clothes, 1,
        query_width=2 * COLUMN_WIDTH + PAD) == [list(CORRECT_COLOR)]
    # A text and a clothes image: both drawn.
    both = read_rgb(out / 'toy_cc' / 'q00001.png')
    assert both.shape == (clothes.shape[0] + LINE_HEIGHT, clothes.shape[1], 3)


def run_tool(cwd, *args):
    return subprocess.run([sys.executable, TOOL, *map(str, args)],
                          cwd=cwd,
                          capture_output=True,
                          text=True,
                          timeout=120)


def test_command_line(tmp_path):
    dump = trad_dump(tmp_path)
    out = tmp_path / 'pictures'
    done = run_tool(tmp_path, dump, '--out-dir', out, '--topk', 1,
                    '--num-queries', 1)
    assert done.returncode == 0, done.stderr
    assert 'toy_trad: 1 rank lists written' in done.stdout
    assert (out / 'toy_trad' / 'q00000.png').is_file()
