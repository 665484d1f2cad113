# Pipelines and loader settings shared by the public-benchmark dataset
# configs of this folder: 256x128 images, the paper's augmentation
# (colour jitter, flip, pad 10 + random crop, random erasing), P x K = 32 x 4
# identity-balanced batches.
img_scale = (128, 256)  # (w, h)

train_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='Resize', scale=img_scale),
    dict(
        type='ColorJitter',
        brightness=0.2,
        contrast=0.15,
        saturation=0.0,
        hue=0.0),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomCrop', crop_size=(img_scale[1], img_scale[0]), padding=10),
    dict(type='RandomErasing', erase_prob=0.5, mode='rand'),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='Resize', scale=img_scale),
    dict(type='PackReIDInputs'),
]

train_sampler = dict(type='PKSampler', num_pids=32, num_instances=4)
train_loader_args = dict(
    batch_size=128, num_workers=4, persistent_workers=True)
test_loader_args = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False))
