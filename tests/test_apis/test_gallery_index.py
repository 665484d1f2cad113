"""GalleryIndex: exact search equals a brute-force ranking; faiss backends;
save / load."""
import json

import numpy as np
import pytest
import torch

from mmreid_instruct.apis.gallery_index import GalleryIndex, merge_topk
from mmreid_instruct.evaluation.functional import pairwise_distance


def features(num, dims=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((num, dims)).astype(np.float32)


def brute_force(queries, gallery, metric, topk):
    """Whole distance matrix, stable argsort (ties by gallery index)."""
    dist = pairwise_distance(queries, gallery, metric)
    order = np.argsort(dist, axis=1, kind='stable')[:, :topk]
    return order, np.take_along_axis(dist, order, 1)


@pytest.fixture(scope='module')
def data():
    gallery = features(103)
    # Exact ties: rows 7, 50 and 101 are one feature; query 0 is it.
    gallery[50] = gallery[101] = gallery[7]
    queries = features(9, seed=1)
    queries[0] = gallery[7]
    queries[1] = gallery[7] * 2  # equal cosine to the three rows
    return queries, gallery


@pytest.mark.parametrize('metric', ['euclidean', 'cosine'])
@pytest.mark.parametrize('chunk_size', [1, 2, 7, 50, 51, 102, 103, 1000])
def test_exact_search_equals_brute_force(data, metric, chunk_size):
    queries, gallery = data
    index = GalleryIndex(gallery, metric=metric, chunk_size=chunk_size)
    scores, indices = index.search(queries, topk=12)
    ref_idx, ref_dist = brute_force(queries, gallery, metric, 12)
    np.testing.assert_array_equal(indices, ref_idx)
    expected = 1 - ref_dist if metric == 'cosine' else -ref_dist
    np.testing.assert_array_equal(scores, expected)
    # The tied rows come in gallery order.
    assert indices[0, :3].tolist() == [7, 50, 101]
    if metric == 'cosine':
        assert indices[1, :3].tolist() == [7, 50, 101]


def test_scores_are_best_first_and_topk_is_capped(data):
    queries, gallery = data
    scores, indices = GalleryIndex(gallery[:5]).search(queries, topk=10)
    assert indices.shape == (9, 5)
    assert (np.diff(scores, axis=1) <= 0).all()
    assert sorted(indices[3].tolist()) == [0, 1, 2, 3, 4]


def test_torch_and_float64_inputs(data):
    queries, gallery = data
    ref = GalleryIndex(gallery).search(queries, 5)[1]
    idx = GalleryIndex(torch.from_numpy(gallery)).search(
        torch.from_numpy(queries), 5)[1]
    np.testing.assert_array_equal(idx, ref)
    idx64 = GalleryIndex(gallery.astype(np.float64)).search(
        queries.astype(np.float64), 5)[1]
    ref64 = brute_force(
        queries.astype(np.float64), gallery.astype(np.float64), 'euclidean',
        5)[0]
    np.testing.assert_array_equal(idx64, ref64)


def test_merge_topk_breaks_ties_by_index():
    d, i = merge_topk(
        np.array([[0.5, 1.0]]), np.array([[3, 1]]), np.array([[0.5, 0.2]]),
        np.array([[2, 8]]), 3)
    assert i.tolist() == [[8, 2, 3]]
    assert d.tolist() == [[0.2, 0.5, 0.5]]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='paths has 2 entries for 3'):
        GalleryIndex(features(3), paths=['a', 'b'])
    with pytest.raises(ValueError, match='backend must be one of'):
        GalleryIndex(features(3), backend='annoy')
    with pytest.raises(ValueError, match='queries have 8 channels'):
        GalleryIndex(features(3)).search(features(1, dims=8))
    with pytest.raises(ValueError, match='NaN'):
        GalleryIndex(np.full((2, 2), np.nan, np.float32))
    with pytest.raises(ValueError, match='non-empty 2-D'):
        GalleryIndex(np.zeros((0, 4), np.float32))
    with pytest.raises(ValueError, match='m=5 must divide'):
        GalleryIndex(features(3), m=5)


@pytest.mark.parametrize('metric', ['euclidean', 'cosine'])
def test_save_load_round_trip(data, tmp_path, metric):
    queries, gallery = data
    paths = [f'img/{i:03d}.png' for i in range(len(gallery))]
    index = GalleryIndex(
        gallery, paths, metric=metric, chunk_size=10, meta=dict(task='cc'))
    index.save(str(tmp_path / 'idx'))
    loaded = GalleryIndex.load(str(tmp_path / 'idx'))
    assert loaded.paths == paths and loaded.meta == dict(task='cc')
    assert (loaded.metric, loaded.chunk_size) == (metric, 10)
    for a, b in zip(index.search(queries, 7), loaded.search(queries, 7)):
        np.testing.assert_array_equal(a, b)
    assert sorted(p.name for p in (tmp_path / 'idx').iterdir()) == \
        ['features.npz', 'index.json']


def test_load_refuses_files_of_two_saves(data, tmp_path):
    _, gallery = data
    GalleryIndex(gallery).save(str(tmp_path / 'a'))
    GalleryIndex(gallery[:10]).save(str(tmp_path / 'b'))
    info = json.load(open(tmp_path / 'b' / 'index.json'))
    json.dump(info, open(tmp_path / 'a' / 'index.json', 'w'))
    with pytest.raises(ValueError, match='different saves'):
        GalleryIndex.load(str(tmp_path / 'a'))
    with pytest.raises(FileNotFoundError, match='GalleryIndex.save'):
        GalleryIndex.load(str(tmp_path / 'missing'))


@pytest.mark.parametrize('metric', ['euclidean', 'cosine'])
def test_faiss_flat_equals_exact(metric):
    pytest.importorskip('faiss')
    gallery, queries = features(500, 32), features(20, 32, seed=3)
    exact = GalleryIndex(gallery, metric=metric).search(queries, 10)
    flat = GalleryIndex(
        gallery, metric=metric, backend='faiss-flat').search(queries, 10)
    np.testing.assert_array_equal(flat[1], exact[1])
    np.testing.assert_allclose(flat[0], exact[0], rtol=1e-4, atol=1e-4)


def clustered(num_ids, per_id, dims, seed):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((num_ids, dims))
    noise = 0.3 * rng.standard_normal((num_ids, per_id, dims))
    return (centres[:, None] + noise).reshape(-1, dims).astype(np.float32)


def test_faiss_ivfpq_finds_most_neighbours_and_round_trips(tmp_path):
    pytest.importorskip('faiss')
    gallery = clustered(100, 10, 32, seed=0)
    queries = gallery[::50] + 0.05
    exact = GalleryIndex(gallery).search(queries, 10)[1]
    index = GalleryIndex(
        gallery, backend='faiss-ivfpq', nlist=16, m=8, nprobe=4)
    scores, approx = index.search(queries, 10)
    recall = np.mean(
        [len(set(a) & set(e)) / 10 for a, e in zip(approx, exact)])
    assert recall > 0.8, recall
    assert (np.diff(scores, axis=1) <= 1e-6).all()
    index.save(str(tmp_path / 'ivf'))
    loaded = GalleryIndex.load(str(tmp_path / 'ivf'))
    assert (loaded.backend, loaded.nprobe) == ('faiss-ivfpq', 4)
    np.testing.assert_array_equal(loaded.search(queries, 10)[1], approx)
    # Searching every list finds what the codes allow, without training.
    loaded.nprobe = 16
    assert loaded._faiss_index.nprobe == 16
    wide = loaded.search(queries, 10)[1]
    assert np.mean([len(set(a) & set(e)) / 10
                    for a, e in zip(wide, exact)]) >= recall


def test_faiss_ivfpq_needs_enough_training_features():
    pytest.importorskip('faiss')
    with pytest.raises(ValueError, match='at least max'):
        GalleryIndex(features(100), backend='faiss-ivfpq', nlist=4, m=4)


def test_missing_faiss_names_the_package(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_faiss(name, *args, **kwargs):
        if name == 'faiss':
            raise ImportError('No module named faiss')
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', no_faiss)
    with pytest.raises(ImportError, match='pip install faiss-cpu'):
        GalleryIndex(features(10), backend='faiss-flat')
