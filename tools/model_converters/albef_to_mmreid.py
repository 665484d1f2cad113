# Convert ALBEF.pth (ALBEF's 14M-image pretrained checkpoint, the text and
# clothes encoders the official Instruct-ReID code starts from) into our
# module names:
#
#   python tools/model_converters/albef_to_mmreid.py \
#       pretrained/ALBEF.pth pretrained/albef_mmreid.pth
#
# DST ({'state_dict': ..., 'meta': ...}) holds what the IRM model has today:
#   text_encoder.encoder.*        BERT embeddings and layers 0-5
#   image_instruction_encoder.backbone.*
#                                 the momentum ViT visual_encoder_m (what the
#                                 official code loads for clothes images),
#                                 position embeddings resized bicubically
#                                 from 16x16 to the 8x8 grid of 128x128
#                                 inputs, the CLS row kept
#   t2i_head.img_proj.*, t2i_head.text_proj.*   vision_proj, text_proj
# The text-to-image parts (BERT layers 6-11 with cross-attention, MLM and
# ITM heads, momentum encoders, queues, temperature) go to a second file,
# --t2i-dst (default: DST with '_t2i' before the extension), under the
# names of albef_t2i_parts() in mmreid_instruct/utils/
# checkpoint_conversion.py. ALBEF's own (non-momentum) visual_encoder is
# not used by the official code and is dropped. Facts and key mapping:
# docs/en/user_guides/official_checkpoints.md.
import argparse
import os.path as osp
import sys
from typing import List, Optional, Tuple

from mmreid_instruct.utils.checkpoint_conversion import (
    albef_t2i_parts, bert_keys, check_all_used, convert_albef_vit,
    find_state_dict, load_foreign_checkpoint, save_converted, strip_prefix)

#: Source keys without a counterpart.
DROPPED = [r'visual_encoder\.']


def convert_albef(state_dict: dict,
                  instr_grid: Tuple[int, int] = (8, 8),
                  source: str = 'ALBEF') -> Tuple[dict, dict]:
    """Split an ALBEF state dict into (our IRM weights, T2I parts)."""
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
    t2i = albef_t2i_parts(state_dict, used)
    check_all_used(state_dict, used, DROPPED, source)
    return out, t2i


def t2i_path(dst: str) -> str:
    """``a/b.pth`` -> ``a/b_t2i.pth``."""
    stem, ext = osp.splitext(dst)
    return f'{stem}_t2i{ext or ".pth"}'


def parse_args(argv: Optional[List[str]] = None):
    parser = argparse.ArgumentParser(
        description='Convert ALBEF.pth to our module names.')
    parser.add_argument('src', help='ALBEF.pth')
    parser.add_argument(
        'dst', help='output file, e.g. pretrained/albef_mmreid.pth')
    parser.add_argument(
        '--t2i-dst',
        help='output file of the text-to-image parts (default: DST with '
        '_t2i before the extension)')
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
    t2i_dst = args.t2i_dst or t2i_path(args.dst)
    for path in (args.dst, t2i_dst):
        if osp.exists(path) and not args.force:
            sys.exit(f'{path} exists; give --force to replace it')
    side = args.instruction_img_size // 16
    try:
        checkpoint = load_foreign_checkpoint(args.src)
        state_dict = strip_prefix(find_state_dict(checkpoint), 'module.')
        irm, t2i = convert_albef(state_dict, (side, side), args.src)
    except (OSError, RuntimeError, KeyError, ValueError) as error:
        sys.exit(f'Cannot convert {args.src}: {error}')
    meta = dict(source=osp.basename(args.src), converter='albef_to_mmreid.py')
    save_converted(irm, args.dst, dict(meta, part='irm'), force=args.force)
    save_converted(t2i, t2i_dst, dict(meta, part='t2i'), force=args.force)
    print(f'Wrote {len(irm)} tensors to {args.dst} and {len(t2i)} to '
          f'{t2i_dst}')


if __name__ == '__main__':
    main()
