# irm_vit-tiny_all-tasks_synth-omnireid-small.py with the channel
# augmentation of visible-infrared ReID on its `vi` training list: half of
# those images are turned grey (three equal channels), so colour, which the
# infrared queries do not show, cannot be what tells the identities apart.
# The `vi` specialist with the same augmentation is
# specialists/irm-specialist-vi-grayscale_vit-tiny_synth-omnireid-small.py.
_base_ = ['./irm_vit-tiny_all-tasks_synth-omnireid-small.py']


def _with_grayscale(dataset):
    """The `vi` training set with RandomGrayscale after its loading step;
    any other set unchanged."""
    if dataset['task'] != 'vi':
        return dataset
    pipeline = dataset['pipeline']
    return dict(
        dataset,
        pipeline=[
            pipeline[0],
            dict(type='RandomGrayscale', prob=0.5, keep_channels=True),
            *pipeline[1:],
        ])


train_dataloader = dict(
    dataset=dict(datasets=[
        _with_grayscale(dataset)
        for dataset in _base_.train_dataloader.dataset.datasets
    ]))
