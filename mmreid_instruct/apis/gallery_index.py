"""Top-k search of query features in a gallery: exact, or through faiss."""
import json
import math
import os
import os.path as osp
import uuid
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch

from mmreid_instruct.evaluation.functional.distance import (
    check_metric, distance_from_parts, l2_normalize, row_factors)
from mmreid_instruct.evaluation.functional.utils import (check_no_nan,
                                                         check_positive_int,
                                                         stable_topk)
from .feature_cache import atomic_open

#: Search backends of :class:`GalleryIndex`.
BACKENDS = ('exact', 'faiss-flat', 'faiss-ivfpq')

#: Version of the files written by :meth:`GalleryIndex.save`.
INDEX_FORMAT = 1

#: Bytes of distances computed at once by the exact search.
BLOCK_BYTES = 64 * 2**20

ArrayLike = Union[np.ndarray, torch.Tensor]


def import_faiss():
    """Import faiss, or raise an error saying how to install it."""
    try:
        import faiss
    except ImportError:
        raise ImportError(
            'The faiss backends of GalleryIndex need the faiss-cpu package: '
            'pip install faiss-cpu (or pip install "mmreid_instruct'
            '[optional]"); backend="exact" needs nothing.') from None
    return faiss


def _as_features(feats: ArrayLike, name: str) -> np.ndarray:
    if isinstance(feats, torch.Tensor):
        feats = feats.detach().cpu().numpy()
    feats = np.asarray(feats)
    if feats.ndim != 2 or feats.shape[0] == 0 or feats.shape[1] == 0:
        raise ValueError(f'{name} must be a non-empty 2-D array (num, '
                         f'channels), got shape {feats.shape}')
    if feats.dtype.kind not in 'fiu':
        raise TypeError(f'{name} must hold real numbers, got {feats.dtype}')
    dtype = np.promote_types(feats.dtype, np.float32)
    feats = np.ascontiguousarray(feats, dtype=dtype)
    check_no_nan(feats, name, allow_inf=False)
    return feats


def _largest_divisor(n: int, at_most: int) -> int:
    return max(d for d in range(1, max(1, at_most) + 1) if n % d == 0)


def merge_topk(best_d: np.ndarray, best_i: np.ndarray, d: np.ndarray,
               i: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """Merge two per-row candidate lists into the ``k`` smallest distances,
    ties broken by the smaller index.

    Args:
        best_d, best_i (np.ndarray): ``(B, k1)`` distances and indices.
        d, i (np.ndarray): ``(B, k2)`` distances and indices.
        k (int): How many to keep (at most ``k1 + k2``).

    Returns:
        tuple: ``(B, k)`` distances and indices, sorted.

    Example:
        >>> d, i = merge_topk(np.array([[1., 3.]]), np.array([[4, 0]]),
        ...                   np.array([[1., 2.]]), np.array([[2, 9]]), 3)
        >>> d.tolist(), i.tolist()
        ([[1.0, 1.0, 2.0]], [[2, 4, 9]])
    """
    all_d = np.concatenate([best_d, d], axis=1)
    all_i = np.concatenate([best_i, i], axis=1)
    order = np.lexsort((all_i, all_d), axis=-1)[:, :k]
    return (np.take_along_axis(all_d, order,
                               1), np.take_along_axis(all_i, order, 1))


class GalleryIndex:
    """Gallery features ready for top-k search.

    ``'exact'`` search computes the distances of the evaluator
    (:func:`~mmreid_instruct.evaluation.functional.pairwise_distance`:
    squared Euclidean or 1 - cosine) chunk by chunk over the gallery and
    keeps a running top-k, so its memory is bounded by ``chunk_size`` and
    its order (ties broken by gallery index) is the one the metric ranks.
    The faiss backends (``pip install faiss-cpu``) are for galleries in the
    millions: ``'faiss-flat'`` is also exact (up to float rounding),
    ``'faiss-ivfpq'`` approximate (an inverted file of ``nlist`` lists with
    product-quantised codes of ``m`` bytes, ``nprobe`` lists searched).
    For cosine, faiss searches L2-normalised copies by inner product.

    Scores: higher = more similar; ``-squared Euclidean distance`` for
    ``'euclidean'`` and the cosine similarity for ``'cosine'``.

    Args:
        features (np.ndarray | torch.Tensor): ``(N, C)`` gallery features.
        paths (Sequence[str], optional): The N gallery images.
        metric (str): ``'euclidean'`` or ``'cosine'``. Defaults to
            ``'euclidean'``.
        backend (str): One of :data:`BACKENDS`. Defaults to ``'exact'``.
        chunk_size (int, optional): Gallery rows per chunk of the exact
            search. Defaults to None (65,536).
        nlist (int, optional): IVF lists (``'faiss-ivfpq'``). Defaults to
            about ``4 * sqrt(N)``, at most ``N // 39``.
        m (int, optional): PQ sub-quantisers, a divisor of C. Defaults to
            the largest divisor of C not above ``C // 4``.
        nbits (int): Bits per PQ code. Defaults to 8.
        nprobe (int): IVF lists searched per query. Defaults to 16.
        seed (int): Seed of the faiss k-means. Defaults to 0.
        meta (dict, optional): JSON-able facts about the features (e.g.
            the task they were encoded for), saved with the index.

    Example:
        >>> g = np.array([[0., 0.], [1., 0.], [0., 3.]], np.float32)
        >>> index = GalleryIndex(g, paths=['a.png', 'b.png', 'c.png'])
        >>> scores, indices = index.search(np.array([[0.9, 0.]]), topk=2)
        >>> indices.tolist(), np.round(scores, 2).tolist()
        ([[1, 0]], [[-0.01, -0.81]])
    """

    def __init__(self,
                 features: ArrayLike,
                 paths: Optional[Sequence[str]] = None,
                 metric: str = 'euclidean',
                 backend: str = 'exact',
                 chunk_size: Optional[int] = None,
                 nlist: Optional[int] = None,
                 m: Optional[int] = None,
                 nbits: int = 8,
                 nprobe: int = 16,
                 seed: int = 0,
                 meta: Optional[dict] = None):
        self.features = _as_features(features, 'features')
        num, dims = self.features.shape
        if paths is not None:
            paths = [str(p) for p in paths]
            if len(paths) != num:
                raise ValueError(f'paths has {len(paths)} entries for {num} '
                                 'features; expected one path per feature')
        self.paths = paths
        self.metric = check_metric(metric)
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {BACKENDS}, got '
                             f'{backend!r}')
        self.backend = backend
        self.chunk_size = check_positive_int(
            chunk_size, 'chunk_size', optional=True) or 65536
        self.nlist = check_positive_int(
            nlist, 'nlist', optional=True) or max(
                1, min(int(4 * math.sqrt(num)), num // 39))
        self.m = check_positive_int(m, 'm', optional=True) or \
            _largest_divisor(dims, dims // 4)
        if dims % self.m:
            raise ValueError(f'm={self.m} must divide the feature width '
                             f'{dims}')
        self.nbits = check_positive_int(nbits, 'nbits')
        self._nprobe = check_positive_int(nprobe, 'nprobe')
        self.seed = int(seed)
        self.meta = dict(meta or {})
        self._g_factors = row_factors(self.features, self.metric)
        self._faiss_index = None
        if backend != 'exact':
            self._faiss_index = self._build_faiss()

    def __len__(self) -> int:
        return len(self.features)

    @property
    def nprobe(self) -> int:
        """IVF lists searched per query (``'faiss-ivfpq'``); may be changed
        between searches without training again."""
        return self._nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        self._nprobe = check_positive_int(value, 'nprobe')
        if self.backend == 'faiss-ivfpq' and self._faiss_index is not None:
            self._faiss_index.nprobe = self._nprobe

    # ----------------------------------------------------------- faiss
    def _faiss_features(self, feats: np.ndarray) -> np.ndarray:
        feats = np.ascontiguousarray(feats, dtype=np.float32)
        return l2_normalize(feats) if self.metric == 'cosine' else feats

    def _build_faiss(self, serialized: Optional[np.ndarray] = None):
        faiss = import_faiss()
        if serialized is not None:
            index = faiss.deserialize_index(serialized)
        else:
            feats = self._faiss_features(self.features)
            dims = feats.shape[1]
            inner = self.metric == 'cosine'
            if self.backend == 'faiss-flat':
                index = faiss.IndexFlatIP(dims) if inner else \
                    faiss.IndexFlatL2(dims)
            else:
                index = self._ivfpq(faiss, feats, inner)
            index.add(feats)
        if self.backend == 'faiss-ivfpq':
            index.nprobe = self.nprobe
        return index

    def _ivfpq(self, faiss, feats: np.ndarray, inner: bool):
        num, dims = feats.shape
        needed = max(self.nlist, 2**self.nbits)
        if num < needed:
            raise ValueError(
                f'faiss-ivfpq needs at least max(nlist, 2**nbits) = {needed} '
                f'gallery features to train, got {num}; use a smaller nlist '
                "or nbits, or backend='faiss-flat'")
        faiss_metric = faiss.METRIC_INNER_PRODUCT if inner else faiss.METRIC_L2
        quantizer = faiss.IndexFlatIP(dims) if inner else \
            faiss.IndexFlatL2(dims)
        index = faiss.IndexIVFPQ(quantizer, dims, self.nlist, self.m,
                                 self.nbits, faiss_metric)
        index.cp.seed = self.seed
        index.pq.cp.seed = self.seed
        index.train(feats)
        return index

    def _search_faiss(self, queries: np.ndarray, k: int):
        dist, idx = self._faiss_index.search(self._faiss_features(queries), k)
        if self.metric == 'cosine':
            scores = dist
        else:
            scores = -dist
        scores = np.where(idx < 0, -np.inf, scores)
        return scores, idx.astype(np.int64)

    # ----------------------------------------------------------- exact
    def _search_exact(self, queries: np.ndarray, k: int):
        num = len(self.features)
        chunk = min(self.chunk_size, num)
        dtype = np.promote_types(queries.dtype, self.features.dtype)
        queries = queries.astype(dtype, copy=False)
        gallery = self.features.astype(dtype, copy=False)
        q_factors = row_factors(queries, self.metric)
        g_factors = self._g_factors.astype(dtype, copy=False)
        step = max(1, BLOCK_BYTES // (chunk * dtype.itemsize))
        dists = np.empty((len(queries), k), dtype=dtype)
        indices = np.empty((len(queries), k), dtype=np.int64)
        for q0 in range(0, len(queries), step):
            q1 = min(q0 + step, len(queries))
            best_d = np.empty((q1 - q0, 0), dtype=dtype)
            best_i = np.empty((q1 - q0, 0), dtype=np.int64)
            for g0 in range(0, num, chunk):
                g1 = min(g0 + chunk, num)
                block = distance_from_parts(queries[q0:q1], gallery[g0:g1],
                                            self.metric, q_factors[q0:q1],
                                            g_factors[g0:g1])
                check_no_nan(block, 'the distances')
                kk = min(k, g1 - g0)
                r, c = stable_topk(block, kk)
                d = block[r, c].reshape(q1 - q0, kk)
                best_d, best_i = merge_topk(best_d, best_i, d,
                                            c.reshape(q1 - q0, kk) + g0, k)
            dists[q0:q1], indices[q0:q1] = best_d, best_i
        scores = 1 - dists if self.metric == 'cosine' else -dists
        return scores, indices

    def search(self,
               queries: ArrayLike,
               topk: int = 10) -> Tuple[np.ndarray, np.ndarray]:
        """The ``topk`` most similar gallery items of every query.

        Args:
            queries (np.ndarray | torch.Tensor): ``(Q, C)`` query features.
            topk (int): Items per query, capped at the gallery size.
                Defaults to 10.

        Returns:
            tuple: ``scores`` (float ``(Q, k)``, best first; higher = more
            similar) and ``indices`` (int64 ``(Q, k)``). An approximate
            backend may find fewer than ``k`` items: the missing ones have
            index -1 and score ``-inf``.
        """
        queries = _as_features(queries, 'queries')
        if queries.shape[1] != self.features.shape[1]:
            raise ValueError(f'queries have {queries.shape[1]} channels, the '
                             f'gallery {self.features.shape[1]}')
        k = min(check_positive_int(topk, 'topk'), len(self.features))
        if self._faiss_index is not None:
            return self._search_faiss(queries, k)
        return self._search_exact(queries, k)

    # ------------------------------------------------------------ files
    def _settings(self) -> dict:
        return dict(
            metric=self.metric,
            backend=self.backend,
            chunk_size=self.chunk_size,
            nlist=self.nlist,
            m=self.m,
            nbits=self.nbits,
            nprobe=self.nprobe,
            seed=self.seed)

    def save(self, directory: str) -> None:
        """Write ``features.npz`` (features, and the trained faiss index of
        ``'faiss-ivfpq'``) and ``index.json`` (settings, paths, meta) into
        ``directory``, each atomically; a shared random id ties the two.

        Args:
            directory (str): The folder (created if needed).
        """
        save_id = uuid.uuid4().hex
        arrays = dict(features=self.features, save_id=np.array(save_id))
        if self.backend == 'faiss-ivfpq':
            arrays['faiss_index'] = import_faiss().serialize_index(
                self._faiss_index)
        os.makedirs(directory, exist_ok=True)
        with atomic_open(osp.join(directory, 'features.npz')) as f:
            np.savez(f, **arrays)
        info = dict(
            format=INDEX_FORMAT,
            save_id=save_id,
            shape=list(self.features.shape),
            settings=self._settings(),
            paths=self.paths,
            meta=self.meta)
        with atomic_open(osp.join(directory, 'index.json'), 'w') as f:
            json.dump(info, f)

    @classmethod
    def load(cls, directory: str) -> 'GalleryIndex':
        """Read an index written by :meth:`save`.

        Args:
            directory (str): The folder.

        Returns:
            GalleryIndex: The index, with the same search results.
        """
        json_file = osp.join(directory, 'index.json')
        npz_file = osp.join(directory, 'features.npz')
        for file in (json_file, npz_file):
            if not osp.isfile(file):
                raise FileNotFoundError(
                    f'Missing {file}: expected a folder written by '
                    'GalleryIndex.save')
        with open(json_file) as f:
            info = json.load(f)
        if info.get('format') != INDEX_FORMAT:
            raise ValueError(f'{json_file}: format {info.get("format")!r}, '
                             f'this version reads format {INDEX_FORMAT}')
        with np.load(npz_file, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        if str(arrays['save_id']) != info['save_id']:
            raise ValueError(f'{npz_file} and {json_file} come from '
                             'different saves; save the index again')
        settings = dict(info['settings'])
        backend = settings.pop('backend')
        index = cls(
            arrays['features'],
            paths=info['paths'],
            meta=info['meta'],
            backend='exact',
            **settings)
        index.backend = backend
        if backend != 'exact':
            index._faiss_index = index._build_faiss(arrays.get('faiss_index'))
        return index

    def __repr__(self) -> str:
        num, dims = self.features.shape
        return (f'{type(self).__name__}({num} x {dims}, metric='
                f'{self.metric!r}, backend={self.backend!r})')
