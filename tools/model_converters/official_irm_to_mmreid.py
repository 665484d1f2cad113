# Convert a checkpoint of the official Instruct-ReID model
# (PASS_Transformer_DualAttn_joint, as its trainer saves it: {'state_dict':
# ...}, keys with or without the 'module.' prefix) into the weights of
# configs/irm/irm_vit-b_official-compat.py:
#
#   python tools/model_converters/official_irm_to_mmreid.py \
#       checkpoint.pth.tar work_dirs/official_irm_mmreid.pth
#
# Mapping (facts: docs/en/user_guides/official_checkpoints.md):
#   visual_encoder.*      -> backbone.* (PASSVisionTransformer, part tokens
#                            kept); its blocks 0 and 11 are also the editing
#                            blocks, which the compat config ties to them
#   visual_encoder_m.*    -> image_instruction_encoder.backbone.*
#   text_encoder.bert.*   -> text_encoder.encoder.* (embeddings, layers 0-5)
#   vision_proj, text_proj -> t2i_head.img_proj, t2i_head.text_proj
#   fusion_feat_bn        -> head.neck_u.bn and head.neck_v.bn (one BN)
#   feat_bn               -> head.neck_g.bn
# Dropped: fusion.* (never run by the official code), the ID classifiers
# (the compat head has none), project, prd_head, visual_encoder.fc. The
# text-to-image parts (BERT layers 6-11, ITM/MLM/MRTD heads, momentum
# encoders, queues, temperature) go to --t2i-dst (default: DST with '_t2i'
# before the extension).
import argparse
import os.path as osp
import sys
from typing import List, Optional, Tuple

from mmreid_instruct.utils.checkpoint_conversion import (
    albef_t2i_parts, bert_keys, check_all_used, convert_albef_vit,
    convert_pass_vit, find_state_dict, load_foreign_checkpoint, save_converted,
    strip_prefix)

#: Official keys without a counterpart in the test-time model.
DROPPED = [
    r'fusion\.', r'classifier', r'project\.', r'prd_head\.',
    r'visual_encoder\.fc\.'
]

BN_KEYS = ('weight', 'bias', 'running_mean', 'running_var',
           'num_batches_tracked')


def convert_official(state_dict: dict,
                     source: str = 'official checkpoint') -> Tuple[dict, dict]:
    """Split an official state dict (no ``module.`` prefix) into (our IRM
    weights, T2I parts)."""
    used = set()
    out = convert_pass_vit(state_dict, 'visual_encoder.', 'backbone.', used)
    out.update(
        convert_albef_vit(state_dict, 'visual_encoder_m.',
                          'image_instruction_encoder.backbone.', used, (8, 8)))
    out.update(
        bert_keys(state_dict, 'text_encoder.bert.', 'text_encoder.encoder.',
                  used, range(6)))
    pairs = [('vision_proj.', ['t2i_head.img_proj.'], ('weight', 'bias')),
             ('text_proj.', ['t2i_head.text_proj.'], ('weight', 'bias')),
             ('fusion_feat_bn.', ['head.neck_u.bn.',
                                  'head.neck_v.bn.'], BN_KEYS),
             ('feat_bn.', ['head.neck_g.bn.'], BN_KEYS)]
    for src, dsts, kinds in pairs:
        for kind in kinds:
            if src + kind not in state_dict:
                raise KeyError(f'{source}: key {src + kind!r} is missing')
            used.add(src + kind)
            for dst in dsts:
                out[dst + kind] = state_dict[src + kind]
    t2i = albef_t2i_parts(state_dict, used)
    check_all_used(state_dict, used, DROPPED, source)
    return out, t2i


def t2i_path(dst: str) -> str:
    """``a/b.pth`` -> ``a/b_t2i.pth``."""
    stem, ext = osp.splitext(dst)
    return f'{stem}_t2i{ext or ".pth"}'


def parse_args(argv: Optional[List[str]] = None):
    parser = argparse.ArgumentParser(
        description='Convert an official Instruct-ReID checkpoint.')
    parser.add_argument('src', help='checkpoint of the official trainer')
    parser.add_argument('dst', help='output file')
    parser.add_argument(
        '--t2i-dst',
        help='output file of the text-to-image parts (default: DST with '
        '_t2i before the extension)')
    parser.add_argument(
        '--force', action='store_true', help='replace existing outputs')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    t2i_dst = args.t2i_dst or t2i_path(args.dst)
    for path in (args.dst, t2i_dst):
        if osp.exists(path) and not args.force:
            sys.exit(f'{path} exists; give --force to replace it')
    try:
        checkpoint = load_foreign_checkpoint(args.src)
        state_dict = strip_prefix(find_state_dict(checkpoint), 'module.')
        irm, t2i = convert_official(state_dict, args.src)
    except (OSError, RuntimeError, KeyError, ValueError) as error:
        sys.exit(f'Cannot convert {args.src}: {error}')
    meta = dict(
        source=osp.basename(args.src), converter='official_irm_to_mmreid.py')
    save_converted(irm, args.dst, dict(meta, part='irm'), force=args.force)
    save_converted(t2i, t2i_dst, dict(meta, part='t2i'), force=args.force)
    print(f'Wrote {len(irm)} tensors to {args.dst} and {len(t2i)} to '
          f'{t2i_dst}')


if __name__ == '__main__':
    main()
