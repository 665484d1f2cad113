from .adaptive_triplet_loss import AdaptiveTripletLoss
from .identity_contrastive_loss import IdentityContrastiveLoss
from .label_smooth_cross_entropy_loss import LabelSmoothCrossEntropyLoss
from .momentum_contrastive_loss import MomentumContrastiveLoss
from .soft_masked_lm_loss import SoftMaskedLMLoss
from .triplet_loss import TripletLoss
from .utils import (euclidean_dist, hard_example_mining, pair_masks,
                    two_hardest_positives)

__all__ = [
    'AdaptiveTripletLoss', 'IdentityContrastiveLoss',
    'LabelSmoothCrossEntropyLoss', 'TripletLoss', 'euclidean_dist',
    'hard_example_mining', 'pair_masks', 'two_hardest_positives',
    'MomentumContrastiveLoss', 'SoftMaskedLMLoss'
]
