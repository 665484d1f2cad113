import pytest
import torch
import torch.nn.functional as F

from mmreid_instruct.models.heads import T2IHead
from mmreid_instruct.models.losses import IdentityContrastiveLoss
from mmreid_instruct.structures import ReIDDataSample


def samples(pids):
    return [ReIDDataSample().set_pid(p).set_task('t2i') for p in pids]


def test_loss_is_the_contrastive_loss_of_the_projections():
    torch.manual_seed(0)
    head = T2IHead(img_channels=8, text_channels=6, embed_dims=4)
    img, txt = torch.randn(4, 8), torch.randn(4, 6)
    losses = head.loss(img, txt, samples([0, 0, 1, 2]))
    expected = IdentityContrastiveLoss()(head.img_proj(img),
                                         head.text_proj(txt),
                                         torch.tensor([0, 0, 1, 2]))
    assert set(losses) == {'loss_t2i'}
    assert torch.allclose(losses['loss_t2i'], expected)
    losses['loss_t2i'].backward()
    assert head.img_proj.weight.grad.abs().sum() > 0
    assert head.text_proj.weight.grad.abs().sum() > 0


def test_predict_images_and_captions():
    head = T2IHead(img_channels=8, text_channels=6)
    img, txt = torch.randn(3, 8), torch.randn(2, 6)
    out = head.predict(img, None, samples([0, 1, 2]))
    expected = F.normalize(head.img_proj(img), dim=1)
    assert out[0].pred_feature.shape == (256, )
    assert torch.allclose(out[1].pred_feature, expected[1])
    out = head.predict(None, txt, samples([0, 1]))
    assert torch.allclose(out[1].pred_feature,
                          F.normalize(head.text_proj(txt), dim=1)[1])
    assert torch.allclose(out[0].pred_feature.norm(), torch.tensor(1.))
    with pytest.raises(ValueError):
        head.predict(None, None, samples([0]))
