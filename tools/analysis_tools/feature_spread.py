"""How much the image CLS of a trained model varies from image to image.

Prints one JSON document for the gallery (or query) images of one task of
the config's test set:

- ``cls``: the common part of the backbone's CLS token (the norm of its mean
  over the images), its spread (the root of the summed per-channel
  variances) and their ratio. A ViT trained from scratch behind BN necks
  can end with a spread of about 1% of the common part: the BN necks
  rescale it, while a head that reads the CLS as it is (``T2IHead`` without
  ``img_neck``) sees the same vector for every image;
- ``patch_tokens``: the same three numbers over all patch tokens of the
  images (what the cross-modal layers of ``ALBEFT2IHead`` read besides the
  CLS; ``img_token_neck`` standardises them);
- ``t2i_embedding`` (models with a ``T2IHead``): the mean and smallest
  cosine similarity between the images' T2I embeddings (1 means every image
  gets the same embedding).

Usage:
    python tools/analysis_tools/feature_spread.py CONFIG CHECKPOINT \
        [--task t2i] [--subset gallery] [--num-images 256] \
        [--cfg-options KEY=VALUE ...]
"""
import argparse
import json
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger

from mmreid_instruct.apis import init_model
from mmreid_instruct.registry import DATASETS
from mmreid_instruct.utils.runner_cli import (CfgOptionsAction,
                                              check_cfg_options)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='spread of the image CLS of a trained model')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--task', default='t2i', help='the test set to read (default t2i)')
    parser.add_argument(
        '--subset',
        default='gallery',
        choices=['query', 'gallery'],
        help='its query or gallery images (default gallery)')
    parser.add_argument(
        '--num-images',
        type=int,
        default=256,
        help='the first N images of the set (default 256)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of the config, key=value (a new key as '
        '+key=value), e.g. +model.t2i_head.img_neck.type=BNNeck')
    args = parser.parse_args(argv)
    if args.num_images < 2:
        parser.error(f'--num-images must be at least 2, got {args.num_images}')
    return args


def find_test_set(cfg, task: str, subset: str):
    """The ``subset`` dataset of ``task`` among the config's test sets."""
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    found = []
    for part in getattr(dataset, 'datasets', [dataset]):
        if (getattr(part, 'task', None) == task
                and getattr(part, 'subset', None) == subset):
            found.append(part)
    if len(found) != 1:
        raise ValueError(
            f'{cfg.filename}: test_dataloader.dataset has {len(found)} '
            f'{subset} sets of task {task!r}; expected exactly one')
    return found[0]


@torch.no_grad()
def image_tokens(model, dataset, num_images: int, batch_size: int):
    """(N, 1 + P, C) tokens, CLS first, of the first ``num_images``
    images."""
    num_images = min(num_images, len(dataset))
    feats = []
    for start in range(0, num_images, batch_size):
        stop = min(start + batch_size, num_images)
        batch = pseudo_collate([dataset[i] for i in range(start, stop)])
        data = model.data_preprocessor(batch, False)
        feats.append(model.image_tokens(data['inputs']))
    return torch.cat(feats)


def common_and_spread(features: torch.Tensor) -> dict:
    """The norm of the mean of (M, C) ``features``, the root of their
    summed per-channel variances, and the ratio of the two."""
    features = features.double()
    common = features.mean(0).norm().item()
    spread = features.var(0, unbiased=False).sum().sqrt().item()
    return dict(
        common_norm=common,
        spread=spread,
        spread_ratio=spread / common if common > 0 else float('inf'))


def spread_report(cls: torch.Tensor,
                  t2i_head=None,
                  patch_tokens: Optional[torch.Tensor] = None) -> dict:
    """The JSON fields of the module docstring for (N, C) CLS tokens
    ``cls`` and (M, C) ``patch_tokens``."""
    report = dict(num_images=len(cls), cls=common_and_spread(cls))
    if patch_tokens is not None:
        report['patch_tokens'] = common_and_spread(patch_tokens)
    if t2i_head is not None and hasattr(t2i_head, 'embed_image'):
        emb = t2i_head.embed_image(cls.float()).double()
        cos = emb @ emb.t()
        off_diagonal = cos[~torch.eye(len(cos), dtype=torch.bool)]
        report['t2i_embedding'] = dict(
            mean_pairwise_cosine=off_diagonal.mean().item(),
            min_pairwise_cosine=off_diagonal.min().item())
    return report


def main(argv=None):
    args = parse_args(argv)
    # The datasets log their sizes (on stdout): keep stdout for the JSON.
    MMLogger.get_instance('feature_spread', log_level='ERROR')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(check_cfg_options(cfg, args.cfg_options))
    model = init_model(cfg, args.checkpoint, device='cpu')  # in eval mode
    dataset = find_test_set(model.cfg, args.task, args.subset)
    tokens = image_tokens(model, dataset, args.num_images, args.batch_size)
    report = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        task=args.task,
        subset=args.subset,
        **spread_report(tokens[:, 0], getattr(model, 't2i_head', None),
                        tokens[:, 1:].flatten(0, 1)))
    print(json.dumps(report, indent=2))


if __name__ == '__main__':
    main()
