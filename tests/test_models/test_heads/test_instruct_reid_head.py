import pytest
import torch
import torch.nn.functional as F

from mmreid_instruct.models.heads import InstructReIDHead, classifier_key
from mmreid_instruct.models.losses import AdaptiveTripletLoss
from mmreid_instruct.structures import ReIDDataSample

NUM_CLASSES = {'ltcc/cc': 5, 'market1501/trad': 4}


def samples(pids, dataset='ltcc', task='cc'):
    return [
        ReIDDataSample(metainfo=dict(
            dataset_name=dataset)).set_pid(p).set_task(task) for p in pids
    ]


def features(seed=0, n=6, c=8, f=6, i=5):
    gen = torch.Generator().manual_seed(seed)
    return [
        torch.randn(n, d, generator=gen, requires_grad=True)
        for d in (c, f, f, i)
    ]


def test_classifier_key():
    assert classifier_key(samples([0])[0]) == 'ltcc/cc'
    with pytest.raises(ValueError, match='dataset_name'):
        classifier_key(ReIDDataSample().set_task('cc'))


def test_loss_matches_the_formula():
    torch.manual_seed(0)
    head = InstructReIDHead(8, NUM_CLASSES, fusion_channels=6)
    head.init_weights()
    g, u, v, instr = features()
    data = samples([0, 0, 1, 1, 2, 2])
    losses = head.loss(g, u, v, instr, data)
    assert set(losses) == {
        'loss_cls_g', 'loss_triplet_g', 'loss_cls_u', 'loss_cls_v',
        'loss_triplet_u', 'loss_triplet_v', 'accuracy_top-1'
    }
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    cls = head.classifiers['ltcc/cc']
    trip = AdaptiveTripletLoss(margin=0.3)

    def ce(x, bn, fc):
        return F.cross_entropy(fc(bn(x)), labels, label_smoothing=0.1)

    expected = (
        ce(g, head.neck_g, cls['g']) + 3 * trip(g, labels, instr) + 0.5 *
        (ce(u, head.neck_u, cls['u']) + ce(v, head.neck_v, cls['v'])) + 1.5 *
        (trip(u, labels, instr) + trip(v, labels, instr)))
    total = sum(val for key, val in losses.items() if 'loss' in key)
    assert torch.allclose(total, expected, atol=1e-6)
    assert torch.allclose(losses['loss_triplet_u'],
                          1.5 * trip(u, labels, instr))
    # The instruction feature enters only through detached similarities.
    total.backward()
    assert instr.grad is None


def test_only_the_batch_classifier_gets_gradients():
    head = InstructReIDHead(8, NUM_CLASSES, fusion_channels=6)
    g, u, v, instr = features()
    losses = head.loss(g, u, v, instr, samples([0, 0, 1, 1, 3, 3]))
    sum(val for key, val in losses.items() if 'loss' in key).backward()
    for part in 'guv':
        assert head.classifiers['ltcc/cc'][part].weight.grad.abs().sum() > 0
        assert head.classifiers['market1501/trad'][part].weight.grad is None


def test_batch_checks():
    head = InstructReIDHead(8, NUM_CLASSES, fusion_channels=6)
    g, u, v, instr = features(n=4)
    mixed = samples([0, 0]) + samples([1, 1], 'market1501', 'trad')
    with pytest.raises(ValueError, match='one dataset and task'):
        head.loss(g, u, v, instr, mixed)
    with pytest.raises(KeyError, match='prcc/cc'):
        head.loss(g, u, v, instr, samples([0, 0, 1, 1], 'prcc'))
    with pytest.raises(ValueError, match='4 classes'):
        head.loss(g, u, v, instr, samples([0, 0, 4, 4], 'market1501', 'trad'))


def test_single_classifier_ignores_the_dataset():
    head = InstructReIDHead(8, 3, fusion_channels=6)
    g, u, v, instr = features(n=4)
    data = [ReIDDataSample().set_pid(p) for p in (0, 0, 2, 2)]
    losses = head.loss(g, u, v, instr, data)
    assert torch.isfinite(losses['loss_cls_g'])
    assert list(head.classifiers) == ['default']


def test_predict_concatenates_bn_u_and_bn_v():
    head = InstructReIDHead(8, NUM_CLASSES, fusion_channels=6).eval()
    head.neck_u.bn.running_mean.fill_(1.)
    g, u, v, _ = features()
    out = head.predict(g, u, v, samples(range(6)))
    assert head.out_channels == 12
    expected = torch.cat([head.neck_u(u), head.neck_v(v)], 1)
    for sample, feat in zip(out, expected):
        assert sample.pred_feature.shape == (12, )
        assert torch.allclose(sample.pred_feature, feat)
    assert not torch.allclose(expected[:, :6], u)  # the BN was applied


def test_shared_uv_neck():
    head = InstructReIDHead(8, 3, fusion_channels=6, share_uv_neck=True)
    assert head.neck_u is head.neck_v
    # As the official fusion_feat_bn: weight 1, bias 0 and frozen.
    bn = head.neck_u.bn
    assert torch.equal(bn.weight, torch.ones(6)) and bn.weight.requires_grad
    assert torch.equal(bn.bias, torch.zeros(6)) and not bn.bias.requires_grad
    assert (bn.eps, bn.momentum) == (1e-5, 0.1)
    head = InstructReIDHead(8, 3, fusion_channels=6)
    assert head.neck_u is not head.neck_v


def test_without_fusion():
    head = InstructReIDHead(8, 3, fusion_channels=None)
    assert not head.with_fusion
    assert set(head.classifiers['default']) == {'g'}
    assert head.neck_u is None and head.out_channels == 8
    g, _, _, _ = features(n=4)
    labels = torch.tensor([0, 0, 1, 1])
    losses = head.loss(g, None, None, None,
                       [ReIDDataSample().set_pid(int(p)) for p in labels])
    assert set(losses) == {'loss_cls_g', 'loss_triplet_g', 'accuracy_top-1'}
    assert torch.allclose(losses['loss_triplet_g'],
                          3 * AdaptiveTripletLoss()(g, labels))
    head.eval()
    out = head.predict(g, None, None, [ReIDDataSample() for _ in range(4)])
    assert torch.allclose(out[0].pred_feature, head.neck_g(g)[0])


@pytest.mark.parametrize('num_classes', [0, {}, {'a/cc': 0}, [3]])
def test_bad_num_classes(num_classes):
    with pytest.raises((ValueError, TypeError)):
        InstructReIDHead(8, num_classes)


def test_with_fusion_follows_fusion_channels():
    head = InstructReIDHead(8, 3, fusion_channels=6)
    assert head.with_fusion and head.out_channels == 12
    assert set(head.classifiers['default']) == {'g', 'u', 'v'}
    g, u, v, instr = features(n=4)
    data = [ReIDDataSample().set_pid(p) for p in (0, 0, 2, 2)]
    with pytest.raises(ValueError, match=r'fusion_channels=6\) needs u'):
        head.loss(g, None, None, instr, data)


def test_test_only_head_has_no_classifiers_and_refuses_to_train():
    head = InstructReIDHead(8, None, fusion_channels=6, share_uv_neck=True)
    assert not head.for_training and len(head.classifiers) == 0
    assert not any('classifiers' in k for k in head.state_dict())
    g, u, v, instr = features(n=4)
    data = samples([0, 0, 1, 1])
    with pytest.raises(RuntimeError, match='num_classes=None.*testing only'):
        head.loss(g, u, v, instr, data)

    # The necks of a trained head load strictly; its classifiers are the
    # only keys left over.
    trained = InstructReIDHead(
        8, NUM_CLASSES, fusion_channels=6, share_uv_neck=True).eval()
    trained.neck_u.bn.running_mean.normal_()
    state = {
        k: val
        for k, val in trained.state_dict().items()
        if not k.startswith('classifiers.')
    }
    head.load_state_dict(state, strict=True)
    head.eval()
    for got, want in zip(
            head.predict(g, u, v, samples(range(4))),
            trained.predict(g, u, v, samples(range(4)))):
        assert torch.equal(got.pred_feature, want.pred_feature)


def _train_bn(x, eps=1e-5):
    """A train-mode BN neck (weight 1, bias 0) written out per sample."""
    mean = sum(x[i] for i in range(len(x))) / len(x)
    var = sum((x[i] - mean)**2 for i in range(len(x))) / len(x)
    return torch.stack([(x[i] - mean) / torch.sqrt(var + eps)
                        for i in range(len(x))])


@pytest.mark.parametrize('after_bn', [False, True])
def test_uv_triplet_after_bn(after_bn):
    head = InstructReIDHead(
        8,
        3,
        fusion_channels=6,
        share_uv_neck=True,
        uv_triplet_after_bn=after_bn)
    g, u, v, instr = features()
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    losses = head.loss(g, u, v, instr,
                       [ReIDDataSample().set_pid(int(p)) for p in labels])
    trip = AdaptiveTripletLoss(margin=0.3)
    for name, feat in (('u', u), ('v', v)):
        read = _train_bn(feat) if after_bn else feat
        assert torch.allclose(
            losses[f'loss_triplet_{name}'],
            1.5 * trip(read, labels, instr),
            atol=1e-6)
    # g's triplet stays before its BN either way.
    assert torch.allclose(losses['loss_triplet_g'], 3 * trip(g, labels, instr))
    # After the BN, the triplet terms also train the (shared) BN weight.
    head.neck_u.bn.weight.grad = None
    (losses['loss_triplet_u'] + losses['loss_triplet_v']).backward()
    grad = head.neck_u.bn.weight.grad
    assert (grad is not None and grad.abs().sum() > 0) == after_bn


def test_plain_cross_entropy_option():
    head = InstructReIDHead(
        8,
        3,
        loss_cls=dict(type='LabelSmoothCrossEntropyLoss', label_smoothing=0.))
    head.init_weights()
    g = torch.randn(4, 8)
    labels = torch.tensor([0, 0, 2, 2])
    losses = head.loss(g, None, None, None,
                       [ReIDDataSample().set_pid(int(p)) for p in labels])
    logits = head.classifiers['default']['g'](_train_bn(g))
    expected = -torch.log_softmax(logits, 1)[torch.arange(4), labels].mean()
    assert torch.allclose(losses['loss_cls_g'], expected, atol=1e-6)
