# Strong ReID baseline: ViT backbone, BN neck, label-smoothing ID loss and
# batch-hard triplet. A CPU-sized ViT (192-d, 6 layers) for 128x64 inputs.
model = dict(
    type='ImageReID',
    data_preprocessor=dict(type='ReIDDataPreprocessor'),
    backbone=dict(
        type='mmpretrain.VisionTransformer',
        arch=dict(
            embed_dims=192,
            num_layers=6,
            num_heads=3,
            feedforward_channels=768),
        img_size=(128, 64),
        patch_size=16,
        out_type='cls_token',
        drop_path_rate=0.1,
        init_cfg=[
            dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
        ]),
    head=dict(
        type='ReIDHead',
        in_channels=192,
        num_classes=None,  # set by the dataset config
        loss_cls=dict(type='LabelSmoothCrossEntropyLoss', label_smoothing=0.1),
        loss_triplet=dict(type='TripletLoss', margin=0.3),
        bn_neck=True,
        test_feature='bn'),
)
