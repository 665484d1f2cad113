"""The ``tasks`` option: several metrics sharing one test loader."""
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

from mmreid_instruct.evaluation.metrics import ReIDMetric, T2IMetric
from mmreid_instruct.evaluation.metrics.reid_metric import IGNORED
from mmreid_instruct.registry import METRICS
from mmreid_instruct.structures.reid_data_sample import ReIDDataSample
from mmreid_instruct.utils.tasks import TASKS


def make_sample(feat,
                pid,
                camid,
                subset,
                idx,
                task,
                dataset='synth',
                clothes=-1):
    sample = ReIDDataSample(
        metainfo=dict(
            subset=subset,
            sample_idx=idx,
            dataset_name=dataset,
            img_path=None if task == 't2i' and subset == 'query' else
            f'{task}/{subset}/{idx}.jpg',
            instruction_img_path=None))
    sample.set_pid(pid).set_camid(camid).set_clothes_id(clothes)
    sample.set_modality('rgb').set_task(task).set_instruction(None)
    sample.set_pred_feature(torch.tensor(feat, dtype=torch.float32))
    return sample.to_dict()


def random_set(task, seed, num_q=6, num_g=15, dim=4):
    """Query then gallery samples of one test set, random features."""
    rng = np.random.default_rng(seed)
    out = []
    for subset, n in (('query', num_q), ('gallery', num_g)):
        for i in range(n):
            out.append(
                make_sample(
                    rng.normal(size=dim).tolist(),
                    int(rng.integers(3)),
                    int(rng.integers(2)) + (0 if subset == 'query' else 1),
                    subset,
                    i,
                    task,
                    clothes=int(rng.integers(2))))
    return out


def run(metric, samples, batch=4):
    for i in range(0, len(samples), batch):
        metric.process(None, samples[i:i + batch])
    return metric.evaluate(len(samples))


def all_sets():
    return {task: random_set(task, seed) for seed, task in enumerate(TASKS)}


def test_other_tasks_ignored_and_numbers_equal_to_filtered_sets():
    sets = all_sets()
    samples = [s for task in TASKS for s in sets[task]]
    metric = ReIDMetric(tasks=['sc', 'cc', 'ctcc', 'attr', 'cross'])
    for i in range(0, len(samples), 4):
        metric.process(None, samples[i:i + 4])
    # One entry per sample; the t2i samples are only placeholders.
    assert len(metric.results) == len(samples)
    assert sum(r is IGNORED for r in metric.results) == len(sets['t2i'])
    res = metric.evaluate(len(samples))
    assert {k.split('/')[1] for k in res} == set(TASKS) - {'t2i'}
    for task in ('trad', 'cc', 'ctcc', 'li', 'vi'):
        alone = run(ReIDMetric(), sets[task])
        for name, value in alone.items():
            # alone: '<task>/<metric>'; filtered: 'synth/<task>/<metric>'
            assert res[f'synth/{name}'] == pytest.approx(value)

    t2i = run(T2IMetric(tasks='text_to_image'), samples)
    alone = run(T2IMetric(), sets['t2i'])
    assert t2i == pytest.approx({f'synth/{k}': v for k, v in alone.items()})


def test_evaluator_with_two_metrics_has_distinct_keys_for_six_tasks():
    sets = all_sets()
    samples = [s for task in TASKS for s in sets[task]]
    evaluator = Evaluator([
        METRICS.build(
            dict(type='ReIDMetric', tasks=['trad', 'cc', 'ctcc', 'li', 'vi'])),
        METRICS.build(dict(type='T2IMetric', tasks=['t2i'])),
    ])
    for i in range(0, len(samples), 8):
        evaluator.process(samples[i:i + 8])
    res = evaluator.evaluate(len(samples))
    for task in TASKS:
        for name in ('R1', 'mAP'):
            assert 0 <= res[f'synth/{task}/{name}'] <= 100
    assert len(res) == 6 * 5


def test_keys_carry_the_set_even_for_one_set_and_with_prefix():
    samples = random_set('trad', 0)
    assert set(run(ReIDMetric(tasks=['trad']), samples)) == {
        f'synth/trad/{k}'
        for k in ('R1', 'R5', 'R10', 'mAP', 'mINP')
    }
    res = run(ReIDMetric(tasks=['trad'], prefix='val'), samples)
    assert 'val/synth/trad/mAP' in res
    # Without tasks the short keys are kept (unchanged behaviour).
    assert 'trad/mAP' in run(ReIDMetric(), samples)


def test_no_sample_of_the_tasks_and_bad_names():
    with pytest.raises(ValueError, match='none of the'):
        run(T2IMetric(tasks=['t2i']), random_set('trad', 0))
    with pytest.raises(ValueError, match='Unknown task'):
        ReIDMetric(tasks=['nope'])
    with pytest.raises(ValueError, match='non-empty'):
        ReIDMetric(tasks=[])


def test_subclasses_accept_tasks():
    sets = all_sets()
    samples = sets['trad'] + sets['vi']
    res = run(ReIDMetric(tasks=['vi']), samples)
    assert set(k.split('/')[1] for k in res) == {'vi'}
    from mmreid_instruct.evaluation.metrics import TaskFreeReIDMetric
    res = run(TaskFreeReIDMetric(tasks=['trad']), samples)
    assert 'task_free/trad/mAP' in res and 'task_free/vi/mAP' not in res


def test_dataset_names_give_sets_of_one_task_their_own_protocol():
    market = [dict(s, dataset_name='market') for s in random_set('trad', 1)]
    ltcc = [dict(s, dataset_name='ltcc') for s in random_set('trad', 2)]
    samples = market + ltcc
    general = run(ReIDMetric(dataset_names=['market']), samples)
    cc = run(
        ReIDMetric(dataset_names='ltcc', protocol=dict(clothes_mode='cc')),
        samples)
    assert general == run(ReIDMetric(tasks=['trad']), market)
    assert cc == run(
        ReIDMetric(tasks=['trad'], protocol=dict(clothes_mode='cc')), ltcc)
    assert set(general) == {
        f'market/trad/{k}'
        for k in ('R1', 'R5', 'R10', 'mAP', 'mINP')
    }
    assert cc['ltcc/trad/mAP'] != run(
        ReIDMetric(dataset_names=['ltcc']), samples)['ltcc/trad/mAP']
    # Both filters: a sample must pass both.
    assert not run(
        ReIDMetric(tasks=['trad'], dataset_names=['market']),
        samples).keys() - general.keys()
    with pytest.raises(ValueError, match=r"dataset_names=\['msmt'\]"):
        run(ReIDMetric(dataset_names=['msmt']), samples)
    with pytest.raises(ValueError, match='non-empty'):
        ReIDMetric(dataset_names=[])
