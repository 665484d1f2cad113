# The CPU-sized IRM (irm_vit-tiny_synth-omnireid-tiny.py) in bfloat16 mixed
# precision: the twin of irm_vit-b-bf16_omnireid.py that runs on a CPU
# (autocast in bfloat16, no loss scaling) and on a GPU. The optimizer is
# the fp32 config's, so that the two can be compared step by step.
_base_ = ['./irm_vit-tiny_synth-omnireid-tiny.py']

optim_wrapper = dict(
    type='MixedPrecisionOptimWrapper',
    dtype='bfloat16',
    loss_scale=dict(enabled=False))
