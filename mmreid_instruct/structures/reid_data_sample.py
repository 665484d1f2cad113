from typing import Optional

import torch
from mmengine.structures import BaseDataElement

from mmreid_instruct.utils.tasks import MODALITIES, normalize_task


class ReIDDataSample(BaseDataElement):
    """The data sample of instruction-guided person re-identification.

    It carries the labels of one image (or one caption, for a text query)
    and, after prediction, its retrieval feature. Labels are plain Python
    values; the feature is a tensor.

    Fields:
        - ``pid`` (int): person id (relabelled 0..N-1 in training sets).
        - ``camid`` (int): 0-based camera id (negative when unknown).
        - ``clothes_id`` (int): outfit id, -1 when unknown.
        - ``modality`` (str): ``'rgb'`` or ``'ir'``.
        - ``task`` (str): one of ``trad, cc, ctcc, li, vi, t2i``.
        - ``instruction`` (str | None): the instruction text.
        - ``pred_feature`` (Tensor): the retrieval feature, set by the
          model in predict mode.

    Meta information (read-only once set) such as ``img_path``,
    ``instruction_img_path``, ``subset`` and ``dataset_name`` is kept in
    the metainfo.

    Example:
        >>> sample = ReIDDataSample(metainfo=dict(subset='query'))
        >>> sample = sample.set_pid(3).set_camid(0).set_task('sc')
        >>> sample.pid, sample.camid, sample.task
        (3, 0, 'trad')
    """

    def set_pid(self, value: int) -> 'ReIDDataSample':
        """Set the person id."""
        self.set_field(int(value), 'pid', dtype=int)
        return self

    def set_camid(self, value: int) -> 'ReIDDataSample':
        """Set the 0-based camera id."""
        self.set_field(int(value), 'camid', dtype=int)
        return self

    def set_clothes_id(self, value: int) -> 'ReIDDataSample':
        """Set the outfit id (-1 when unknown)."""
        self.set_field(int(value), 'clothes_id', dtype=int)
        return self

    def set_modality(self, value: str) -> 'ReIDDataSample':
        """Set the modality, ``'rgb'`` or ``'ir'``."""
        if value not in MODALITIES:
            raise ValueError(
                f'modality must be one of {MODALITIES}, got {value!r}')
        self.set_field(value, 'modality', dtype=str)
        return self

    def set_task(self, value: str) -> 'ReIDDataSample':
        """Set the task; any spelling of :func:`normalize_task` works."""
        self.set_field(normalize_task(value), 'task', dtype=str)
        return self

    def set_instruction(self, value: Optional[str]) -> 'ReIDDataSample':
        """Set the instruction text (``None`` for none)."""
        self.set_field(value, 'instruction', dtype=(str, type(None)))
        return self

    def set_pred_feature(self, value: torch.Tensor) -> 'ReIDDataSample':
        """Set the retrieval feature predicted by a model."""
        self.set_field(value, 'pred_feature', dtype=torch.Tensor)
        return self
