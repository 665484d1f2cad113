# Convert ALBEF.pth (ALBEF's 14M-image pretrained checkpoint, the text and
# clothes encoders the official Instruct-ReID code starts from) into our
# module names:
#
#   python tools/model_converters/albef_to_mmreid.py \
#       pretrained/ALBEF.pth pretrained/albef_mmreid.pth
#
# DST ({'state_dict': ..., 'meta': ...}) holds, under the module names of
# the paper config's model (configs/irm/irm_vit-b_omnireid.py reads it):
#   text_encoder.encoder.*        BERT embeddings and layers 0-5
#   image_instruction_encoder.backbone.*
#                                 the momentum ViT visual_encoder_m (what the
#                                 official code loads for clothes images),
#                                 position embeddings resized bicubically
#                                 from 16x16 to the 8x8 grid of 128x128
#                                 inputs, the CLS row kept
#   t2i_head.img_proj.*, t2i_head.text_proj.*   vision_proj, text_proj
#   t2i_head.*                    the text-to-image parts of ALBEFT2IHead
#                                 (albef_t2i_parts() in mmreid_instruct/
#                                 utils/checkpoint_conversion.py): BERT layers
#                                 6-11 -> fusion_encoder, the MLM head, the
#                                 ITM head, the momentum BERT, MLM head and
#                                 text projection, the queues, temperature
# Dropped: ALBEF's own (non-momentum) visual_encoder and vision_proj_m (the
# official code has no momentum image encoder), and the MLM decoders (tied
# to the word embeddings; checked). ALBEF has no idx_queue and no MRTD head:
# the model keeps its own (-100 ids; random init). Facts and key mapping:
# docs/en/user_guides/official_checkpoints.md.
import argparse
import os.path as osp
import sys
from typing import List, Optional, Tuple

from mmreid_instruct.utils.checkpoint_conversion import (
    albef_t2i_parts, bert_keys, check_all_used, convert_albef_vit,
    find_state_dict, load_foreign_checkpoint, save_converted, strip_prefix)

#: Source keys without a counterpart.
DROPPED = [r'visual_encoder\.', r'vision_proj_m\.']

#: Text-to-image keys the official model has and ALBEF has not.
NOT_IN_ALBEF = ('idx_queue', 'mrtd_head.')


def convert_albef(state_dict: dict,
                  instr_grid: Tuple[int, int] = (8, 8),
                  source: str = 'ALBEF') -> dict:
    """Convert an ALBEF state dict (no ``module.`` prefix) to our names."""
    used = set()
    out = bert_keys(state_dict, 'text_encoder.bert.', 'text_encoder.encoder.',
                    used, range(6))
    out.update(
        convert_albef_vit(state_dict, 'visual_encoder_m.',
                          'image_instruction_encoder.backbone.', used,
                          instr_grid))
    for src, dst in (('vision_proj.', 't2i_head.img_proj.'),
                     ('text_proj.', 't2i_head.text_proj.')):
        for kind in ('weight', 'bias'):
            if src + kind not in state_dict:
                raise KeyError(f'{source}: key {src + kind!r} is missing')
            out[dst + kind] = state_dict[src + kind]
            used.add(src + kind)
    out.update(albef_t2i_parts(state_dict, used, optional=NOT_IN_ALBEF))
    check_all_used(state_dict, used, DROPPED, source)
    return out


def parse_args(argv: Optional[List[str]] = None):
    parser = argparse.ArgumentParser(
        description='Convert ALBEF.pth to our module names.')
    parser.add_argument('src', help='ALBEF.pth')
    parser.add_argument(
        'dst', help='output file, e.g. pretrained/albef_mmreid.pth')
    parser.add_argument(
        '--instruction-img-size',
        type=int,
        default=128,
        help='side of the square clothes images (default: 128)')
    parser.add_argument(
        '--force', action='store_true', help='replace existing outputs')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if osp.exists(args.dst) and not args.force:
        sys.exit(f'{args.dst} exists; give --force to replace it')
    side = args.instruction_img_size // 16
    try:
        checkpoint = load_foreign_checkpoint(args.src)
        state_dict = strip_prefix(find_state_dict(checkpoint), 'module.')
        out = convert_albef(state_dict, (side, side), args.src)
    except (OSError, RuntimeError, KeyError, ValueError) as error:
        sys.exit(f'Cannot convert {args.src}: {error}')
    meta = dict(source=osp.basename(args.src), converter='albef_to_mmreid.py')
    save_converted(out, args.dst, meta, force=args.force)
    print(f'Wrote {len(out)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
