from .label_smooth_cross_entropy_loss import LabelSmoothCrossEntropyLoss
from .triplet_loss import TripletLoss, euclidean_dist, hard_example_mining

__all__ = [
    'LabelSmoothCrossEntropyLoss', 'TripletLoss', 'euclidean_dist',
    'hard_example_mining'
]
