# Convert the PASS ViT-B/16 checkpoint (pass_vit_base_full.pth, the person
# backbone the official Instruct-ReID code starts from) into the weights of
# PASSVisionTransformer, the 3 part tokens kept:
#
#   python tools/model_converters/pass_to_mmreid.py \
#       pretrained/pass_vit_base_full.pth \
#       pretrained/pass_vit_base_full_mmreid.pth
#
# The output holds {'state_dict': {'backbone.<name>': tensor}, 'meta': ...};
# the paper config reads it with init_cfg=dict(type='Pretrained',
# prefix='backbone.'). Key mapping and facts:
# docs/en/user_guides/official_checkpoints.md.
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmreid_instruct.utils.checkpoint_conversion import (
    check_all_used, convert_pass_vit, find_state_dict, load_foreign_checkpoint,
    save_converted, strip_prefix)

#: Source keys without a counterpart: TransReID's ImageNet head and any
#: other head / distillation / pre-logits tensor (the official loader skips
#: them too).
DROPPED = [r'fc\.', r'.*head', r'.*dist', r'.*pre_logits']


def pass_backbone_weights(checkpoint: dict) -> dict:
    """The backbone tensors of a PASS checkpoint, with the names of its
    TransReID ViT (``cls_token``, ``blocks.N.*``, ...): the ``teacher`` of a
    DINO-style file (its ``backbone.`` keys), else ``model`` /
    ``state_dict`` / the file itself, ``module.`` prefixes removed."""
    if isinstance(checkpoint.get('teacher'), dict):
        teacher = strip_prefix(checkpoint['teacher'], 'module.')
        return {
            k[len('backbone.'):]: v
            for k, v in teacher.items() if k.startswith('backbone.')
        }
    state_dict = strip_prefix(find_state_dict(checkpoint), 'module.')
    if state_dict and all(k.startswith('backbone.') for k in state_dict):
        state_dict = strip_prefix(state_dict, 'backbone.')
    return state_dict


def convert(src: str, img_size=(256, 128), patch_size: int = 16) -> dict:
    """Read ``src`` and return our ``backbone.*`` state dict."""
    weights = pass_backbone_weights(load_foreign_checkpoint(src))
    used = set()
    grid = (img_size[0] // patch_size, img_size[1] // patch_size)
    out = convert_pass_vit(weights, '', 'backbone.', used, grid)
    check_all_used(weights, used, DROPPED, src)
    return out


def parse_args(argv: Optional[List[str]] = None):
    parser = argparse.ArgumentParser(
        description='Convert PASS ViT weights to PASSVisionTransformer.')
    parser.add_argument('src', help='pass_vit_base_full.pth')
    parser.add_argument(
        'dst',
        help='output file, e.g. '
        'pretrained/pass_vit_base_full_mmreid.pth')
    parser.add_argument(
        '--img-size',
        type=int,
        nargs=2,
        default=(256, 128),
        metavar=('H', 'W'),
        help='input size of the model (default: 256 128)')
    parser.add_argument(
        '--force', action='store_true', help='replace an existing DST')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if osp.exists(args.dst) and not args.force:
        sys.exit(f'{args.dst} exists; give --force to replace it')
    try:
        state_dict = convert(args.src, tuple(args.img_size))
    except (OSError, RuntimeError, KeyError, ValueError) as error:
        sys.exit(f'Cannot convert {args.src}: {error}')
    save_converted(
        state_dict,
        args.dst,
        meta=dict(
            source=osp.basename(args.src),
            converter='pass_to_mmreid.py',
            img_size=list(args.img_size)),
        force=args.force)
    print(f'Wrote {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
