# The ALBEF-style text-to-image branch (ALBEFT2IHead) at the CPU size of
# irm_vit-tiny.py: a small randomly initialised multimodal stack (2 layers,
# 384-d, 6 heads, cross-attending to the 192-d person tokens) over the
# frozen all-MiniLM-L6-v2 text layers, a 128-d image-text space; 0.5 ITC +
# ITM + MLM + 0.5 MRTD. Three CPU choices: no attention dropout (it sends
# PyTorch's attention to its slow path on CPU; ~20% of the step), and the
# learnable temperature kept in ALBEF's range [0.001, 0.5] (the schedule's
# lr could otherwise move it by up to 5e-4 a step, past zero), and BN necks
# on the image CLS (img_neck) and on every image token (img_token_neck): the
# person ViT, trained from scratch here, gives a CLS and tokens that hardly
# vary between images; without the necks t2i stays near chance
# (configs/irm/README.md, "The T2I branch at CPU size"). A config uses it as
# model = dict(t2i_head=dict(_delete_=True, **_base_.albef_t2i_head_tiny))
# together with T2IReRankHook, which hands the model's ITM scorer to
# T2IMetric. The CPU configs rank t2i by the contrastive similarity alone:
# at their budgets the ITM re-rank of each caption's top 128 (the paper
# config's test) lowers t2i mAP (tiny 13.81 -> 8.35, small 11.46 -> 7.76,
# configs/irm/README.md). `--cfg-options +test_evaluator.1.rerank.topk=128`
# turns it on (index 0 in the t2i specialists, whose only metric it is).
albef_t2i_head_tiny = dict(
    type='ALBEFT2IHead',
    embed_dims=128,
    fusion_encoder=dict(
        type='CrossModalEncoder',
        num_layers=2,
        num_heads=6,
        feedforward_channels=1536,
        attn_drop_rate=0.),
    temperature_range=(0.001, 0.5),
    img_neck=dict(type='BNNeck'),
    img_token_neck=dict(type='BNNeck'))
