"""Functional rank metrics: exact, chunked, CPU and GPU."""
from .distance import DISTANCE_METRICS, l2_normalize, pairwise_distance
from .rank import CLOTHES_MODES, evaluate_rank, evaluate_rank_from_features
from .rank_list import rank_list, rank_list_from_features
from .single_shot import (evaluate_single_gallery_shot,
                          evaluate_single_gallery_shot_distmat,
                          sample_single_shot)

__all__ = [
    'DISTANCE_METRICS', 'CLOTHES_MODES', 'pairwise_distance', 'l2_normalize',
    'evaluate_rank', 'evaluate_rank_from_features', 'rank_list',
    'rank_list_from_features', 'evaluate_single_gallery_shot',
    'evaluate_single_gallery_shot_distmat', 'sample_single_shot'
]
