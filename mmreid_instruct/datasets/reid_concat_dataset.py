from typing import Tuple, Union

from mmengine.dataset import ConcatDataset

from mmreid_instruct.registry import DATASETS


@DATASETS.register_module()
class ReIDConcatDataset(ConcatDataset):
    """mmengine's ``ConcatDataset`` that also takes ``(index, seed)`` indices.

    Samplers such as :class:`MultiTaskPKSampler` yield ``(index, seed)``
    pairs so that each sample's pipeline runs with its own seed; this class
    passes the pair on to the sub-dataset that holds ``index``. Plain int
    indices behave as in mmengine.

    Args:
        datasets (list): Datasets or their configs.
        **kwargs: Other arguments of mmengine's ``ConcatDataset``.

    Example:
        >>> train = ReIDConcatDataset(datasets=[
        ...     dict(type='SynthOmniReID', task='trad'),
        ...     dict(type='SynthOmniReID', task='cc')])
        >>> sample = train[(300, 1234)]  # item 300 with pipeline seed 1234
    """

    def __getitem__(self, idx: Union[int, Tuple[int, int]]) -> dict:
        if isinstance(idx, (tuple, list)):
            index, seed = idx
            dataset_idx, sample_idx = self._get_ori_dataset_idx(int(index))
            return self.datasets[dataset_idx][(sample_idx, seed)]
        return super().__getitem__(idx)
