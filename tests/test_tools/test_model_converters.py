"""The three converters of ``tools/model_converters/`` on state dicts built
with the official key names and shapes (small widths: the converters do not
depend on the width), loaded strictly into our models."""
import argparse
import os.path as osp

import numpy as np
import pytest
import torch
from script_loader import load_script

from mmreid_instruct.registry import MODELS
from mmreid_instruct.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
C, VOCAB = 16, 109  # width; the 'char' tokenizer's vocabulary


def load_tool(name):
    return load_script(
        osp.join(REPO, 'tools', 'model_converters', f'{name}.py'))


class Keys:
    """Tensors with the official key names and shapes, at width ``C``
    (``device='meta'`` gives the real sizes without memory)."""

    def __init__(self, C=C, vocab=VOCAB, device='cpu', proj=8, queue=32):
        self.C, self.vocab, self.device = C, vocab, device
        self.proj, self.queue = proj, queue

    def rand(self, *shape):
        return torch.randn(*shape, device=self.device)

    def timm_vit(self, prefix, depth=12, pos_rows=None):
        """A timm/TransReID ViT block stack (fc1 4x wide)."""
        C, rand = self.C, self.rand
        sd = {
            f'{prefix}patch_embed.proj.weight': rand(C, 3, 16, 16),
            f'{prefix}patch_embed.proj.bias': rand(C),
            f'{prefix}norm.weight': rand(C),
            f'{prefix}norm.bias': rand(C),
            f'{prefix}cls_token': rand(1, 1, C),
        }
        if pos_rows:
            sd[f'{prefix}pos_embed'] = rand(1, pos_rows, C)
        for i in range(depth):
            b = f'{prefix}blocks.{i}.'
            for name, shape in (('norm1', (C, )), ('norm2', (C, )),
                                ('attn.qkv', (3 * C, C)),
                                ('attn.proj', (C, C)), ('mlp.fc1', (4 * C, C)),
                                ('mlp.fc2', (C, 4 * C))):
                sd[b + name + '.weight'] = rand(*shape)
                sd[b + name + '.bias'] = rand(shape[0])
        return sd

    def pass_vit(self, prefix):
        sd = self.timm_vit(prefix, pos_rows=128)
        for i in (1, 2, 3):
            sd[f'{prefix}part_token{i}'] = self.rand(1, 1, self.C)
            sd[f'{prefix}part{i}_pos'] = self.rand(1, 1, self.C)
        sd[f'{prefix}cls_pos'] = self.rand(1, 1, self.C)
        return sd

    def bert(self, prefix, layers=12):
        """BertForMaskedLM: 16 tensors per layer, 26 with cross-attention
        (layers 6 and up), the MLM head with its decoder tied to the word
        embeddings (weight) and to the head's bias, as BERT saves it."""
        C, V, rand = self.C, self.vocab, self.rand
        word_embeddings, bias = rand(V, C), rand(V)
        sd = {
            f'{prefix}bert.embeddings.word_embeddings.weight':
            word_embeddings,
            f'{prefix}bert.embeddings.position_embeddings.weight':
            rand(512, C),
            f'{prefix}bert.embeddings.token_type_embeddings.weight':
            rand(2, C),
            f'{prefix}bert.embeddings.LayerNorm.weight':
            rand(C),
            f'{prefix}bert.embeddings.LayerNorm.bias':
            rand(C),
            f'{prefix}bert.embeddings.position_ids':
            torch.arange(512, device=self.device)[None],
            f'{prefix}cls.predictions.bias':
            bias,
            f'{prefix}cls.predictions.transform.dense.weight':
            rand(C, C),
            f'{prefix}cls.predictions.transform.dense.bias':
            rand(C),
            f'{prefix}cls.predictions.transform.LayerNorm.weight':
            rand(C),
            f'{prefix}cls.predictions.transform.LayerNorm.bias':
            rand(C),
            f'{prefix}cls.predictions.decoder.weight':
            word_embeddings,
            f'{prefix}cls.predictions.decoder.bias':
            bias,
        }
        parts = [('attention.self.query', C), ('attention.self.key', C),
                 ('attention.self.value', C), ('attention.output.dense', C),
                 ('intermediate.dense', 4 * C), ('output.dense', C)]
        cross = [('crossattention.self.query', C),
                 ('crossattention.self.key', C),
                 ('crossattention.self.value', C),
                 ('crossattention.output.dense', C)]
        for i in range(layers):
            b = f'{prefix}bert.encoder.layer.{i}.'
            for name, out in parts + (cross if i >= 6 else []):
                in_ = 4 * C if name == 'output.dense' else C
                sd[b + name + '.weight'] = rand(out, in_)
                sd[b + name + '.bias'] = rand(out)
            norms = ['attention.output.LayerNorm', 'output.LayerNorm']
            if i >= 6:
                norms.append('crossattention.output.LayerNorm')
            for name in norms:
                sd[b + name + '.weight'] = rand(C)
                sd[b + name + '.bias'] = rand(C)
        return sd

    def linear(self, prefix, out, in_, bias=True):
        sd = {prefix + 'weight': self.rand(out, in_)}
        if bias:
            sd[prefix + 'bias'] = self.rand(out)
        return sd

    def bn(self, prefix):
        C = self.C
        return {
            prefix + 'weight': self.rand(C),
            prefix + 'bias': self.rand(C),
            prefix + 'running_mean': self.rand(C),
            prefix + 'running_var': self.rand(C).abs(),
            prefix + 'num_batches_tracked':
            torch.tensor(7, device=self.device),
        }

    def official(self, num_ids=11):
        """Every key group of the official checkpoint (docs/en/user_guides/
        official_checkpoints.md)."""
        C, rand, linear = self.C, self.rand, self.linear
        sd = self.pass_vit('visual_encoder.')
        sd.update(linear('visual_encoder.fc.', 1000, C))
        sd.update(self.timm_vit('visual_encoder_m.', pos_rows=65))
        block0 = [k for k in sd if k.startswith('visual_encoder.blocks.0.')]
        for i in (0, 1):  # never-run copies of backbone blocks
            for k in block0:
                sd[k.replace('visual_encoder.blocks.0.',
                             f'fusion.{i}.')] = rand(*sd[k].shape)
        sd.update(self.bert('text_encoder.'))
        sd.update(self.bert('text_encoder_m.'))
        for name, out in (('vision_proj.', self.proj), ('text_proj.',
                                                        self.proj),
                          ('text_proj_m.', self.proj), ('itm_head.', 2),
                          ('prd_head.', 2), ('mrtd_head.', 2)):
            sd.update(linear(name, out, C))
        sd.update(self.bn('fusion_feat_bn.'))
        sd.update(self.bn('feat_bn.'))
        for name in ('classifier.', 'classifier_f.', 'classifier_c.'):
            sd.update(linear(name, num_ids, C, bias=False))
        sd.update({
            'image_queue': rand(self.proj, self.queue),
            'text_queue': rand(self.proj, self.queue),
            'idx_queue': torch.full((1, self.queue), -100),
            'queue_ptr': torch.zeros(1, dtype=torch.long),
            'temp': torch.tensor(0.07),
            'project.weight': rand(C, C),
        })
        return sd

    def albef(self):
        sd = self.timm_vit('visual_encoder.', pos_rows=257)
        sd.update(self.timm_vit('visual_encoder_m.', pos_rows=257))
        sd.update(self.bert('text_encoder.'))
        sd.update(self.bert('text_encoder_m.'))
        for name, out in (('vision_proj.', self.proj),
                          ('text_proj.', self.proj), ('vision_proj_m.',
                                                      self.proj),
                          ('text_proj_m.', self.proj), ('itm_head.', 2)):
            sd.update(self.linear(name, out, self.C))
        sd.update({
            'image_queue': self.rand(self.proj, self.queue),
            'text_queue': self.rand(self.proj, self.queue),
            'queue_ptr': torch.zeros(1, dtype=torch.long),
            'temp': torch.tensor(0.07),
        })
        return sd


def official_state_dict():
    return Keys().official()


def compat_model():
    """configs/irm/irm_vit-b_official-compat.py's model at width 16."""
    register_all_modules()
    vit = dict(
        embed_dims=C, num_layers=12, num_heads=2, feedforward_channels=4 * C)
    return MODELS.build(
        dict(
            type='InstructReID',
            backbone=dict(
                type='PASSVisionTransformer',
                num_part_tokens=3,
                arch=vit,
                img_size=(256, 128),
                out_type='raw'),
            text_encoder=dict(
                type='TextInstructionEncoder',
                tokenizer='char',
                config=dict(
                    hidden_size=C,
                    num_attention_heads=2,
                    intermediate_size=4 * C,
                    vocab_size=VOCAB),
                num_layers=6,
                add_sep_token=False,
                pad_to_max_length=True),
            image_instruction_encoder=dict(
                type='ImageInstructionEncoder',
                backbone=dict(
                    type='mmpretrain.VisionTransformer',
                    arch=vit,
                    img_size=128,
                    out_type='raw')),
            fusion=dict(
                type='EditingFusion',
                num_heads=2,
                mask_padding=False,
                tie_to_backbone_blocks=(0, 11)),
            head=dict(
                type='InstructReIDHead', num_classes=None, share_uv_neck=True),
            t2i_head=dict(
                type='ALBEFT2IHead',
                embed_dims=8,
                fusion_encoder=dict(
                    type='CrossModalEncoder',
                    num_layers=6,
                    num_heads=2,
                    feedforward_channels=4 * C),
                queue_size=32)))


@pytest.mark.parametrize('prefix', ['module.', ''])
def test_official_checkpoint_loads_strictly(tmp_path, prefix):
    tool = load_tool('official_irm_to_mmreid')
    sd = official_state_dict()
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    torch.save({'state_dict': {prefix + k: v for k, v in sd.items()}}, src)
    tool.main([str(src), str(dst)])
    ours = torch.load(dst, weights_only=True)['state_dict']
    model = compat_model()
    model.load_state_dict(ours, strict=True)

    # A few values where they belong.
    assert torch.equal(model.backbone.pos_embed[:, 0],
                       sd['visual_encoder.cls_pos'][:, 0])
    assert torch.equal(model.backbone.part_tokens[:, 1],
                       sd['visual_encoder.part_token2'][:, 0])
    assert torch.equal(model.backbone.layers[11].ffn.layers[1].bias,
                       sd['visual_encoder.blocks.11.mlp.fc2.bias'])
    assert model.head.neck_u is model.head.neck_v
    assert torch.equal(model.head.neck_u.bn.running_var,
                       sd['fusion_feat_bn.running_var'])
    assert torch.equal(model.head.neck_g.bn.weight, sd['feat_bn.weight'])
    assert torch.equal(
        model.text_encoder.encoder.encoder.layer[5].output.dense.weight,
        sd['text_encoder.bert.encoder.layer.5.output.dense.weight'])
    assert torch.equal(model.t2i_head.img_proj.weight,
                       sd['vision_proj.weight'])
    assert not any(k.startswith('fusion.') for k in ours)

    # The text-to-image branch: BERT layers 6-11, heads, momentum copies,
    # queues and temperature, in the same file.
    t2i = model.t2i_head
    official_layer = 'text_encoder.bert.encoder.layer.11.'
    assert torch.equal(
        t2i.fusion_encoder.layers[5].crossattention.self.value.bias,
        sd[official_layer + 'crossattention.self.value.bias'])
    assert torch.equal(
        t2i.fusion_encoder.layers[0].output.LayerNorm.weight,
        sd['text_encoder.bert.encoder.layer.6.output.'
           'LayerNorm.weight'])
    assert torch.equal(
        t2i.mlm_head.transform.dense.weight,
        sd['text_encoder.cls.predictions.transform.dense.'
           'weight'])
    assert torch.equal(t2i.mlm_head.bias, sd['text_encoder.cls.predictions.'
                                             'bias'])
    assert torch.equal(
        t2i.momentum_text_encoder.encoder.layer[5].attention.self.key.weight,
        sd['text_encoder_m.bert.encoder.layer.5.attention.self.key.weight'])
    assert torch.equal(
        t2i.momentum_text_encoder.embeddings.word_embeddings.weight,
        sd['text_encoder_m.bert.embeddings.word_embeddings.weight'])
    assert torch.equal(
        t2i.momentum_fusion_encoder.layers[5].crossattention.self.key.bias,
        sd['text_encoder_m.bert.encoder.layer.11.crossattention.self.key.'
           'bias'])
    assert torch.equal(t2i.momentum_mlm_head.bias,
                       sd['text_encoder_m.cls.predictions.bias'])
    assert torch.equal(t2i.momentum_text_proj.weight, sd['text_proj_m.weight'])
    for name in ('itm_head.weight', 'mrtd_head.bias', 'temp', 'image_queue',
                 'text_queue', 'idx_queue', 'queue_ptr'):
        assert torch.equal(t2i.state_dict()[name], sd[name]), name
    assert not any(k.startswith('t2i_head.prd_head') for k in ours)
    assert not any('decoder' in k for k in ours)
    # The online MLM head predicts with the text encoder's word embeddings,
    # which are the official decoder weights.
    assert torch.equal(
        model.text_encoder.encoder.embeddings.word_embeddings.weight,
        sd['text_encoder.cls.predictions.decoder.weight'])
    assert torch.load(
        dst, weights_only=True)['meta'] == dict(
            source='official.pth', converter='official_irm_to_mmreid.py')
    assert sorted(p.name
                  for p in tmp_path.iterdir()) == ['official.pth', 'ours.pth']


def test_converter_refuses_untied_mlm_decoder():
    tool = load_tool('official_irm_to_mmreid')
    sd = official_state_dict()
    key = 'text_encoder_m.cls.predictions.decoder.weight'
    sd[key] = sd[key] + 1
    with pytest.raises(
            ValueError,
            match=key + ' differs from text_encoder_m'
            r'\.bert\.embeddings\.word_embeddings\.weight'):
        tool.convert_official(sd)
    sd = official_state_dict()
    del sd['idx_queue']
    with pytest.raises(KeyError, match='idx_queue'):
        tool.convert_official(sd)


def test_official_converter_refuses_unknown_keys(tmp_path):
    tool = load_tool('official_irm_to_mmreid')
    sd = official_state_dict()
    sd['mystery.weight'] = torch.ones(1)
    with pytest.raises(ValueError, match='mystery.weight'):
        tool.convert_official(sd)


def test_pass_converter_dino_file_with_namespace(tmp_path):
    tool = load_tool('pass_to_mmreid')
    keys = Keys()
    backbone = keys.pass_vit('')
    backbone.update(keys.linear('fc.', 1000, C))
    teacher = {'module.backbone.' + k: v for k, v in backbone.items()}
    teacher['module.head.mlp.0.weight'] = keys.rand(4, C)  # the DINO head
    src, dst = tmp_path / 'pass_vit_base_full.pth', tmp_path / 'out.pth'
    torch.save(
        {
            'teacher': teacher,
            'student': {},
            'args': argparse.Namespace(arch='vit_base'),
            'epoch': np.int64(100)
        }, src)
    tool.main([str(src), str(dst)])
    ours = torch.load(dst, weights_only=True)['state_dict']
    register_all_modules()
    vit = MODELS.build(
        dict(
            type='PASSVisionTransformer',
            arch=dict(
                embed_dims=C,
                num_layers=12,
                num_heads=2,
                feedforward_channels=4 * C),
            img_size=(256, 128),
            out_type='raw'))
    bare = {k[len('backbone.'):]: v for k, v in ours.items()}
    vit.load_state_dict(bare, strict=True)
    assert all(k.startswith('backbone.') for k in ours)
    assert torch.equal(vit.pos_embed[:, 1:], backbone['pos_embed'])

    with pytest.raises(SystemExit, match='exists; give --force'):
        tool.main([str(src), str(dst)])
    tool.main([str(src), str(dst), '--force'])


def test_albef_converter(tmp_path):
    tool = load_tool('albef_to_mmreid')
    sd = Keys().albef()
    src, dst = tmp_path / 'ALBEF.pth', tmp_path / 'albef_mmreid.pth'
    torch.save({'model': sd, 'config': {'image_res': 256}, 'epoch': 29}, src)
    tool.main([str(src), str(dst)])
    ours = torch.load(dst, weights_only=True)['state_dict']
    model = compat_model()
    missing, unexpected = model.load_state_dict(ours, strict=False)
    assert unexpected == []
    # Only the person backbone, the BN necks and what ALBEF lacks of the
    # T2I branch (below) are not from ALBEF.
    assert {k.split('.')[0]
            for k in missing} == {'backbone', 'head', 't2i_head'}
    pos = model.image_instruction_encoder.backbone.pos_embed
    assert pos.shape == (1, 65, C)
    assert torch.equal(pos[:, 0], sd['visual_encoder_m.pos_embed'][:, 0])
    # The momentum ViT (what the official code loads), not visual_encoder.
    assert torch.equal(model.image_instruction_encoder.backbone.cls_token,
                       sd['visual_encoder_m.cls_token'])
    assert torch.equal(model.t2i_head.text_proj.bias, sd['text_proj.bias'])
    # The T2I branch: everything the official model loads from ALBEF, in
    # the same file; ALBEF has no MRTD head and no identity queue.
    assert torch.equal(
        model.t2i_head.fusion_encoder.layers[2].crossattention.output.dense.
        weight, sd['text_encoder.bert.encoder.layer.8.crossattention.output.'
                   'dense.weight'])
    assert torch.equal(
        model.t2i_head.momentum_text_encoder.encoder.layer[0].output.dense.
        bias, sd['text_encoder_m.bert.encoder.layer.0.output.dense.bias'])
    assert torch.equal(model.t2i_head.itm_head.weight, sd['itm_head.weight'])
    assert torch.equal(model.t2i_head.image_queue, sd['image_queue'])
    t2i_missing = {k for k in missing if k.startswith('t2i_head.')}
    assert t2i_missing == {
        't2i_head.mrtd_head.weight', 't2i_head.mrtd_head.bias',
        't2i_head.idx_queue'
    }
    # vision_proj_m (no momentum image encoder) and the tied decoders are
    # dropped: nothing else.
    assert len(ours) == len(
        tool.convert_albef(sd)) == len(sd) - 2 - 2 - 2 - 2 - len(
            [k for k in sd if k.startswith('visual_encoder.')])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'ALBEF.pth', 'albef_mmreid.pth'
    ]


def test_real_shapes_match_the_official_compat_config():
    """At the real sizes (meta tensors), the converted official keys are
    exactly the state dict of configs/irm/irm_vit-b_official-compat.py,
    shape for shape."""
    from mmengine.config import Config
    tool = load_tool('official_irm_to_mmreid')
    sd = Keys(
        C=768, vocab=30522, device='meta', proj=256,
        queue=65536).official(num_ids=751)
    assert len(sd) == 894  # as the official trainer saves it
    ours = tool.convert_official(sd)
    register_all_modules()
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'irm', 'irm_vit-b_official-compat.py'))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in ours.items()} == expected
    # (momentum copies included); without the T2I branch, i.e. with only
    # its two projections (196,864 each), the model had 238,209,536.
    assert sum(v.numel() for v in model.parameters()) == 419_440_505
    assert sum(v.numel() for k, v in model.named_parameters()
               if not k.startswith('t2i_head.')) == 238_209_536 - 2 * 196_864


def test_converters_refuse_unsafe_files_with_the_object_named(tmp_path):
    import datetime
    src = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': {}, 'saved': datetime.date(2024, 1, 1)}, src)
    for name in ('official_irm_to_mmreid', 'albef_to_mmreid',
                 'pass_to_mmreid'):
        with pytest.raises(SystemExit, match='datetime.date'):
            load_tool(name).main([str(src), str(tmp_path / f'{name}.pth')])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ckpt.pth']


def test_real_shapes_of_albef_fit_the_paper_config():
    """At the real sizes (meta tensors), every tensor converted from ALBEF
    has its place and shape in configs/irm/irm_vit-b_omnireid.py's model,
    which its Pretrained init configs read by prefix; what ALBEF lacks is
    the person backbone, the ReID head and two parts of the T2I branch."""
    from mmengine.config import Config
    tool = load_tool('albef_to_mmreid')
    sd = Keys(C=768, vocab=30522, device='meta', proj=256, queue=65536).albef()
    ours = tool.convert_albef(sd)
    register_all_modules()
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'irm', 'irm_vit-b_omnireid.py'))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert {
        k: expected.get(k)
        for k in ours
    } == {
        k: tuple(v.shape)
        for k, v in ours.items()
    }
    prefixes = [
        part.init_cfg.prefix for part in cfg.model.values()
        if isinstance(part, dict) and 'init_cfg' in part
        and part.init_cfg.checkpoint == cfg.albef_checkpoint
    ]
    assert sorted(prefixes) == [
        'image_instruction_encoder.', 't2i_head.', 'text_encoder.'
    ]
    assert all(k.startswith(tuple(prefixes)) for k in ours)
    not_from_albef = {
        k.split('.')[0] if not k.startswith('t2i_head.') else k
        for k in expected if k not in ours
    }
    assert not_from_albef == {
        'backbone', 'head', 't2i_head.mrtd_head.weight',
        't2i_head.mrtd_head.bias', 't2i_head.idx_queue'
    }
