import json

import numpy as np
import pytest
import torch

from mmreid_instruct.evaluation.metrics.reid_metric import ReIDMetric
from mmreid_instruct.evaluation.metrics.single_gallery_shot_metric import \
    SingleGalleryShotMetric
from mmreid_instruct.registry import METRICS
from mmreid_instruct.structures.reid_data_sample import ReIDDataSample


def make_sample(feat,
                pid,
                camid,
                subset,
                idx,
                task='trad',
                clothes=-1,
                dataset='toy',
                modality='rgb'):
    sample = ReIDDataSample(
        metainfo=dict(
            subset=subset,
            sample_idx=idx,
            dataset_name=dataset,
            img_path=f'{subset}/{idx}.jpg',
            instruction_img_path=None))
    sample.set_pid(pid).set_camid(camid).set_clothes_id(clothes)
    sample.set_modality(modality).set_task(task).set_instruction(None)
    sample.set_pred_feature(torch.tensor(feat, dtype=torch.float32))
    return sample.to_dict()


def toy_samples(task='trad', dataset='toy'):
    """Two queries, four gallery items; hand-worked below."""
    q = [
        make_sample([0., 0.], 1, 0, 'query', 0, task, dataset=dataset),
        make_sample([10., 0.], 2, 0, 'query', 1, task, dataset=dataset)
    ]
    g = [
        make_sample([1., 0.], 2, 1, 'gallery', 0, task, dataset=dataset),
        make_sample([0., 2.], 1, 1, 'gallery', 1, task, dataset=dataset),
        make_sample([0., 0.], 1, 0, 'gallery', 2, task, dataset=dataset),
        make_sample([10., 1.], 2, 1, 'gallery', 3, task, dataset=dataset)
    ]
    return q + g


def run_metric(metric, samples, batch=2):
    for i in range(0, len(samples), batch):
        metric.process(None, samples[i:i + batch])
    return metric.evaluate(len(samples))


def test_registered_and_hand_worked():
    metric = METRICS.build(dict(type='ReIDMetric', topk=(1, 2)))
    res = run_metric(metric, toy_samples())
    # Query 0: g2 is junk (same pid, camera); ranking g0 (d=1), g1 (d=4),
    # g3: match at rank 2 -> AP 1/2. Query 1: g3 first -> AP 1.
    assert res == pytest.approx({
        'trad/R1': 50.0,
        'trad/R2': 100.0,
        'trad/mAP': 75.0,
        'trad/mINP': 75.0
    })


def test_prefix_and_several_sets():
    res = run_metric(ReIDMetric(prefix='market'), toy_samples())
    assert set(res) == {
        'market/R1', 'market/R5', 'market/R10', 'market/mAP', 'market/mINP'
    }
    samples = toy_samples('trad', 'a') + toy_samples('cc', 'b')
    res = run_metric(ReIDMetric(), samples)
    assert res['a/trad/mAP'] == pytest.approx(75.0)
    assert res['b/cc/mAP'] == pytest.approx(75.0)
    assert len(res) == 10


def test_duplicates_rejected():
    samples = toy_samples()
    metric = ReIDMetric()
    metric.process(None, samples + samples[:1])
    with pytest.raises(ValueError, match='more than once'):
        metric.compute_metrics(metric.results)


def calculate_on_toy_samples(metric_class, **kwargs):
    """``metric_class.calculate`` on the features and labels of
    :func:`toy_samples` (two queries, then the gallery)."""
    samples = toy_samples()
    feats = np.stack([s['pred_feature'].numpy() for s in samples])
    pids = [s['pid'] for s in samples]
    cams = [s['camid'] for s in samples]
    return metric_class.calculate(feats[:2], feats[2:], pids[:2], pids[2:],
                                  cams[:2], cams[2:], **kwargs)


def test_calculate_matches_process_path():
    res = calculate_on_toy_samples(ReIDMetric, topk=(1, 2))
    assert res['mAP'] == pytest.approx(75.0)
    assert res['R2'] == pytest.approx(100.0)
    assert res['num_valid_queries'] == 2


def test_match_clothes_is_automatic_for_li():
    samples = toy_samples('li')
    # Query 0 wants clothes 7, worn by g1 and by g2 (same camera: junk);
    # query 1 wants clothes 3, worn by g3.
    for i, clothes in zip(range(6), (7, 3, -1, 7, 7, 3)):
        samples[i]['clothes_id'] = clothes
    res = run_metric(ReIDMetric(), samples)
    # Query 0: ranking g0, g1 -> AP 1/2; query 1: g3 first -> AP 1.
    assert res['li/mAP'] == pytest.approx(75.0)
    # g1 now wears other clothes: a negative, and query 0 has no match.
    samples[3]['clothes_id'] = 8
    res = run_metric(ReIDMetric(), samples)
    assert res['li/mAP'] == pytest.approx(100.0)
    # Without clothes matching, g1 is a match again.
    res = run_metric(ReIDMetric(protocol=dict(match_clothes=False)), samples)
    assert res['li/mAP'] == pytest.approx(75.0)


def test_camera_subsets():
    res = run_metric(ReIDMetric(gallery_cameras=[1]), toy_samples())
    # Without g2 (camera 0) nothing changes for these queries.
    assert res['trad/mAP'] == pytest.approx(75.0)
    with pytest.raises(ValueError, match='no gallery samples'):
        run_metric(ReIDMetric(gallery_cameras=[5]), toy_samples())


def test_rank_list_dump(tmp_path):
    out = tmp_path / 'ranks.json'
    run_metric(
        ReIDMetric(rank_list=dict(out_file=str(out), topk=3)), toy_samples())
    data = json.loads(out.read_text())
    (entry, ) = data['sets']
    assert entry['task'] == 'trad'
    # Query 0 at (0, 0): g2 (d=0), g0 (d=1), g1 (d=4).
    assert entry['indices'][0] == [2, 0, 1]
    assert entry['distances'][0] == [0.0, 1.0, 4.0]
    assert entry['gallery'][2]['img_path'] == 'gallery/2.jpg'
    # The protocol's verdict on every listed item: for query 0, g2 shares
    # its pid and camera (junk), g0 is another person, g1 a true match.
    assert entry['metric'] == 'euclidean'
    assert entry['protocol']['use_camera'] is True
    assert entry['is_junk'][0] == [True, False, False]
    assert entry['is_match'][0] == [False, False, True]
    # Query 1 at (10, 0): g3 (d=1) and g0 (d=81) are person 2 on camera 1,
    # g2 (d=100) is person 1.
    assert entry['indices'][1] == [3, 0, 2]
    assert entry['is_match'][1] == [True, True, False]
    assert entry['is_junk'][1] == [False, False, False]


def test_rank_list_dump_follows_the_task_protocol(tmp_path):
    out = tmp_path / 'ranks.json'
    samples = toy_samples('li')
    # Query 0 (person 1, camera 0) asks for outfit 7. Gallery outfits:
    # g0 9, g1 8, g2 7, g3 9.
    samples[0]['clothes_id'], samples[1]['clothes_id'] = 7, 9
    for sample, cid in zip(samples[2:], (9, 8, 7, 9)):
        sample['clothes_id'] = cid
    run_metric(ReIDMetric(rank_list=dict(out_file=str(out), topk=3)), samples)
    (entry, ) = json.loads(out.read_text())['sets']
    assert entry['protocol']['match_clothes'] is True
    assert entry['indices'][0] == [2, 0, 1]
    # g2 wears outfit 7 on the query's camera: junk. g1, a true match in
    # trad, wears outfit 8: a negative under li's protocol.
    assert entry['is_junk'][0] == [True, False, False]
    assert entry['is_match'][0] == [False, False, False]


def test_bad_arguments():
    with pytest.raises(ValueError, match='metric must be'):
        ReIDMetric(metric='manhattan')
    with pytest.raises(ValueError, match='topk'):
        ReIDMetric(topk=(1, 100))
    with pytest.raises(ValueError, match='out_file must end with .json'):
        ReIDMetric(rank_list=dict(out_file='x.txt'))
    with pytest.raises(ValueError, match='rank_list topk'):
        ReIDMetric(rank_list=dict(out_file='x.json', topk=0))
    with pytest.raises(TypeError, match='rank_list must be None or a dict'):
        ReIDMetric(rank_list='x.json')
    with pytest.raises(TypeError, match=r"unknown keys \['clothes'\]"):
        ReIDMetric(protocol=dict(clothes='cc'))
    with pytest.raises(ValueError, match='clothes_mode must be'):
        ReIDMetric(protocol=dict(clothes_mode='xx'))
    with pytest.raises(ValueError, match='topk'):
        ReIDMetric(topk=(1, 20), protocol=dict(max_rank=10))
    metric = ReIDMetric()
    with pytest.raises(KeyError, match='pred_feature'):
        metric.process(None, [{'pid': 1, 'subset': 'query'}])


def test_cuhk03_classic_single_gallery_shot():
    metric = METRICS.build(
        dict(type='SingleGalleryShotMetric', num_repeats=10, topk=(1, 2)))
    res = run_metric(metric, toy_samples())
    # Query 0 ranks its one match g1 (d=4) first when pid 2 is drawn as
    # g3 (d=101), second when drawn as g0 (d=1); query 1 is always first.
    # mAP and mINP use the whole gallery (75, as without the protocol).
    g3_drawn = np.mean([
        np.argmin(np.random.default_rng(s).random(4)[[0, 3]]) == 1
        for s in range(10)
    ])
    assert 0 < g3_drawn < 1
    assert res['trad/R1'] == pytest.approx(100 * (g3_drawn + 1) / 2)
    assert res['trad/R2'] == pytest.approx(100.0)
    assert res['trad/mAP'] == pytest.approx(75.0)
    assert res['trad/mINP'] == pytest.approx(75.0)
    direct = calculate_on_toy_samples(
        SingleGalleryShotMetric, topk=(1, 2), num_repeats=10)
    assert direct['R1'] == res['trad/R1']
    assert direct['mAP'] == res['trad/mAP']
    for options in (dict(ap_topk=5), dict(clothes_mode='cc')):
        with pytest.raises(ValueError, match='does not support'):
            SingleGalleryShotMetric(protocol=options)
        with pytest.raises(ValueError, match='does not support'):
            calculate_on_toy_samples(SingleGalleryShotMetric, protocol=options)
    with pytest.raises(ValueError, match='num_repeats'):
        SingleGalleryShotMetric(num_repeats=0)


def test_ap_topk_compatibility_switch():
    res = run_metric(
        ReIDMetric(protocol=dict(ap_topk=2), topk=(1, 2)), toy_samples())
    # Query 0: raw ranking g2 (junk), g0, g1...: the window of 2 holds g2
    # and g0 only, so no match: AP 0. Query 1: g3 first: AP 1.
    assert res['trad/mAP'] == pytest.approx(50.0)
    assert res['trad/R2'] == pytest.approx(50.0)


def test_query_camera_subsets_like_prcc():
    samples = toy_samples()
    samples[1]['camid'] = 2  # query 1 in "camera C"
    same = run_metric(ReIDMetric(query_cameras=[0]), samples)
    cross = run_metric(ReIDMetric(query_cameras=[2]), samples)
    assert same['trad/mAP'] == pytest.approx(50.0)  # query 0 only
    assert cross['trad/mAP'] == pytest.approx(100.0)  # query 1 only
