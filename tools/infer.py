# Retrieve the query images (or captions) in a gallery folder with a trained
# model; writes results.json and one rank-list PNG per query.
import argparse
import json
import os
import os.path as osp

from mmreid_instruct.apis.inferencer import ReIDInferencer


def parse_args():
    parser = argparse.ArgumentParser(
        description='Match query images (with an instruction) or captions '
        'against a folder of images')
    parser.add_argument('config', help='config file of the model')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--query',
        nargs='+',
        required=True,
        help='query images, or captions for --task t2i')
    instruction = parser.add_mutually_exclusive_group()
    instruction.add_argument(
        '--instruction',
        help='instruction text for every query (default: the fixed '
        'instruction of the task)')
    instruction.add_argument(
        '--instruction-img',
        help='clothes image as the instruction of every query (cc, ctcc)')
    parser.add_argument(
        '--task',
        default='trad',
        help='trad, cc, ctcc, li, vi or t2i (or sc, cross, attr)')
    parser.add_argument(
        '--gallery',
        required=True,
        help='folder of gallery images (searched recursively)')
    parser.add_argument(
        '--gallery-instruction',
        default='auto',
        help='instruction of the gallery images: "fixed" (the task\'s '
        'fixed text; for li and ctcc a neutral one), or a text or image '
        'given to every gallery image (default: auto = fixed)')
    parser.add_argument('--topk', type=int, default=10)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument(
        '--out-dir',
        required=True,
        help='folder for results.json and the PNGs')
    parser.add_argument('--device', default=None, help='e.g. cpu or cuda:0')
    parser.add_argument(
        '--cache-dir',
        default=None,
        help='gallery feature cache (default: ~/.cache/mmreid_instruct/'
        'gallery_features, or $MMREID_INSTRUCT_CACHE)')
    parser.add_argument(
        '--no-cache',
        action='store_true',
        help='neither read nor write the gallery feature cache')
    return parser.parse_args()


def main():
    args = parse_args()
    inferencer = ReIDInferencer(
        args.config,
        args.checkpoint,
        device=args.device,
        cache_dir=args.cache_dir,
        use_cache=not args.no_cache)
    instruction = args.instruction_img or args.instruction
    if args.instruction_img is not None and \
            not osp.isfile(args.instruction_img):
        raise FileNotFoundError(
            f'--instruction-img {args.instruction_img} not found')
    results = inferencer(
        args.query,
        args.gallery,
        task=args.task,
        instruction=instruction,
        topk=args.topk,
        batch_size=args.batch_size,
        show_dir=args.out_dir,
        gallery_instruction=args.gallery_instruction)
    os.makedirs(args.out_dir, exist_ok=True)
    out = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        task=args.task,
        gallery=args.gallery,
        queries=[
            dict(query=query, instruction=instruction, matches=matches)
            for query, matches in zip(args.query, results)
        ])
    out_file = osp.join(args.out_dir, 'results.json')
    with open(out_file, 'w') as f:
        json.dump(out, f, indent=2)
    print(f'{len(results)} rank lists written to {args.out_dir} '
          '(results.json and one PNG per query)')


if __name__ == '__main__':
    main()
