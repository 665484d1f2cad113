# The paper setting (irm_vit-b_omnireid.py) in bfloat16 mixed precision:
# the forward pass runs under autocast (matrix products and fused attention
# in bfloat16; losses, distances and BN necks in float32), weights and
# optimizer states stay float32. bfloat16 has float32's range, so the loss
# is not scaled. AdamW runs fused (one kernel for all parameters).
# Needs a GPU with bfloat16 (Ampere or newer); without a GPU the wrapper
# falls back to CPU autocast. Speed: docs/en/advanced_guides/speed.md.
_base_ = ['./irm_vit-b_omnireid.py']

optim_wrapper = dict(
    type='MixedPrecisionOptimWrapper',
    dtype='bfloat16',
    loss_scale=dict(enabled=False),
    optimizer=dict(fused=True))
