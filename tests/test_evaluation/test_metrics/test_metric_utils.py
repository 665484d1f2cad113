"""The helpers shared by the metrics (metrics/utils.py)."""
import json

import numpy as np
import pytest
import torch

from mmreid_instruct.evaluation.functional.rank_protocol import RankProtocol
from mmreid_instruct.evaluation.metrics import utils
from mmreid_instruct.utils.tasks import normalize_task


def result(subset, idx, task='trad', dataset='d', **labels):
    sample = dict(
        pred_feature=torch.tensor([float(idx), 1.]),
        pid=labels.get('pid', idx),
        subset=subset,
        task=task,
        dataset_name=dataset,
        sample_idx=idx,
        camid=labels.get('camid'))
    return utils.sample_to_result(sample)


def test_sample_to_result_copies_the_feature():
    batch = torch.arange(6.).reshape(3, 2)
    res = utils.sample_to_result(
        dict(pred_feature=batch[1], pid=2, subset='query'))
    assert res['feat'].tolist() == [2., 3.]
    assert res['feat'].untyped_storage().size() == 2 * 4  # its own storage
    assert res['clothes_id'] is None and res['img_path'] is None
    with pytest.raises(KeyError, match='"subset"'):
        utils.sample_to_result(dict(pred_feature=[1.], pid=2))


def test_split_sets_groups_by_dataset_and_task():
    results = [
        result('query', 0, 'sc'),
        utils.IGNORED,
        result('gallery', 0, 'trad'),
        result('query', 1, 'cc'),
        result('gallery', 1, 'cc', dataset='e'),
    ]
    sets = utils.split_sets(results)
    assert list(sets) == [('d', 'trad'), ('d', 'cc'), ('e', 'cc')]
    assert [len(p) for p in sets[('d', 'trad')].values()] == [1, 1]
    with pytest.raises(ValueError, match='more than once'):
        utils.split_sets(results + [result('query', 0)])
    bad = dict(results[0], subset='train')
    with pytest.raises(ValueError, match='subset "query" or "gallery"'):
        utils.split_sets([bad])


def test_stack_and_take():
    part = utils.stack_part([result('query', 3, camid=2), result('query', 5)])
    assert part['feats'].tolist() == [[3., 1.], [5., 1.]]
    assert part['pids'].tolist() == [3, 5]
    assert part['camids'].tolist() == [2, -1]
    assert part['modality'].tolist() == ['rgb', 'rgb']
    one = utils.take(part, np.array([1]))
    assert one['pids'].tolist() == [5] and one['feats'].shape == (1, 2)
    with pytest.raises(ValueError, match='empty'):
        utils.stack_part([])


def test_make_part_turns_lists_into_arrays():
    feats = torch.zeros(2, 3)
    part = utils.make_part(feats, [4, 5], (0, 1))
    assert part['feats'] is feats and part['clothes_ids'] is None
    assert part['pids'].tolist() == [4, 5]
    assert utils.take(part, [1])['camids'].tolist() == [1]
    pids = torch.tensor([4, 5])
    assert utils.make_part(feats, pids)['pids'] is pids


def test_rank_parts_uses_every_label():
    part = dict(
        feats=np.array([[0.], [1.], [2.]]),
        pids=np.array([1, 1, 2]),
        camids=np.array([0, 1, 1]),
        clothes_ids=np.array([5, 6, 5]))
    query = utils.take(part, [0])
    # g1 is the match (ranked first); g0 is same-camera junk.
    assert utils.rank_parts(query, part, 'euclidean',
                            RankProtocol())['mAP'] == 1.0
    # Without cameras g0 is a match too.
    assert utils.rank_parts(query, part, 'euclidean',
                            RankProtocol(use_camera=False))['mINP'] == 1.0
    # Clothes-changing: g1 wears other clothes, still a match; with
    # match_clothes it is a negative and the query has no match.
    assert utils.rank_parts(query, part, 'euclidean',
                            RankProtocol(clothes_mode='cc'))['mAP'] == 1.0
    with pytest.warns(UserWarning, match='None of the 1 queries'):
        res = utils.rank_parts(query, part, 'euclidean',
                               RankProtocol(match_clothes=True))
    assert res['num_valid_queries'] == 0


def test_build_protocol_merges_dicts_over_defaults():
    defaults = dict(use_camera=False, junk_pids=())
    assert utils.build_protocol(None, defaults) == RankProtocol(
        use_camera=False, junk_pids=())
    merged = utils.build_protocol(dict(junk_pids=[-1], ap_topk=5), defaults)
    assert merged == RankProtocol(
        use_camera=False, junk_pids=(-1, ), ap_topk=5)
    given = RankProtocol(max_rank=7)
    assert utils.build_protocol(given, defaults) is given
    with pytest.raises(TypeError, match=r"unknown keys \['clothes'\]"):
        utils.build_protocol(dict(clothes='cc'), {})
    with pytest.raises(TypeError, match='protocol must be None, a dict'):
        utils.build_protocol(5, {})
    # A string names a preset, which the defaults do not change.
    assert utils.build_protocol('official', defaults) == \
        RankProtocol.preset('official')
    with pytest.raises(ValueError, match="unknown protocol preset 'cc'"):
        utils.build_protocol('cc', {})


def test_protocol_for_task_turns_on_clothes_matching():
    auto = RankProtocol()
    assert utils.protocol_for_task(auto, 'li', ('li', 'ctcc')).match_clothes
    assert utils.protocol_for_task(auto, 'trad', ('li', 'ctcc')) is auto
    off = RankProtocol(match_clothes=False)
    assert utils.protocol_for_task(off, 'li', ('li', )) is off
    with pytest.raises(ValueError, match='cannot be combined'):
        utils.protocol_for_task(
            RankProtocol(clothes_mode='cc'), 'li', ('li', ))


def test_percent_merge_and_average():
    a = dict(cmc=np.array([0.5, 1.]), mAP=0.5, mINP=0.25, num_valid_queries=2)
    b = dict(cmc=np.array([1., 1.]), mAP=1.0, mINP=1.0, num_valid_queries=6)
    assert dict(utils.percent_results(a, (1, 2))) == {
        'R1': 50.0,
        'R2': 100.0,
        'mAP': 50.0,
        'mINP': 25.0
    }
    merged = utils.merge_rank_results([a, b])
    assert merged['cmc'].tolist() == [0.875, 1.0]
    assert merged['mAP'] == pytest.approx(0.875)
    assert merged['num_valid_queries'] == 8
    empty = dict(a, num_valid_queries=0)
    assert utils.merge_rank_results([empty, empty])['num_valid_queries'] == 0
    mean = utils.average_trials([a, b])
    assert mean['cmc'].tolist() == [0.75, 1.0]
    assert mean['mINP'] == pytest.approx(0.625)
    assert mean['num_valid_queries'] == 2


def test_argument_checks():
    assert utils.check_topk([1, 5], 5) == (1, 5)
    with pytest.raises(ValueError, match='no larger than max_rank=5'):
        utils.check_topk([6], 5)
    assert utils.selection(None, 'tasks') is None
    assert utils.selection('sc', 'tasks', normalize_task) == {'trad'}
    with pytest.raises(ValueError, match='dataset_names must be None'):
        utils.selection([], 'dataset_names')
    assert utils.camera_selection([1, 2], 'query_cameras').tolist() == [1, 2]
    with pytest.raises(ValueError, match='gallery_cameras must be None'):
        utils.camera_selection(['a'], 'gallery_cameras')


def test_rank_list_dump(tmp_path):
    out = tmp_path / 'sub' / 'ranks.json'
    dump = utils.RankListDump.build(dict(out_file=str(out), topk=2))
    assert utils.RankListDump.build(None) is None and utils.RankListDump.build(
        dump) is dump
    query = [result('query', 0)]
    gallery = [result('gallery', i) for i in range(3)]
    entry = dump.entry(('d', 'trad', 'ir2vis'),
                       query, gallery, np.array([[2.]]),
                       np.array([[0.], [2.], [3.]]), 'euclidean')
    assert entry['indices'] == [[1, 2]] and entry['distances'] == [[0., 1.]]
    assert entry['direction'] == 'ir2vis'
    assert entry['gallery'][1] == dict(
        img_path=None,
        instruction=None,
        instruction_img_path=None,
        pid=1,
        camid=None,
        clothes_id=None,
        modality=None,
        sample_idx=1)
    dump.write([entry])
    assert json.loads(out.read_text()) == dict(sets=[entry])
