import pytest
import torch

from mmreid_instruct.structures import ReIDDataSample


def test_setters_store_labels_and_normalise_task():
    sample = ReIDDataSample(metainfo=dict(subset='query'))
    sample.set_pid(3).set_camid(1).set_clothes_id(-1).set_modality('ir')
    sample.set_task('cross').set_instruction('retrieve the other modality')
    sample.set_pred_feature(torch.ones(4))
    assert (sample.pid, sample.camid, sample.clothes_id) == (3, 1, -1)
    assert sample.modality == 'ir' and sample.task == 'vi'
    assert sample.subset == 'query'
    assert sample.to_dict()['pid'] == 3
    assert torch.equal(sample.pred_feature, torch.ones(4))


def test_bad_values_are_rejected():
    with pytest.raises(ValueError, match='modality'):
        ReIDDataSample().set_modality('depth')
    with pytest.raises(ValueError, match='Unknown task'):
        ReIDDataSample().set_task('pose')
