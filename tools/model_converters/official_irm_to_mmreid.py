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
#   text-to-image parts   -> t2i_head.* (ALBEFT2IHead; albef_t2i_parts() in
#                            mmreid_instruct/utils/checkpoint_conversion.py):
#                            BERT layers 6-11 -> fusion_encoder, MLM head,
#                            itm_head, mrtd_head, the momentum BERT, MLM head
#                            and text projection, queues, temperature
# Dropped: fusion.* (never run by the official code), the ID classifiers
# (the compat head has none), project, prd_head (no official loss uses it),
# visual_encoder.fc, and the MLM decoders (tied to the word embeddings;
# checked). One output file, loaded strictly by the compat config.
import argparse
import os.path as osp
import sys
from typing import List, Optional

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
                     source: str = 'official checkpoint') -> dict:
    """Convert an official state dict (no ``module.`` prefix) to the
    weights of the compat config's model."""
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
    out.update(albef_t2i_parts(state_dict, used))
    check_all_used(state_dict, used, DROPPED, source)
    return out


def parse_args(argv: Optional[List[str]] = None):
    parser = argparse.ArgumentParser(
        description='Convert an official Instruct-ReID checkpoint.')
    parser.add_argument('src', help='checkpoint of the official trainer')
    parser.add_argument('dst', help='output file')
    parser.add_argument(
        '--force', action='store_true', help='replace existing outputs')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if osp.exists(args.dst) and not args.force:
        sys.exit(f'{args.dst} exists; give --force to replace it')
    try:
        checkpoint = load_foreign_checkpoint(args.src)
        state_dict = strip_prefix(find_state_dict(checkpoint), 'module.')
        out = convert_official(state_dict, args.src)
    except (OSError, RuntimeError, KeyError, ValueError) as error:
        sys.exit(f'Cannot convert {args.src}: {error}')
    meta = dict(
        source=osp.basename(args.src), converter='official_irm_to_mmreid.py')
    save_converted(out, args.dst, meta, force=args.force)
    print(f'Wrote {len(out)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
