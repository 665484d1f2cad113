import numpy as np
import pytest

from mmreid_instruct.evaluation.functional.single_shot import \
    sample_single_shot
from mmreid_instruct.evaluation.metrics.t2i_metric import T2IMetric
from mmreid_instruct.evaluation.metrics.task_free_metric import \
    TaskFreeReIDMetric
from mmreid_instruct.evaluation.metrics.vi_reid_metric import VIReIDMetric
from mmreid_instruct.registry import METRICS
from .test_reid_metric import make_sample, run_metric


def vi_samples():
    """IR queries (SYSU cameras 3 and 6, i.e. ids 2 and 5) and an RGB
    gallery; g2 and g3 are twins so every single-shot draw agrees.
    Squared distances from query 0 (0, 0): g1 1, g4 2.25, g0 4, g2/g3 101;
    from query 1 (10, 0): g2/g3 1, g1 81, g4 102.25, g0 104."""
    ir = dict(modality='ir', task='vi')
    rgb = dict(modality='rgb', task='vi')
    return [
        make_sample([0., 0.], 1, 2, 'query', 0, **ir),
        make_sample([10., 0.], 2, 5, 'query', 1, **ir),
        make_sample([0., 2.], 1, 0, 'gallery', 0, **rgb),
        make_sample([1., 0.], 1, 1, 'gallery', 1, **rgb),
        make_sample([10., 1.], 2, 0, 'gallery', 2, **rgb),
        make_sample([10., 1.], 2, 0, 'gallery', 3, **rgb),
        make_sample([0., 1.5], 3, 3, 'gallery', 4, **rgb),
    ]


def test_vi_hand_worked_with_and_without_sysu_skip():
    # Query 0: g1 (camera id 1) first, g4, then g0: AP (1 + 2/3) / 2.
    # Query 1: its pid-2 image first: AP 1.
    res = run_metric(
        METRICS.build(dict(type='VIReIDMetric', num_trials=3)), vi_samples())
    assert res['vi/mAP'] == pytest.approx(100 * (5 / 6 + 1) / 2)
    assert res['vi/R1'] == pytest.approx(100.0)
    # Camera 3 (id 2) queries skip gallery camera 2 (id 1): g1 is gone,
    # query 0 finds g0 after g4: AP 1/2.
    res = run_metric(
        VIReIDMetric(num_trials=3, sysu_camera_skip=True), vi_samples())
    assert res['vi/mAP'] == pytest.approx(75.0)
    assert res['vi/R1'] == pytest.approx(50.0)
    multi = run_metric(
        VIReIDMetric(single_shot=False, sysu_camera_skip=True), vi_samples())
    assert multi == pytest.approx(res)


def test_vi_single_shot_trials_average():
    samples = vi_samples()
    # Break the twins: g3 moves far away, to (40, 40).
    samples[5]['pred_feature'] = samples[5]['pred_feature'] * 0 + 40.
    trials = run_metric(VIReIDMetric(num_trials=10), samples)
    pids = np.array([1, 1, 2, 2, 3])
    cams = np.array([0, 1, 0, 0, 3])
    drew_g2 = np.mean(
        [2 in sample_single_shot(pids, cams, seed=t) for t in range(10)])
    assert 0 < drew_g2 < 1
    # Query 0 always AP 5/6; query 1 AP 1 with g2, else its match g3
    # ranks after g1, g4 and g0: rank 4, AP 1/4.
    ap_q1 = drew_g2 + (1 - drew_g2) / 4
    assert trials['vi/mAP'] == pytest.approx(100 * (5 / 6 + ap_q1) / 2)


def test_vi_both_directions_pool_by_modality():
    res = run_metric(
        VIReIDMetric(directions=('ir2vis', 'vis2ir'), num_trials=2),
        vi_samples())
    assert res['vi/ir2vis/mAP'] == pytest.approx(100 * (5 / 6 + 1) / 2)
    # RGB queries: g0, g1 (pid 1) find query 0 first, g2, g3 find query 1
    # first; g4 (pid 3) has no match.
    assert res['vi/vis2ir/mAP'] == pytest.approx(100.0)
    with pytest.raises(ValueError, match='directions'):
        VIReIDMetric(directions=('up2down', ))
    for options in (dict(clothes_mode='cc'), dict(match_clothes=True),
                    dict(ap_topk=5)):
        with pytest.raises(ValueError, match='does not support'):
            VIReIDMetric(protocol=options)


def test_t2i_ignores_cameras_and_uses_cosine():
    samples = [
        make_sample([1., 0.], 1, 0, 'query', 0, task='t2i'),
        make_sample([0., 1.], 2, 0, 'query', 1, task='t2i'),
        # Same pid and camera as query 0: a true match in T2I, not junk.
        make_sample([5., 0.], 1, 0, 'gallery', 0, task='t2i'),
        make_sample([0.1, 1.], 3, 0, 'gallery', 1, task='t2i'),
        make_sample([0., 9.], 2, 0, 'gallery', 2, task='t2i'),
    ]
    res = run_metric(T2IMetric(topk=(1, 2)), samples)
    # Query 0: g0 first (cosine 1). Query 1: g2 (cosine 1) before g1.
    assert res == pytest.approx({
        't2i/R1': 100.0,
        't2i/R2': 100.0,
        't2i/mAP': 100.0,
        't2i/mINP': 100.0
    })
    # A protocol dict is merged over the T2I defaults.
    metric = T2IMetric(protocol=dict(ap_topk=1), topk=(1, 2))
    assert metric.protocol.use_camera is False
    assert metric.protocol.junk_pids == () and metric.protocol.ap_topk == 1
    assert run_metric(metric, samples)['t2i/mAP'] == pytest.approx(100.0)


def test_task_free_mixes_galleries_and_keeps_sets_apart():
    a = dict(dataset='a', task='trad')
    b = dict(dataset='b', task='li')
    samples = [
        make_sample([0., 0.], 1, 0, 'query', 0, **a),
        make_sample([0., 1.], 1, 1, 'gallery', 0, **a),
        make_sample([10., 0.], 1, 0, 'query', 0, clothes=5, **b),
        make_sample([10., 1.], 1, 1, 'gallery', 0, clothes=5, **b),
        make_sample([10., .5], 1, 1, 'gallery', 1, clothes=6, **b),
    ]
    res = run_metric(TaskFreeReIDMetric(), samples)
    # trad query: its set's image first; set b's pid 1 is someone else.
    assert res['task_free/trad/mAP'] == pytest.approx(100.0)
    # li query wants clothes 5: the clothes-6 image (d=0.25) is a
    # negative, the target (d=1) ranks second.
    assert res['task_free/li/mAP'] == pytest.approx(50.0)
    assert res['task_free/mAP'] == pytest.approx(75.0)
    assert res['task_free/R1'] == pytest.approx(50.0)
    res = run_metric(
        TaskFreeReIDMetric(task_rules=dict(attr=dict(match_clothes=False))),
        samples)
    assert res['task_free/li/mAP'] == pytest.approx(100.0)
    with pytest.raises(ValueError, match='unknown keys'):
        TaskFreeReIDMetric(task_rules=dict(li=dict(colour=True)))
    with pytest.raises(ValueError, match='clothes_mode must be'):
        TaskFreeReIDMetric(task_rules=dict(cc=dict(clothes_mode='xx')))
    with pytest.raises(ValueError, match=r"does not support \['ap_topk'"):
        TaskFreeReIDMetric(protocol=dict(ap_topk=5))
    with pytest.raises(ValueError, match='use task_rules'):
        TaskFreeReIDMetric(query_cameras=[0])
