# Extract the images of the raw CUHK03 release (cuhk03_release/cuhk-03.mat)
# to cuhk03/images_{labeled,detected}/, the folders the CUHK03 loader reads
# with source='mat'. The loader does this itself on first use; run this
# script to do it ahead of time (e.g. before a distributed run).
import argparse
import os.path as osp

from mmreid_instruct.datasets.cuhk03 import (CUHK03_VARIANTS,
                                             extract_cuhk03_images)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Extract the images of cuhk-03.mat')
    parser.add_argument(
        'root', help='the cuhk03 folder, holding cuhk03_release/cuhk-03.mat')
    parser.add_argument(
        '--variants',
        nargs='+',
        default=CUHK03_VARIANTS,
        choices=CUHK03_VARIANTS)
    return parser.parse_args()


def main():
    args = parse_args()
    mat_file = osp.join(args.root, 'cuhk03_release', 'cuhk-03.mat')
    for variant in args.variants:
        out_dir = osp.join(args.root, f'images_{variant}')
        if osp.isdir(out_dir):
            print(f'{out_dir} exists, skipped')
            continue
        count = extract_cuhk03_images(mat_file, variant, out_dir)
        print(f'{out_dir}: {count} images')


if __name__ == '__main__':
    main()
