# Retrieve the two demo queries (or a caption) in the demo gallery with a
# trained model, print the rank lists and draw them into --out-dir.
#
#   python demo/retrieval_demo.py                       # trad, the defaults
#   python demo/retrieval_demo.py --task ctcc \
#       --instruction demo/clothes/o00058.png           # wearing this garment
#   python demo/retrieval_demo.py --task t2i \
#       --caption "a person in a pink t-shirt and black jeans"
import argparse
import glob
import os.path as osp

from mmreid_instruct.apis.inferencer import ReIDInferencer

DEMO = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(DEMO)


def parse_args():
    parser = argparse.ArgumentParser(description='Retrieval demo')
    parser.add_argument(
        '--config',
        default=osp.join(REPO, 'configs', 'irm',
                         'irm_vit-tiny_quick-start_synth-omnireid-tiny.py'))
    parser.add_argument(
        '--checkpoint',
        default=osp.join(REPO, 'work_dirs',
                         'irm_vit-tiny_quick-start_synth-omnireid-tiny',
                         'iter_800.pth'),
        help='the model of the README quick start by default')
    parser.add_argument('--task', default='trad')
    parser.add_argument(
        '--instruction',
        help='a text, or a clothes image path (cc, ctcc); default: the '
        "task's fixed instruction")
    parser.add_argument('--caption', help='the query of --task t2i')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--out-dir', default=osp.join(REPO, 'work_dirs', 'demo'))
    return parser.parse_args()


def main():
    args = parse_args()
    if args.task == 't2i':
        queries = [
            args.caption or 'a person in a pink t-shirt and black '
            'jeans'
        ]
    else:
        queries = sorted(glob.glob(osp.join(DEMO, 'query', '*.png')))
    inferencer = ReIDInferencer(
        args.config, args.checkpoint, device=args.device)
    results = inferencer(
        queries,
        osp.join(DEMO, 'gallery'),
        task=args.task,
        instruction=args.instruction,
        topk=args.topk,
        show_dir=args.out_dir)
    for query, matches in zip(queries, results):
        print(query)
        for rank, match in enumerate(matches, 1):
            print(f'  #{rank} {match["score"]:9.4f}  '
                  f'{osp.basename(match["img_path"])}')
    print(f'Rank-list pictures in {args.out_dir}')


if __name__ == '__main__':
    main()
