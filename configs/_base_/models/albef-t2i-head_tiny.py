# The ALBEF-style text-to-image branch (ALBEFT2IHead) at the CPU size of
# irm_vit-tiny.py: a small randomly initialised multimodal stack (2 layers,
# 384-d, 6 heads, cross-attending to the 192-d person tokens) over the
# frozen all-MiniLM-L6-v2 text layers, a 128-d image-text space; 0.5 ITC +
# ITM + MLM + 0.5 MRTD. Two CPU choices: no attention dropout (it sends
# PyTorch's attention to its slow path on CPU; ~20% of the step), and the
# learnable temperature kept in ALBEF's range [0.001, 0.5] (the schedule's
# lr could otherwise move it by up to 5e-4 a step, past zero). A config
# uses it as
# model = dict(t2i_head=dict(_delete_=True, **_base_.albef_t2i_head_tiny))
# together with the ITM re-rank of the test (t2i_rerank below, and the
# T2IReRankHook that hands the model's scorer to T2IMetric).
albef_t2i_head_tiny = dict(
    type='ALBEFT2IHead',
    embed_dims=128,
    fusion_encoder=dict(
        type='CrossModalEncoder',
        num_layers=2,
        num_heads=6,
        feedforward_channels=1536,
        attn_drop_rate=0.),
    temperature_range=(0.001, 0.5))
t2i_rerank = dict(topk=128)
