"""A tiny IRM config and checkpoint for the inference tests (no training).
"""
import os.path as osp

import torch
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'irm',
                  'irm_vit-tiny_synth-omnireid-tiny.py')


def tiny_vit(img_size):
    return dict(
        type='mmpretrain.VisionTransformer',
        arch=dict(
            embed_dims=32, num_layers=1, num_heads=2, feedforward_channels=64),
        img_size=img_size,
        patch_size=16,
        out_type='raw',
        with_cls_token=True)


def tiny_irm_config(data_root, instruction_blind=False):
    """The tiny IRM config at test size (1-layer 32-d ViTs, a character
    tokenizer and a 1-layer 16-d BERT), its test sets in ``data_root``."""
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone = dict(tiny_vit((128, 64)), drop_path_rate=0.)
    cfg.model.image_instruction_encoder.backbone = tiny_vit(64)
    cfg.model.text_encoder = dict(
        type='TextInstructionEncoder',
        tokenizer='char',
        max_length=40,
        config=dict(
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32))
    cfg.model.fusion.num_heads = 2
    cfg.model.fusion.num_layers = 1
    cfg.model.t2i_head.embed_dims = 16
    cfg.model.instruction_blind = instruction_blind
    cfg.test_dataloader.dataset.defaults.data_root = data_root
    cfg.train_dataloader.dataset.defaults.data_root = data_root
    return cfg


def save_checkpoint(model, path, noise_seed=None):
    """Save ``model``'s weights, first moved by a little noise drawn with
    ``noise_seed`` if given (another checkpoint of the same model)."""
    if noise_seed is not None:
        gen = torch.Generator().manual_seed(noise_seed)
        with torch.no_grad():
            for param in model.parameters():
                param.add_(0.05 * torch.randn(param.shape, generator=gen))
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return str(path)


def dump_config_and_checkpoint(data_root, out_dir):
    """Write the tiny IRM config (its test sets in ``data_root``) and the
    weights it starts from to ``out_dir``; return both paths."""
    from mmreid_instruct.apis.model import init_model
    config = str(out_dir / 'tiny_irm.py')
    tiny_irm_config(data_root).dump(config)
    checkpoint = save_checkpoint(
        init_model(config, device='cpu'), out_dir / 'tiny.pth')
    return config, checkpoint
