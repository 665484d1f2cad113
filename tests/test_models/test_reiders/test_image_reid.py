import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper

from mmreid_instruct.registry import DATASETS, MODELS
from mmreid_instruct.utils import register_all_modules

register_all_modules()


@pytest.fixture(scope='module')
def baseline(synth_tiny_root, small_baseline_cfg, tmp_path_factory):
    cfg = small_baseline_cfg(synth_tiny_root, tmp_path_factory.mktemp('w'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    query_set = DATASETS.build(cfg.test_dataloader.dataset.datasets[0])
    return cfg, model, train_set, query_set


def test_one_training_iteration_updates_every_trained_parameter(baseline):
    cfg, model, train_set, _ = baseline
    pids = train_set.get_pids()
    # A P x K batch: 4 identities x 2 images.
    indices = [
        i for pid in sorted(set(pids))[:4]
        for i in (pids == pid).nonzero()[0][:2]
    ]
    batch = pseudo_collate([train_set[i] for i in indices])
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = {k: v.clone() for k, v in model.named_parameters()}
    model.train()
    log_vars = {k: v.item() for k, v in model.train_step(batch, optim).items()}
    assert set(log_vars) >= {'loss', 'loss_cls', 'loss_triplet'}
    assert 0 < log_vars['loss'] < float('inf')
    assert log_vars['loss'] == pytest.approx(
        log_vars['loss_cls'] + log_vars['loss_triplet'], rel=1e-5)
    changed = {
        k
        for k, v in model.named_parameters() if not torch.equal(v, before[k])
    }
    trainable = {k for k, v in model.named_parameters() if v.requires_grad}
    # Every trainable parameter got a gradient step (the BN bias is frozen).
    assert changed == trainable
    assert 'head.neck.bn.bias' not in trainable


def test_predict_and_tensor_modes(baseline):
    cfg, model, _, query_set = baseline
    batch = pseudo_collate([query_set[i] for i in range(3)])
    model.eval()
    with torch.no_grad():
        samples = model.val_step(batch)
        data = model.data_preprocessor(batch)
        feats = model(data['inputs'], mode='tensor')
    assert feats.shape == (3, cfg.model.head.in_channels)
    for sample, feat in zip(samples, model.head.neck(feats)):
        assert torch.allclose(sample.pred_feature, feat, atol=1e-6)
        assert sample.subset == 'query'
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(data['inputs'], mode='features')
