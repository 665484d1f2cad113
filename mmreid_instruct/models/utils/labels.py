from typing import Sequence, Union

import torch

from mmreid_instruct.structures import ReIDDataSample


def pid_labels(data_samples: Sequence[ReIDDataSample], num_classes: int,
               device: Union[str,
                             torch.device], classifier: str) -> torch.Tensor:
    """The training labels (pids) of a batch, checked against the number of
    classes of the ID classifier that reads them.

    Args:
        data_samples (Sequence[ReIDDataSample]): Samples with ``pid``.
        num_classes (int): Classes of the classifier.
        device (str | torch.device): Where to put the labels.
        classifier (str): The classifier, named in the error.

    Returns:
        Tensor: (B,) long labels.

    Raises:
        ValueError: A label is outside ``[0, num_classes)``.

    Example:
        >>> samples = [ReIDDataSample().set_pid(p) for p in (0, 2)]
        >>> pid_labels(samples, 3, 'cpu', 'ReIDHead')
        tensor([0, 2])
    """
    labels = torch.tensor([s.pid for s in data_samples],
                          dtype=torch.long,
                          device=device)
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f'{classifier} has num_classes={num_classes} ({num_classes} '
            f'classes) but the training labels range over '
            f'[{labels.min().item()}, {labels.max().item()}]: set '
            'model.head.num_classes to the number of training identities.')
    return labels
