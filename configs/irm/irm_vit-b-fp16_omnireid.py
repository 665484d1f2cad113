# The paper setting (irm_vit-b_omnireid.py) in float16 mixed precision, for
# GPUs without bfloat16: the forward pass runs under autocast (losses,
# distances and BN necks in float32) and the loss is scaled dynamically so
# that small float16 gradients do not vanish. AdamW runs fused. Prefer
# irm_vit-b-bf16_omnireid.py where the GPU supports bfloat16.
_base_ = ['./irm_vit-b_omnireid.py']

optim_wrapper = dict(
    type='MixedPrecisionOptimWrapper',
    dtype='float16',
    loss_scale='dynamic',
    optimizer=dict(fused=True))
