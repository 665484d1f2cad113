"""Pairwise distances between query and gallery features."""
from typing import Optional, Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor]

#: Distance metrics understood by :func:`pairwise_distance`.
DISTANCE_METRICS = ('euclidean', 'cosine')


def check_metric(metric: str) -> str:
    """Return ``metric`` if it is a known distance metric, else raise."""
    if metric not in DISTANCE_METRICS:
        raise ValueError(f'metric must be one of {DISTANCE_METRICS}, '
                         f'got {metric!r}')
    return metric


def l2_normalize(feats: ArrayLike) -> ArrayLike:
    """Scale every row of ``feats`` to unit L2 norm (zero rows stay zero).

    Args:
        feats (np.ndarray | torch.Tensor): Features of shape ``(N, C)``.

    Returns:
        np.ndarray | torch.Tensor: Normalised features, same type and dtype.

    Example:
        >>> import numpy as np
        >>> l2_normalize(np.array([[3., 4.]])).tolist()
        [[0.6, 0.8]]
    """
    if isinstance(feats, torch.Tensor):
        return torch.nn.functional.normalize(feats, p=2, dim=1)
    norms = np.linalg.norm(feats, axis=1, keepdims=True)
    return feats / np.maximum(norms, np.finfo(feats.dtype).tiny)


def squared_norms(feats: ArrayLike) -> ArrayLike:
    """Squared L2 norm of every row of a 2-D array or tensor."""
    if isinstance(feats, torch.Tensor):
        return (feats * feats).sum(1)
    return np.einsum('ij,ij->i', feats, feats)


def row_factors(feats: ArrayLike, metric: str) -> ArrayLike:
    """Per-row numbers :func:`distance_from_parts` combines with the dot
    products: squared norms (``'euclidean'``) or inverse norms
    (``'cosine'``; zero rows get 0, i.e. cosine similarity 0)."""
    sq = squared_norms(feats)
    if metric == 'euclidean':
        return sq
    if isinstance(sq, torch.Tensor):
        norms = sq.sqrt()
        return torch.where(norms > 0, 1 / norms.clamp(min=1e-30),
                           torch.zeros_like(norms))
    norms = np.sqrt(sq)
    out = np.zeros_like(norms)
    np.divide(1, norms, out=out, where=norms > 0)
    return out


def _matmul_t(q_feats: ArrayLike, g_feats: ArrayLike) -> ArrayLike:
    """``q_feats @ g_feats.T`` rounded the same way for any block shape.

    BLAS computes a product with a single row or column by another routine
    than a matrix product, and rounds it differently; padding a lone row
    keeps every block of a distance matrix equal to the whole matrix.
    """
    lone_q, lone_g = len(q_feats) == 1, len(g_feats) == 1
    if lone_q:
        q_feats = _repeat_row(q_feats)
    if lone_g:
        g_feats = _repeat_row(g_feats)
    dist = q_feats @ g_feats.T
    if lone_q or lone_g:
        dist = dist[:1 if lone_q else None, :1 if lone_g else None]
        dist = dist.clone() if isinstance(dist, torch.Tensor) else dist.copy()
    return dist


def _repeat_row(feats: ArrayLike) -> ArrayLike:
    if isinstance(feats, torch.Tensor):
        return feats.expand(2, -1)
    return np.broadcast_to(feats, (2, feats.shape[1]))


def distance_from_parts(q_feats: ArrayLike,
                        g_feats: ArrayLike,
                        metric: str,
                        q_factors: Optional[ArrayLike] = None,
                        g_factors: Optional[ArrayLike] = None) -> ArrayLike:
    """Distance block from features and their :func:`row_factors`.

    The factors may be passed in to avoid recomputing them for every
    block. Every element is computed with the same operations whatever the
    block, so blocks of a distance matrix equal the whole matrix, and no
    normalised copy of the features is made.

    Args:
        q_feats (np.ndarray | torch.Tensor): Query features ``(Q, C)``.
        g_feats (np.ndarray | torch.Tensor): Gallery features ``(G, C)``.
        metric (str): ``'euclidean'`` or ``'cosine'``.
        q_factors (np.ndarray | torch.Tensor, optional): Row factors of
            ``q_feats``.
        g_factors (np.ndarray | torch.Tensor, optional): Row factors of
            ``g_feats``.

    Returns:
        np.ndarray | torch.Tensor: The ``(Q, G)`` distances.
    """
    if q_factors is None:
        q_factors = row_factors(q_feats, metric)
    if g_factors is None:
        g_factors = row_factors(g_feats, metric)
    dist = _matmul_t(q_feats, g_feats)
    if metric == 'cosine':
        dist *= q_factors[:, None]
        dist *= g_factors[None, :]
        dist *= -1
        dist += 1
        return dist
    dist *= -2
    dist += q_factors[:, None]
    dist += g_factors[None, :]
    # Rounding can leave tiny negatives for (near-)identical features.
    if isinstance(dist, torch.Tensor):
        dist.clamp_(min=0)
    else:
        np.maximum(dist, 0, out=dist)
    return dist


def pairwise_distance(q_feats: ArrayLike,
                      g_feats: ArrayLike,
                      metric: str = 'euclidean') -> ArrayLike:
    """Distances between every query and every gallery feature.

    ``'euclidean'`` gives the *squared* Euclidean distance (it ranks exactly
    like the Euclidean distance and needs no square root);
    ``'cosine'`` gives ``1 - cosine similarity``. Numpy in, numpy out; torch
    in, torch out on the same device. Both inputs must be of the same kind.

    Args:
        q_feats (np.ndarray | torch.Tensor): Query features ``(Q, C)``.
        g_feats (np.ndarray | torch.Tensor): Gallery features ``(G, C)``.
        metric (str): ``'euclidean'`` or ``'cosine'``.
            Defaults to ``'euclidean'``.

    Returns:
        np.ndarray | torch.Tensor: The ``(Q, G)`` distance matrix, in the
        floating dtype of the features.

    Example:
        >>> import numpy as np
        >>> q = np.array([[0., 0.], [1., 0.]], dtype=np.float32)
        >>> g = np.array([[0., 2.]], dtype=np.float32)
        >>> pairwise_distance(q, g).tolist()
        [[4.0], [5.0]]
    """
    check_metric(metric)
    check_feature_pair(q_feats, g_feats)
    return distance_from_parts(q_feats, g_feats, metric)


def check_feature_pair(q_feats: ArrayLike, g_feats: ArrayLike) -> None:
    """Raise a clear error unless the two feature matrices fit together."""
    for name, feats in (('q_feats', q_feats), ('g_feats', g_feats)):
        if not isinstance(feats, (np.ndarray, torch.Tensor)):
            raise TypeError(f'{name} must be a numpy array or a torch '
                            f'tensor, got {type(feats).__name__}')
        if feats.ndim != 2:
            raise ValueError(f'{name} must be 2-D (num, channels), got '
                             f'shape {tuple(feats.shape)}')
    if isinstance(q_feats, torch.Tensor) != isinstance(g_feats, torch.Tensor):
        raise TypeError('q_feats and g_feats must both be numpy arrays or '
                        'both be torch tensors')
    if q_feats.shape[1] != g_feats.shape[1]:
        raise ValueError('q_feats and g_feats must have the same number of '
                         f'channels, got {q_feats.shape[1]} and '
                         f'{g_feats.shape[1]}')
