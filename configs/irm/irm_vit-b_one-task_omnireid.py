# The paper config (irm_vit-b_omnireid.py) trained with ONE task per
# optimizer step instead of all of them: every iteration draws one of the
# ten training lists (each equally often) and takes a 32x4 batch of it. Over
# 24,000 iterations each list gets about a tenth of the batches of the
# all-tasks mode. See docs/en/advanced_guides/multi_task_sampling.md.
_base_ = ['./irm_vit-b_omnireid.py']

train_dataloader = dict(
    batch_size=128,  # = P x K of the sampler, one task per batch
    sampler=dict(
        _delete_=True,
        type='MultiTaskPKSampler',
        num_pids=32,
        num_instances=4,
        ratios=[1] * len(_base_.train_lists)),
    batch_sampler=None)
train_cfg = dict(type='ReIDIterBasedTrainLoop')
