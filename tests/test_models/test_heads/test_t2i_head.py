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


def test_img_neck_standardises_the_cls_before_the_projection():
    torch.manual_seed(0)
    head = T2IHead(
        img_channels=8,
        text_channels=6,
        embed_dims=4,
        img_neck=dict(type='BNNeck'))
    assert head.img_neck.bn.num_features == 8
    img = torch.randn(5, 8)
    bn = head.img_neck.bn
    standardised = (
        img - img.mean(0)) / torch.sqrt(img.var(0, unbiased=False) + bn.eps)
    # Training mode: batch statistics (BNNeck's weight 1, bias 0).
    assert torch.allclose(
        head.embed_image(img),
        F.normalize(head.img_proj(standardised), dim=1),
        atol=1e-6)
    # Test mode: the running statistics that batch left behind.
    head.eval()
    running = (img - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps)
    out = head.predict(img, None, samples([0, 1, 2, 3, 4]))
    assert torch.allclose(
        out[2].pred_feature,
        F.normalize(head.img_proj(running), dim=1)[2],
        atol=1e-6)
    # The loss trains the neck's scale too.
    head.train()
    head.loss(img, torch.randn(5, 6), samples([0, 0, 1, 1,
                                               2]))['loss_t2i'].backward()
    assert bn.weight.grad.abs().sum() > 0


def test_img_neck_separates_cls_features_with_a_large_common_part():
    """Image CLS features = a common vector + 1% per-image variation (as
    in a ViT trained from scratch behind BN necks): without a neck every
    image gets almost the same embedding; with it they spread out."""
    torch.manual_seed(0)
    common = torch.randn(1, 16) * 10
    img = common + 0.1 * torch.randn(32, 16)

    def min_pairwise_distance(head):
        emb = head.embed_image(img)
        return torch.cdist(emb, emb)[~torch.eye(32, dtype=torch.bool)].min()

    torch.manual_seed(1)
    plain = T2IHead(img_channels=16, text_channels=6, embed_dims=8)
    torch.manual_seed(1)
    with_neck = T2IHead(
        img_channels=16,
        text_channels=6,
        embed_dims=8,
        img_neck=dict(type='BNNeck'))
    # Same projection weights: the neck builds nothing at random.
    assert torch.equal(plain.img_proj.weight, with_neck.img_proj.weight)
    assert min_pairwise_distance(plain) < 0.02
    assert min_pairwise_distance(with_neck) > 0.1
