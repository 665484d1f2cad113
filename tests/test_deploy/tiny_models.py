"""Tiny models and the predict-mode reference of the graph tests."""
import torch

from mmreid_instruct.registry import MODELS
from mmreid_instruct.structures import ReIDDataSample
from mmreid_instruct.utils import register_all_modules

register_all_modules()

VIT = dict(
    type='mmpretrain.VisionTransformer',
    out_type='raw',
    arch=dict(
        embed_dims=32, num_layers=1, num_heads=2, feedforward_channels=64),
    patch_size=8)
BERT = dict(
    hidden_size=16,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32)
TEXTS = ['do not change clothes', 'a red coat', 'ignore clothes']


def randomize_bn_stats(model, seed=0):
    """Give every BN neck running statistics far from (0, 1), so that a
    graph that skipped one would not match."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=generator))
            module.running_var.copy_(
                torch.rand(n, generator=generator) * 3 + 0.5)
    return model


def build_irm(**kwargs):
    cfg = dict(
        type='InstructReID',
        backbone=dict(VIT, img_size=(32, 16)),
        text_encoder=dict(type='TextInstructionEncoder', config=BERT),
        image_instruction_encoder=dict(
            type='ImageInstructionEncoder', backbone=dict(VIT, img_size=16)),
        # 24-d instruction tokens: both instruction projections are used.
        fusion=dict(type='EditingFusion', num_heads=2, instr_dims=24),
        head=dict(type='InstructReIDHead', num_classes=10))
    cfg.update(kwargs)
    torch.manual_seed(0)
    return randomize_bn_stats(MODELS.build(cfg)).eval()


def build_image_reid():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='ImageReID',
            backbone=dict(VIT, img_size=(32, 16), out_type='cls_token'),
            head=dict(type='ReIDHead', in_channels=32, num_classes=10)))
    return randomize_bn_stats(model).eval()


def bgr_images(batch_size, size, seed=0):
    """uint8 BGR images as the loading pipeline gives them, (B, 3, H, W)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(
        0, 256, (batch_size, 3, *size), generator=generator, dtype=torch.uint8)


def as_graph_input(bgr):
    """What a graph takes: float RGB 0-255."""
    return bgr.flip(1).float()


def predict_features(model, bgr, texts=None, instruction_bgr=None, task='cc'):
    """The model's predict-mode ``pred_feature`` through its data
    preprocessor, stacked."""
    samples = []
    for i in range(len(bgr)):
        sample = ReIDDataSample()
        if task is not None:
            sample.set_task(task)
        if texts is not None:
            sample.set_instruction(texts[i])
        if instruction_bgr is not None:
            sample.instruction_img = instruction_bgr[i]
        samples.append(sample)
    data = model.data_preprocessor(
        dict(inputs=list(bgr), data_samples=samples))
    with torch.no_grad():
        out = model(**data, mode='predict')
    return torch.stack([s.pred_feature for s in out])
