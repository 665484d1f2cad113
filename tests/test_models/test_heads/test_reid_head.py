import pytest
import torch

from mmreid_instruct.models.heads import ReIDHead
from mmreid_instruct.structures import ReIDDataSample


def samples(pids):
    return [ReIDDataSample().set_pid(p) for p in pids]


def test_loss_keys_and_values():
    torch.manual_seed(0)
    head = ReIDHead(in_channels=8, num_classes=4)
    head.init_weights()
    feats = torch.randn(8, 8)
    losses = head.loss((feats, ), samples([0, 0, 1, 1, 2, 2, 3, 3]))
    assert set(losses) == {'loss_cls', 'loss_triplet', 'accuracy_top-1'}
    # A near-zero classifier gives a loss close to log(num_classes).
    assert losses['loss_cls'].item() == pytest.approx(
        torch.log(torch.tensor(4.)).item(), abs=0.05)
    assert 0 <= losses['accuracy_top-1'].item() <= 100


def test_triplet_reads_the_feature_before_the_bn_neck():
    head = ReIDHead(in_channels=2, num_classes=2)
    feats = torch.tensor([[0., 0.], [0., 1.], [3., 0.], [3., 1.]])
    losses = head.loss(feats, samples([0, 0, 1, 1]))
    # raw distances: positives 1, negatives >= 3 -> zero triplet loss
    assert losses['loss_triplet'].item() == 0


def test_label_out_of_range_is_a_clear_error():
    head = ReIDHead(in_channels=4, num_classes=2)
    with pytest.raises(ValueError, match='num_classes=2'):
        head.loss(torch.randn(2, 4), samples([0, 5]))


def test_predict_sets_bn_or_raw_features():
    feats = torch.randn(3, 4)
    head = ReIDHead(in_channels=4, num_classes=2, test_feature='pre').eval()
    out = head.predict(feats, samples([0, 1, 1]))
    assert torch.equal(out[1].pred_feature, feats[1])
    head = ReIDHead(in_channels=4, num_classes=2, test_feature='bn').eval()
    out = head.predict(feats, samples([0, 1, 1]))
    bn = head.neck.bn
    expected = (feats - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps)
    assert torch.allclose(out[2].pred_feature, expected[2], atol=1e-6)
