# Image size, pipelines and loader settings shared by the SynthOmniReID data
# configs of this folder, sized for a 2-core CPU: 128x64 images, flip, pad 5
# + random crop, random erasing; P x K = 8 x 4 identity-balanced batches.
# The configs add their datasets (and samplers) to the two loaders.
img_scale = (64, 128)  # (w, h)

train_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=(img_scale[1], img_scale[0]), padding=5),
    dict(type='RandomErasing', erase_prob=0.5, mode='rand'),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackReIDInputs'),
]

train_dataloader = dict(
    batch_size=32,  # = P x K of the sampler
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='PKSampler', num_pids=8, num_instances=4))
test_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False))
val_dataloader = test_dataloader
