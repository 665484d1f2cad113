"""Functional rank metrics: exact, chunked, CPU and GPU."""
from .distance import DISTANCE_METRICS, l2_normalize, pairwise_distance
from .itm_rerank import (ReRankedRows, itm_rerank_rows, itm_topk_scores,
                         reranked_distances)
from .rank import evaluate_rank, evaluate_rank_from_features
from .rank_list import rank_list, rank_list_from_features, rank_list_from_rows
from .rank_protocol import CLOTHES_MODES, PROTOCOL_PRESETS, RankProtocol
from .single_shot import (evaluate_single_gallery_shot,
                          evaluate_single_gallery_shot_from_features,
                          sample_single_shot)

__all__ = [
    'DISTANCE_METRICS', 'CLOTHES_MODES', 'PROTOCOL_PRESETS', 'RankProtocol',
    'pairwise_distance', 'l2_normalize', 'evaluate_rank',
    'evaluate_rank_from_features', 'rank_list', 'rank_list_from_features',
    'evaluate_single_gallery_shot',
    'evaluate_single_gallery_shot_from_features', 'sample_single_shot',
    'ReRankedRows', 'itm_rerank_rows', 'itm_topk_scores', 'reranked_distances',
    'rank_list_from_rows'
]
