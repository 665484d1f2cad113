# The dataloaders and the default evaluator of the public-benchmark dataset
# configs of this folder (pipelines, sampler and loader settings come from
# benchmark_pipelines.py): train on the `train` subset, test on the query
# and gallery subsets in this order, all under `data/`.
#
# The datasets have no `type`: each benchmark config names its dataset
# class, in the train dataset and in the `defaults` that ReIDConcatDataset
# adds to both test sets (mmengine replaces lists on inheritance but merges
# dicts, so a child changes `defaults` rather than the list), e.g.
# market1501.py:
#
#     dataset_type = 'Market1501'
#     train_dataloader = dict(dataset=dict(type=dataset_type))
#     test_dataloader = dict(dataset=dict(defaults=dict(type=dataset_type)))
#     val_dataloader = test_dataloader
_base_ = ['./benchmark_pipelines.py']

data_root = 'data'

train_dataloader = dict(
    **_base_.train_loader_args,
    sampler=_base_.train_sampler,
    dataset=dict(
        data_root=data_root, subset='train', pipeline=_base_.train_pipeline))
test_dataloader = dict(
    **_base_.test_loader_args,
    dataset=dict(
        type='ReIDConcatDataset',
        defaults=dict(data_root=data_root, pipeline=_base_.test_pipeline),
        datasets=[dict(subset='query'),
                  dict(subset='gallery')]))
test_evaluator = dict(type='ReIDMetric')  # Market-style CMC, mAP, mINP

val_dataloader = test_dataloader
val_evaluator = test_evaluator
