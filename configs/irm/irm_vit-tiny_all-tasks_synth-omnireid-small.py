# IRM on SynthOmniReID `small` in the "all tasks per step" mode: every
# optimizer step holds one 8x4 batch of each of the six training lists, for
# the same 3,000 optimizer steps as irm_vit-tiny_synth-omnireid-small.py
# (one task per step). See docs/en/advanced_guides/multi_task_sampling.md.
_base_ = ['./irm_vit-tiny_synth-omnireid-small.py']

train_dataloader = dict(
    batch_size=None,  # the batch sampler sets P x K
    # Gives the batch sampler the dataset and the seed; never iterated.
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=False),
    batch_sampler=dict(
        type='AllTasksPKSampler',
        num_pids=8,
        num_instances=4,
        shares=1,
        loss_weights=1,
        # Under distributed training the six batches of a step are dealt
        # out to the ranks, so a step is the same for any number of them.
        split_across_ranks=True))
train_cfg = dict(type='AllTasksTrainLoop')
