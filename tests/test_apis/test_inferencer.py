"""ReIDInferencer on SynthOmniReID tiny with a tiny untrained IRM."""
import os
import os.path as osp
import shutil
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from script_loader import load_script

from mmreid_instruct.apis.gallery_index import GalleryIndex
from mmreid_instruct.apis.inferencer import NEUTRAL_INSTRUCTION, ReIDInferencer
from mmreid_instruct.apis.model import init_model
from mmreid_instruct.evaluation.functional import pairwise_distance
from mmreid_instruct.registry import DATASETS

tiny_irm = load_script(osp.join(osp.dirname(__file__), 'tiny_irm.py'))


@pytest.fixture(scope='module')
def tiny(synth_tiny_root, tmp_path_factory):
    """Config file, two checkpoints (other weights) and a gallery folder of
    24 trad gallery images."""
    root = tmp_path_factory.mktemp('tiny_irm')
    cfg = tiny_irm.tiny_irm_config(synth_tiny_root)
    config = str(root / 'tiny_irm.py')
    cfg.dump(config)
    model = init_model(config, device='cpu')
    ckpt_a = tiny_irm.save_checkpoint(model, root / 'a.pth')
    ckpt_b = tiny_irm.save_checkpoint(model, root / 'b.pth', noise_seed=1)
    gallery = DATASETS.build(
        dict(
            type='SynthOmniReID',
            data_root=synth_tiny_root,
            task='trad',
            subset='gallery',
            pipeline=[]))
    folder = root / 'gallery'
    paths = []
    for n, i in enumerate(range(0, len(gallery), 9)):
        src = gallery.get_data_info(i)['img_path']
        dst = folder / f"{n // 10:02d}" / osp.basename(src)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dst)
        paths.append(str(dst))
    return SimpleNamespace(
        root=root,
        data_root=synth_tiny_root,
        config=config,
        ckpt_a=ckpt_a,
        ckpt_b=ckpt_b,
        folder=str(folder),
        paths=sorted(paths))


def make(tiny, ckpt=None, cache_dir=None, **kwargs):
    return ReIDInferencer(
        tiny.config,
        ckpt or tiny.ckpt_a,
        device='cpu',
        cache_dir=cache_dir or str(tiny.root / 'cache'),
        show_progress=False,
        **kwargs)


def count_encoded(inferencer):
    """Count the items the model encodes from now on."""
    counter = SimpleNamespace(n=0)
    forward = inferencer.model.forward

    def counting(inputs, data_samples=None, mode='tensor'):
        counter.n += len(data_samples)
        return forward(inputs, data_samples, mode)

    inferencer.model.forward = counting
    return counter


def dataset(tiny, task, subset, pipeline=()):
    return dict(
        type='SynthOmniReID',
        data_root=tiny.data_root,
        task=task,
        subset=subset,
        pipeline=list(pipeline))


def predict_features(model, cfg_dataset):
    """Reference features: the dataset's records through the config's
    test pipeline and the model's predict path, in one batch."""
    data = DATASETS.build(cfg_dataset)
    batch = pseudo_collate([data[i] for i in range(len(data))])
    samples = model.test_step(batch)
    return np.stack([s.pred_feature.numpy() for s in samples])


def test_a_gallery_image_used_as_query_comes_first_trad(tiny):
    inferencer = make(tiny, use_cache=False)
    queries = [tiny.paths[3], tiny.paths[17]]
    results = inferencer(queries, tiny.folder, task='sc', topk=5)
    for query, matches in zip(queries, results):
        assert matches[0]['img_path'] == query
        assert matches[0]['index'] == tiny.paths.index(query)
        assert [sorted(m) for m in matches] == \
            [['img_path', 'index', 'score']] * 5
        scores = [m['score'] for m in matches]
        assert scores == sorted(scores, reverse=True)
        assert scores[0] > scores[1]


def test_a_gallery_image_with_its_own_caption_comes_first_li(tiny):
    inferencer = make(tiny, use_cache=False)
    gallery = dataset(tiny, 'attr', 'gallery')
    records = DATASETS.build(gallery)
    picks = [5, 100]
    queries = [records.get_data_info(i)['img_path'] for i in picks]
    captions = [records.get_data_info(i)['instruction'] for i in picks]
    results = inferencer(
        queries, gallery, task='li', instruction=captions, topk=3)
    for i, matches in zip(picks, results):
        assert matches[0]['index'] == i
        assert matches[0]['pid'] == records.get_data_info(i)['pid']


@pytest.mark.parametrize('task', ['trad', 't2i'])
def test_ranking_equals_brute_force(tiny, task):
    """Features of the model's predict path on the dataset, squared
    Euclidean (trad, ReIDMetric) or cosine (t2i, T2IMetric) distances."""
    inferencer = make(tiny, use_cache=False)
    cfg = Config.fromfile(tiny.config)
    pipeline = cfg.test_dataloader.dataset.datasets[0].pipeline
    gallery = dataset(tiny, task, 'gallery')
    queries = dataset(tiny, task, 'query')
    g = predict_features(inferencer.model, dict(gallery, pipeline=pipeline))
    q = predict_features(inferencer.model, dict(queries, pipeline=pipeline))
    q_records = DATASETS.build(queries)
    picks = list(range(0, len(q_records), 7))[:6]
    if task == 't2i':
        query_items = [
            q_records.get_data_info(i)['instruction'] for i in picks
        ]
        metric = 'cosine'
    else:
        query_items = [q_records.get_data_info(i)['img_path'] for i in picks]
        metric = 'euclidean'
    results = inferencer(query_items, gallery, task=task, topk=10)
    dist = pairwise_distance(q[picks], g, metric)
    for row, matches in zip(dist, results):
        order = np.argsort(row, kind='stable')[:10]
        assert [m['index'] for m in matches] == order.tolist()
        expected = 1 - row[order] if metric == 'cosine' else -row[order]
        np.testing.assert_allclose([m['score'] for m in matches],
                                   expected,
                                   rtol=1e-4,
                                   atol=1e-4)


def test_t2i_caption_returns_a_ranked_list_of_images(tiny):
    inferencer = make(tiny, use_cache=False)
    results = inferencer(['a person in a red coat and black trousers'],
                         tiny.folder,
                         task='text_to_image',
                         topk=7)
    assert len(results) == 1 and len(results[0]) == 7
    assert all(m['img_path'] in tiny.paths for m in results[0])
    scores = [m['score'] for m in results[0]]
    assert scores == sorted(scores, reverse=True)
    assert all(-1 - 1e-5 <= s <= 1 + 1e-5 for s in scores)


def test_second_call_reuses_the_cache_and_changes_do_not(tiny, tmp_path):
    cache = str(tmp_path / 'cache')
    inferencer = make(tiny, cache_dir=cache)
    counter = count_encoded(inferencer)
    query = [tiny.paths[0]]
    first = inferencer(query, tiny.folder, topk=4)
    assert counter.n == len(tiny.paths) + 1
    assert inferencer(query, tiny.folder, topk=4) == first
    assert counter.n == len(tiny.paths) + 2  # the query only
    assert len(os.listdir(cache)) == 1

    # Another checkpoint, same cache folder.
    other = make(tiny, ckpt=tiny.ckpt_b, cache_dir=cache)
    other_counter = count_encoded(other)
    other(query, tiny.folder, topk=4)
    assert other_counter.n == len(tiny.paths) + 1

    # Another task, another gallery instruction.
    counter.n = 0
    inferencer(query, tiny.folder, task='vi', topk=4)
    assert counter.n == len(tiny.paths) + 1
    counter.n = 0
    inferencer(query, tiny.folder, topk=4, gallery_instruction='a hat')
    assert counter.n == len(tiny.paths) + 1

    # A file whose modification time changed.
    stat = os.stat(tiny.paths[5])
    os.utime(tiny.paths[5], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    counter.n = 0
    assert inferencer(query, tiny.folder, topk=4) == first
    assert counter.n == len(tiny.paths) + 1
    assert len(os.listdir(cache)) == 5
    assert not [n for n in os.listdir(cache) if n.endswith('.tmp')]


def test_gallery_instruction_policies(tiny):
    inferencer = make(tiny, use_cache=False)
    records = [dict(img_path=p) for p in tiny.paths[:2]]
    assert inferencer._gallery_instructions(records, False, 'li', 'auto') \
        == ('fixed', [(NEUTRAL_INSTRUCTION, None)] * 2)
    assert inferencer._gallery_instructions(records, False, 'cc', 'fixed') \
        == ('fixed', [('ignore clothes', None)] * 2)
    image = tiny.paths[0]
    assert inferencer._gallery_instructions(
        records, False, 'ctcc',
        [image, 'a red coat']) == ('per-image', [(None, image),
                                                 ('a red coat', None)])
    assert inferencer._gallery_instructions(records, False, 't2i',
                                            'auto') == ('none',
                                                        [(None, None)] * 2)
    with pytest.raises(ValueError, match='needs a dataset config'):
        inferencer._gallery_instructions(records, False, 'li', 'dataset')
    with pytest.raises(ValueError, match='one per image'):
        inferencer._gallery_instructions(records, False, 'li', ['a'])


def test_ctcc_with_clothes_image_arrays_and_paths(tiny, tmp_path):
    inferencer = make(tiny, use_cache=False)
    gallery = dataset(tiny, 'ctcc', 'gallery')
    record = DATASETS.build(gallery).get_data_info(7)
    by_path = inferencer([record['img_path']],
                         gallery,
                         task='ctcc',
                         instruction=record['instruction_img_path'],
                         topk=3,
                         show_dir=str(tmp_path / 'show'))
    assert by_path[0][0]['index'] == 7
    by_array = inferencer([cv2.imread(record['img_path'])],
                          gallery,
                          task='ctcc',
                          instruction=cv2.imread(
                              record['instruction_img_path']),
                          topk=3)
    assert [m['index'] for m in by_array[0]] == \
        [m['index'] for m in by_path[0]]
    np.testing.assert_allclose([m['score'] for m in by_array[0]],
                               [m['score'] for m in by_path[0]],
                               atol=1e-5)
    png = tmp_path / 'show' / (
        '000_' + osp.splitext(osp.basename(record['img_path']))[0] + '.png')
    strip = cv2.imread(str(png))
    assert strip is not None and strip.shape[1] > strip.shape[0]


def test_show_dir_writes_one_png_per_query(tiny, tmp_path):
    inferencer = make(tiny, use_cache=False)
    inferencer(
        tiny.paths[:2] + [cv2.imread(tiny.paths[2])],
        tiny.folder,
        topk=3,
        show_dir=str(tmp_path))
    names = sorted(os.listdir(tmp_path))
    assert len(names) == 3 and names[2] == '002_array.png'
    for name in names:
        assert cv2.imread(str(tmp_path / name)).shape[0] > 50


def test_a_prepared_index_gives_the_same_results(tiny, tmp_path):
    inferencer = make(tiny, use_cache=False)
    index = inferencer.build_gallery_index(tiny.folder, 'trad')
    assert isinstance(index, GalleryIndex)
    assert index.meta['task'] == 'trad' and len(index) == len(tiny.paths)
    index.save(str(tmp_path / 'index'))
    loaded = GalleryIndex.load(str(tmp_path / 'index'))
    queries = tiny.paths[4:6]
    assert inferencer(queries, loaded, topk=5) == \
        inferencer(queries, tiny.folder, topk=5)
    with pytest.raises(ValueError, match='built for task trad'):
        inferencer(queries, loaded, task='cc')


def test_instruction_blind_model(tiny, tmp_path):
    cfg = tiny_irm.tiny_irm_config(tiny.data_root, instruction_blind=True)
    config = str(tmp_path / 'blind.py')
    cfg.dump(config)
    inferencer = ReIDInferencer(
        config, device='cpu', use_cache=False, show_progress=False)
    results = inferencer(
        tiny.paths[8], tiny.folder, task='li', instruction='a red coat')
    assert results[0][0]['img_path'] == tiny.paths[8]
    with pytest.raises(ValueError, match='"auto" or "none"'):
        inferencer(tiny.paths[8], tiny.folder, gallery_instruction='fixed')


def test_errors_name_the_argument(tiny):
    inferencer = make(tiny, use_cache=False)
    with pytest.raises(ValueError, match='li task needs a text'):
        inferencer(tiny.paths[0], tiny.folder, task='li')
    with pytest.raises(ValueError, match='ctcc task needs a clothes image'):
        inferencer(tiny.paths[0], tiny.folder, task='ctcc')
    with pytest.raises(ValueError, match='pass instruction=None'):
        inferencer('a caption', tiny.folder, task='t2i', instruction='x')
    with pytest.raises(FileNotFoundError, match=r'queries\[0\]'):
        inferencer('missing.png', tiny.folder)
    with pytest.raises(FileNotFoundError, match='not a folder'):
        inferencer(tiny.paths[0], 'no/such/folder')
    with pytest.raises(FileNotFoundError, match=r'gallery\[1\]'):
        inferencer(tiny.paths[0], [tiny.paths[0], 'missing.png'])
    with pytest.raises(ValueError, match='2 instructions for 1 queries'):
        inferencer(tiny.paths[0], tiny.folder, instruction=['a', 'b'])
    with pytest.raises(ValueError, match=r'holds task\(s\) \[.cc.\]'):
        inferencer(tiny.paths[0], dataset(tiny, 'cc', 'gallery'))
    with pytest.raises(ValueError, match='HxWx3'):
        inferencer(np.zeros((4, 4, 3), np.float32), tiny.folder)


def test_search_metric_follows_the_test_evaluator(tiny):
    inferencer = make(tiny, use_cache=False)
    assert inferencer.search_metric('sc') == ('euclidean', False)
    assert inferencer.search_metric('t2i') == ('cosine', False)
    inferencer.cfg.test_evaluator = [
        dict(type='ReIDMetric', metric='cosine', normalize_feature=True)
    ]
    assert inferencer.search_metric('trad') == ('cosine', True)


def test_a_model_name_is_resolved_by_get_model(tiny, monkeypatch):
    from mmreid_instruct.apis import model as model_module
    calls = []

    def fake_get_model(name, pretrained, device):
        calls.append((name, pretrained, device))
        return init_model(tiny.config, tiny.ckpt_a, device='cpu')

    monkeypatch.setattr(model_module, 'get_model', fake_get_model)
    inferencer = ReIDInferencer('irm_tiny_zoo_name', device='cpu')
    assert calls == [('irm_tiny_zoo_name', True, 'cpu')]
    assert inferencer.cfg.model.type == 'InstructReID'


def test_fixed_instruction_follows_the_config(tiny):
    inferencer = make(tiny, use_cache=False)
    assert inferencer.fixed_instruction('sc') == 'do not change clothes'
    assert inferencer.fixed_instruction('li') is None
    trad_query = inferencer.cfg.test_dataloader.dataset.datasets[0]
    assert trad_query.task == 'trad'
    trad_query.instruction_text = 'keep the same outfit'
    assert inferencer.fixed_instruction('trad') == 'keep the same outfit'
    items = inferencer.query_items(tiny.paths[0], 'trad')
    assert items[0]['instruction'] == 'keep the same outfit'
