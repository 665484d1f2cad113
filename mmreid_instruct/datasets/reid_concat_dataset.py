from typing import Optional, Sequence, Tuple, Union

from mmengine.dataset import ConcatDataset

from mmreid_instruct.registry import DATASETS


def with_defaults(datasets: Sequence, defaults: Optional[dict]) -> list:
    """The dataset configs of ``datasets`` completed by ``defaults`` (see
    :class:`ReIDConcatDataset`); built datasets cannot take them.

    Args:
        datasets (Sequence): Datasets or their configs.
        defaults (dict, optional): Arguments for every config.

    Returns:
        list: New configs (and the built datasets, when no defaults).

    Raises:
        KeyError: A config has no ``type``, even with the defaults; the
            message names its index.
    """
    completed = []
    for i, dataset in enumerate(datasets):
        if not isinstance(dataset, dict):
            if defaults:
                raise TypeError(
                    f'datasets[{i}] is a built {type(dataset).__name__}: '
                    'defaults only apply to dataset configs (dicts)')
            completed.append(dataset)
            continue
        if defaults:
            dataset = {**defaults, **dataset}
        if 'type' not in dataset:
            raise KeyError(
                f'datasets[{i}] has no "type"; expected the name of a '
                f'registered dataset, e.g. type="OmniReIDList"; got '
                f'{dict(dataset)}')
        completed.append(dataset)
    return completed


@DATASETS.register_module()
class ReIDConcatDataset(ConcatDataset):
    """mmengine's ``ConcatDataset`` that also takes ``(index, seed)`` indices.

    Samplers such as :class:`MultiTaskPKSampler` yield ``(index, seed)``
    pairs so that each sample's pipeline runs with its own seed; this class
    passes the pair on to the sub-dataset that holds ``index``. Plain int
    indices behave as in mmengine.

    ``defaults`` holds arguments shared by the dataset configs (e.g. one
    ``data_root``); a config that sets a key itself keeps its own value. A
    child config then changes them all at once with
    ``dataset=dict(defaults=dict(data_root=...))``.

    Args:
        datasets (list): Datasets or their configs.
        defaults (dict, optional): Arguments added to every dataset config
            of ``datasets`` that does not set them. Defaults to None.
        **kwargs: Other arguments of mmengine's ``ConcatDataset``.

    Example:
        Two tasks of one SynthOmniReID folder; item 300 with pipeline seed
        1234::

            train = ReIDConcatDataset(
                datasets=[dict(type='SynthOmniReID', task='trad'),
                          dict(type='SynthOmniReID', task='cc')],
                defaults=dict(data_root='data/synth_omnireid_tiny'))
            sample = train[(300, 1234)]
    """

    def __init__(self,
                 datasets: Sequence,
                 defaults: Optional[dict] = None,
                 **kwargs):
        super().__init__(datasets=with_defaults(datasets, defaults), **kwargs)

    def __getitem__(self, idx: Union[int, Tuple[int, int]]) -> dict:
        if isinstance(idx, (tuple, list)):
            index, seed = idx
            dataset_idx, sample_idx = self._get_ori_dataset_idx(int(index))
            return self.datasets[dataset_idx][(sample_idx, seed)]
        return super().__getitem__(idx)
