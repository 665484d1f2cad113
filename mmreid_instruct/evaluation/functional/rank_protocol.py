"""The rules of an evaluation: :class:`RankProtocol`, and
:class:`MatchRules`, the protocol applied to the labels of one query set
and gallery."""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np
import torch

from .utils import check_positive_int

#: Accepted values of ``RankProtocol.clothes_mode``.
CLOTHES_MODES = (None, 'cc', 'sc')

#: Accepted values of ``RankProtocol.ties``.
TIE_MODES = ('index', 'pessimistic', 'expected')

#: Named protocols (:meth:`RankProtocol.preset`). ``'official'`` is the
#: evaluator of the official Instruct-ReID code (its
#: ``reid/evaluation/evaluators.py``, ``eval_func``) for every ReID task:
#: the first 500 items of the ranking by squared Euclidean distance, the
#: same-pid same-camera items among them dropped, CMC and AP from what is
#: left (AP divided by the true matches inside that window); a match is the
#: same pid, nothing else (no clothes rule for cc, ctcc or li); pid -1 is
#: an ordinary negative; a query counts when the whole gallery holds a
#: match. Details: ``docs/en/advanced_guides/evaluation.md``.
PROTOCOL_PRESETS = {
    'official':
    dict(
        ap_topk=500,
        junk_pids=(),
        clothes_mode=None,
        match_clothes=False,
        use_camera=True,
        ties='index'),
}


@dataclass(frozen=True)
class RankProtocol:
    """How the rank metrics match and score queries (checked once, here).

    A gallery item is **junk** for a query (removed before ranking) when
    its pid is in ``junk_pids``, or when it is a *positive* of the query
    (same pid; with ``match_clothes`` also the same clothes) and is seen by
    the query's camera (``use_camera``) or, under ``clothes_mode``, wears
    the query's clothes (``'cc'``) or other clothes (``'sc'``). Every other
    positive is a **true match**. The protocols of the benchmarks are
    described in ``docs/en/advanced_guides/evaluation.md``.

    Args:
        max_rank (int): Length of the CMC curve; it may exceed the gallery
            size. Defaults to 50.
        clothes_mode (str, optional): None, ``'cc'`` (clothes-changing)
            or ``'sc'`` (same-clothes). Defaults to None.
        match_clothes (bool, optional): A true match must also wear the
            query's clothes, and same-pid items in other clothes are
            negatives. None (the default) is False for the functions;
            :class:`~mmreid_instruct.evaluation.ReIDMetric` turns it on for
            the tasks whose instruction names the target outfit.
        junk_pids (Sequence[int]): Pids whose gallery items are always
            junk. Defaults to ``(-1,)``.
        use_camera (bool): Apply the same-camera rule; it needs camera ids.
            Defaults to True.
        ap_topk (int, optional): Compatibility switch only: CMC, AP and INP
            from the first ``ap_topk`` items of the raw ranking (the
            official Instruct-ReID code uses 500). Defaults to None.
        ties (str): How gallery items at exactly the same distance from a
            query are ordered: ``'index'`` (by gallery index, like a
            stable sort: the published protocol), ``'pessimistic'`` (the
            true matches after every other tied item: a lower bound) or
            ``'expected'`` (CMC, AP and INP averaged over every order of
            each tie group, in closed form). The three agree when no true
            match ties with a non-matching item. ``ap_topk`` needs
            ``'index'``. Defaults to ``'index'``.

    Example:
        >>> protocol = RankProtocol(clothes_mode='cc', junk_pids=[0, -1])
        >>> protocol.junk_pids, protocol.uses_clothes
        ((0, -1), True)
    """
    max_rank: int = 50
    clothes_mode: Optional[str] = None
    match_clothes: Optional[bool] = None
    junk_pids: Tuple[int, ...] = (-1, )
    use_camera: bool = True
    ap_topk: Optional[int] = None
    ties: str = 'index'

    def __post_init__(self):
        set_field = object.__setattr__  # the dataclass is frozen
        set_field(self, 'max_rank',
                  check_positive_int(self.max_rank, 'max_rank'))
        set_field(self, 'ap_topk',
                  check_positive_int(self.ap_topk, 'ap_topk', optional=True))
        if self.clothes_mode not in CLOTHES_MODES:
            raise ValueError(f'clothes_mode must be one of {CLOTHES_MODES}, '
                             f'got {self.clothes_mode!r}')
        if self.match_clothes is not None:
            set_field(self, 'match_clothes',
                      _check_bool(self.match_clothes, 'match_clothes'))
        set_field(self, 'use_camera', _check_bool(self.use_camera,
                                                  'use_camera'))
        if self.ties not in TIE_MODES:
            raise ValueError(f'ties must be one of {TIE_MODES}, got '
                             f'{self.ties!r}')
        if self.ap_topk is not None and self.ties != 'index':
            raise ValueError(f'ap_topk (the official code\'s window, which '
                             f'breaks ties by index) needs ties=\'index\', '
                             f'got ties={self.ties!r}')
        if self.clothes_mode is not None and self.match_clothes:
            raise ValueError('clothes_mode and match_clothes=True cannot be '
                             'combined: match_clothes already decides what '
                             'same-pid items in other clothes are')
        try:
            junk_pids = tuple(int(p) for p in self.junk_pids)
        except (TypeError, ValueError):
            raise TypeError('junk_pids must be a sequence of integers, got '
                            f'{self.junk_pids!r}') from None
        set_field(self, 'junk_pids', junk_pids)

    @classmethod
    def preset(cls, name: str, **overrides) -> 'RankProtocol':
        """A named protocol of :data:`PROTOCOL_PRESETS`.

        Args:
            name (str): The preset, e.g. ``'official'``.
            **overrides: Fields that replace the preset's, e.g.
                ``max_rank``.

        Returns:
            RankProtocol: The protocol.

        Example:
            >>> p = RankProtocol.preset('official')
            >>> p.ap_topk, p.junk_pids, p.match_clothes
            (500, (), False)
        """
        if name not in PROTOCOL_PRESETS:
            raise ValueError(f'unknown protocol preset {name!r}; expected '
                             f'one of {sorted(PROTOCOL_PRESETS)}')
        return cls(**dict(PROTOCOL_PRESETS[name], **overrides))

    @property
    def uses_clothes(self) -> bool:
        """Whether the protocol needs clothes ids."""
        return self.clothes_mode is not None or bool(self.match_clothes)

    def reject(self, fields: Sequence[str], owner: str) -> None:
        """Raise if any of ``fields`` is set (to a true value other than
        its default): ``owner`` (e.g. a protocol of its own) does not
        support them.

        Example:
            >>> RankProtocol().reject(['ap_topk', 'ties'], 'the VI protocol')
        """
        defaults = RankProtocol.__dataclass_fields__
        used = {
            f: getattr(self, f)
            for f in fields
            if getattr(self, f) and getattr(self, f) != defaults[f].default
        }
        if used:
            raise ValueError(f'{owner} does not support {used}')


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f'{name} must be True or False, got {value!r}')
    return bool(value)


def to_label_array(values, name: str, length: int, what: str) -> np.ndarray:
    """``values`` as a 1-D int64 numpy array of ``length`` entries.

    Args:
        values (array-like): Integer labels.
        name (str): The argument's name, for errors.
        length (int): Expected number of entries.
        what (str): What the entries label (``'queries'``...), for errors.

    Returns:
        np.ndarray: The labels.

    Example:
        >>> to_label_array([3, 1], 'q_pids', 2, 'queries').dtype
        dtype('int64')
    """
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f'{name} must be 1-D, got shape {arr.shape}')
    if len(arr) != length:
        raise ValueError(f'{name} has {len(arr)} entries but there are '
                         f'{length} {what}')
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f'{name} must hold integers, got dtype {arr.dtype}')
    return arr.astype(np.int64, copy=False)


def _label_pair(label: str, q_values, g_values, shape: Tuple[int, int],
                needed_by: Optional[str]) -> tuple:
    """Checked ``q_<label>`` and ``g_<label>`` if a rule (``needed_by``)
    needs them, else ``(None, None)``."""
    if needed_by is None:
        return None, None
    if q_values is None or g_values is None:
        raise ValueError(f'{needed_by} needs q_{label} and g_{label}')
    return (to_label_array(q_values, f'q_{label}', shape[0], 'queries'),
            to_label_array(g_values, f'g_{label}', shape[1], 'gallery items'))


class MatchRules:
    """A :class:`RankProtocol` applied to checked query and gallery labels.

    Args:
        protocol (RankProtocol): The rules.
        shape (tuple[int, int]): ``(num_query, num_gallery)``.
        q_pids, g_pids (array-like): Integer person ids.
        q_camids, g_camids (array-like, optional): Integer camera ids,
            needed when ``protocol.use_camera``.
        q_clothes_ids, g_clothes_ids (array-like, optional): Integer outfit
            ids, needed by ``clothes_mode`` and ``match_clothes``.

    Example:
        >>> import numpy as np
        >>> rules = MatchRules(RankProtocol(), (1, 3), [1], [1, 1, 2],
        ...                    [0], [0, 1, 1])
        >>> [m.tolist() for m in rules.classify(np.zeros(3, int),
        ...                                     np.arange(3))]
        [[False, True, False], [True, False, False]]
    """

    def __init__(self,
                 protocol: RankProtocol,
                 shape: Tuple[int, int],
                 q_pids,
                 g_pids,
                 q_camids=None,
                 g_camids=None,
                 q_clothes_ids=None,
                 g_clothes_ids=None):
        if not isinstance(protocol, RankProtocol):
            raise TypeError('protocol must be a RankProtocol, got '
                            f'{type(protocol).__name__}')
        self.protocol = protocol
        num_query, num_gallery = shape
        self.q_pids = to_label_array(q_pids, 'q_pids', num_query, 'queries')
        self.g_pids = to_label_array(g_pids, 'g_pids', num_gallery,
                                     'gallery items')
        camera_rule = None
        if protocol.use_camera:
            camera_rule = ("use_camera=True (the same-camera rule, "
                           "RankProtocol's default)")
        self.q_camids, self.g_camids = _label_pair('camids', q_camids,
                                                   g_camids, shape,
                                                   camera_rule)
        clothes_rule = None
        if protocol.uses_clothes:
            clothes_rule = f'clothes_mode={protocol.clothes_mode!r}' \
                if protocol.clothes_mode else 'match_clothes=True'
        self.q_clothes, self.g_clothes = _label_pair('clothes_ids',
                                                     q_clothes_ids,
                                                     g_clothes_ids, shape,
                                                     clothes_rule)
        self.g_is_junk = np.isin(self.g_pids, protocol.junk_pids)

    def classify(self, qi: np.ndarray, gj: np.ndarray):
        """``(is_match, is_junk)`` of query/gallery index pairs."""
        positive = self.q_pids[qi] == self.g_pids[gj]
        if self.protocol.match_clothes:
            positive &= self.q_clothes[qi] == self.g_clothes[gj]
        removed = np.zeros_like(positive)
        if self.q_camids is not None:
            removed |= self.q_camids[qi] == self.g_camids[gj]
        if self.protocol.clothes_mode == 'cc':
            removed |= self.q_clothes[qi] == self.g_clothes[gj]
        elif self.protocol.clothes_mode == 'sc':
            removed |= self.q_clothes[qi] != self.g_clothes[gj]
        junk = (positive & removed) | self.g_is_junk[gj]
        return positive & ~junk, junk

    def same_pid_pairs(self):
        """All (query, gallery) pairs with the same pid, junk pids excluded.

        Returns:
            tuple: ``pair_q`` (query index, ascending) and ``pair_g``
            (gallery index, ascending within a query).
        """
        cols = np.flatnonzero(~self.g_is_junk)
        col_pids = self.g_pids[cols]
        order = np.argsort(col_pids, kind='stable')
        sorted_pids = col_pids[order]
        lo = np.searchsorted(sorted_pids, self.q_pids, side='left')
        hi = np.searchsorted(sorted_pids, self.q_pids, side='right')
        counts = hi - lo
        pair_q = np.repeat(np.arange(len(self.q_pids)), counts)
        starts = np.cumsum(counts) - counts
        offsets = (
            np.arange(counts.sum()) - np.repeat(starts, counts) +
            np.repeat(lo, counts))
        return pair_q, cols[order[offsets]]
