import argparse
import datetime

import pytest
import torch
import torch.nn.functional as F

from mmreid_instruct.engine.runner.checkpoint import CheckpointLoadError
from mmreid_instruct.utils.checkpoint_conversion import (
    check_all_used, convert_albef_vit, convert_pass_vit, convert_vit_keys,
    load_foreign_checkpoint, resize_grid_pos_embed, save_converted)


def test_resize_keeps_cls_and_interpolates_the_2d_grid():
    C = 3
    # Grid 4 x 4, row-major: every channel holds 10 * y + x.
    y, x = torch.meshgrid(torch.arange(4.), torch.arange(4.), indexing='ij')
    grid = (10 * y + x).reshape(1, 16, 1).expand(1, 16, C)
    cls = torch.tensor([[[-7., 8., 9.]]])
    pos = torch.cat([cls, grid], 1)
    out = resize_grid_pos_embed(pos, (4, 4), (2, 2))
    assert out.shape == (1, 5, C)
    assert torch.equal(out[:, 0], cls[:, 0])
    # Reference: bicubic on the (C, H, W) map, align_corners=False.
    ref = F.interpolate(
        grid.reshape(1, 4, 4, C).permute(0, 3, 1, 2), (2, 2),
        mode='bicubic',
        align_corners=False)
    assert torch.allclose(out[0, 1:], ref[0].permute(1, 2, 0).reshape(4, C))
    # Row order: (0, 0), (0, 1), (1, 0), (1, 1); y weighs 10, x 1.
    v = out[0, 1:, 0]
    assert v[0] < v[1] < v[2] < v[3]
    assert torch.allclose(v[2] - v[0], 10 * (v[1] - v[0]), rtol=1e-4)
    assert resize_grid_pos_embed(pos, (4, 4), (4, 4)) is pos
    with pytest.raises(ValueError, match='grid rows'):
        resize_grid_pos_embed(pos, (3, 4), (2, 2))


def test_albef_vit_position_embeddings_256_to_128_input():
    pos = torch.randn(1, 1 + 16 * 16, 4)
    sd = {'v.cls_token': torch.randn(1, 1, 4), 'v.pos_embed': pos}
    out = convert_albef_vit(sd, 'v.', 'b.', set(), (8, 8))['b.pos_embed']
    assert out.shape == (1, 65, 4)
    assert torch.equal(out[:, 0], pos[:, 0])
    ref = F.interpolate(
        pos[:, 1:].reshape(1, 16, 16, 4).permute(0, 3, 1, 2), (8, 8),
        mode='bicubic',
        align_corners=False)
    assert torch.allclose(out[:, 1:],
                          ref.permute(0, 2, 3, 1).reshape(1, 64, 4))


def test_vit_block_names():
    sd = {
        f'x.blocks.3.{name}.weight': torch.ones(1)
        for name in ('norm1', 'attn.qkv', 'attn.proj', 'norm2', 'mlp.fc1',
                     'mlp.fc2')
    }
    sd['x.patch_embed.proj.weight'] = torch.ones(1)
    used = set()
    out = convert_vit_keys(sd, 'x.', 'y.', used)
    assert sorted(out) == [
        'y.layers.3.attn.proj.weight', 'y.layers.3.attn.qkv.weight',
        'y.layers.3.ffn.layers.0.0.weight', 'y.layers.3.ffn.layers.1.weight',
        'y.layers.3.ln1.weight', 'y.layers.3.ln2.weight',
        'y.patch_embed.projection.weight'
    ]
    assert used == set(sd)


def test_pass_position_embeddings_and_part_tokens():
    C = 2
    sd = {
        name: torch.randn(1, 1, C)
        for name in ('cls_token', 'cls_pos', 'part_token1', 'part_token2',
                     'part_token3', 'part1_pos', 'part2_pos', 'part3_pos')
    }
    sd['pos_embed'] = torch.randn(1, 128, C)
    out = convert_pass_vit(sd, '', 'b.', set())
    assert torch.equal(out['b.pos_embed'],
                       torch.cat([sd['cls_pos'], sd['pos_embed']], 1))
    assert torch.equal(out['b.part_tokens'],
                       torch.cat([sd[f'part_token{i}'] for i in (1, 2, 3)], 1))
    assert torch.equal(out['b.part_pos_embed'][:, 2], sd['part3_pos'][:, 0])
    # Another grid (24 x 12) is resized bilinearly to 16 x 8.
    sd['pos_embed'] = torch.randn(1, 24 * 12, C)
    pos = convert_pass_vit(sd, '', 'b.', set())['b.pos_embed']
    ref = F.interpolate(
        sd['pos_embed'].reshape(1, 24, 12, C).permute(0, 3, 1, 2), (16, 8),
        mode='bilinear',
        align_corners=False)
    assert torch.allclose(pos[:, 1:],
                          ref.permute(0, 2, 3, 1).reshape(1, 128, C))


def test_unconverted_keys_are_an_error():
    with pytest.raises(ValueError, match='1 keys have no counterpart.*b'):
        check_all_used({'a': 1, 'b': 2, 'fc.w': 3}, {'a'}, [r'fc\.'], 'x')


def test_foreign_checkpoints_load_safely(tmp_path):
    ok = tmp_path / 'ok.pth'
    torch.save({
        'args': argparse.Namespace(arch='vit'),
        'w': torch.ones(1)
    }, ok)
    assert load_foreign_checkpoint(str(ok))['args'].arch == 'vit'
    bad = tmp_path / 'bad.pth'
    torch.save({'when': datetime.date(2024, 1, 1)}, bad)
    with pytest.raises(CheckpointLoadError, match='datetime.date.*extract'):
        load_foreign_checkpoint(str(bad))


def test_save_converted_never_overwrites_without_force(tmp_path):
    path = str(tmp_path / 'a' / 'x.pth')
    save_converted({'w': torch.ones(1)}, path, {'source': 's'})
    with pytest.raises(FileExistsError, match='--force'):
        save_converted({'w': torch.zeros(1)}, path, {})
    save_converted({'w': torch.zeros(1)}, path, {}, force=True)
    assert torch.load(path, weights_only=True)['state_dict']['w'] == 0
    assert list(tmp_path.joinpath('a').iterdir()) == [tmp_path / 'a/x.pth']
