"""configs/irm/irm_vit-b_official-compat.py: the official model's test
path (its feature parity is measured in docs/en/user_guides/
official_checkpoints.md; key parity in tests/test_tools/
test_model_converters.py)."""
import os.path as osp

from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
COMPAT = osp.join(REPO, 'configs', 'irm', 'irm_vit-b_official-compat.py')


def test_compat_model_options():
    model = Config.fromfile(COMPAT).model
    assert model.backbone.type == 'PASSVisionTransformer'
    assert model.backbone.num_part_tokens == 3
    assert model.backbone.img_size == (256, 128)
    text = model.text_encoder
    assert (text.max_length, text.num_layers) == (70, 6)
    assert not text.add_sep_token and text.pad_to_max_length
    assert model.fusion.tie_to_backbone_blocks == (0, 11)
    assert model.fusion.mask_padding is False
    assert model.head.num_classes is None and model.head.share_uv_neck
    t2i = model.t2i_head
    assert (t2i.type, t2i.embed_dims, t2i.queue_size) == ('ALBEFT2IHead', 256,
                                                          65536)
    assert (t2i.fusion_encoder.num_layers, t2i.fusion_encoder.num_heads,
            t2i.fusion_encoder.feedforward_channels) == (6, 12, 3072)


def test_compat_test_data_are_preprocessed_as_the_official_code():
    cfg = Config.fromfile(COMPAT)
    dataset = cfg.test_dataloader.dataset
    assert dataset.defaults == dict(
        instruction_style='official', clean_captions=True)
    names = {(d.dataset_name, d.task) for d in dataset.datasets}
    assert len(names) == 10 and len(dataset.datasets) == 20
    for d in dataset.datasets:
        load, resize, _ = d.pipeline
        assert load.imdecode_backend == load.resize_backend == 'pillow'
        assert load.with_instruction_img == (d.task in ('cc', 'ctcc'))
        assert load.instruction_img_scale == (128, 128)
        assert (resize.scale, resize.backend,
                resize.interpolation) == ((128, 256), 'pillow', 'bilinear')
    assert cfg.val_dataloader == cfg.test_dataloader
    evaluated = {n for m in cfg.test_evaluator for n in m.dataset_names}
    assert evaluated == {name for name, _ in names}
    # The official t2i test: ITM re-ranking of each caption's top 128.
    t2i = [m for m in cfg.test_evaluator if m.type == 'T2IMetric']
    assert len(t2i) == 1 and t2i[0].rerank == dict(topk=128)
    assert cfg.val_evaluator == cfg.test_evaluator
    assert 'T2IReRankHook' in [h.type for h in cfg.custom_hooks]
