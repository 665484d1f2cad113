# Strip a training checkpoint down to its weights for release, name it
# <OUT_PREFIX>_<yyyymmdd>-<sha8>.pth and print its metafile fields;
# optionally add it to a zoo folder (its zoo.json index).
import argparse
import datetime
import hashlib
import io
import os
import os.path as osp
import re
import shutil
import sys

import torch

from mmreid_instruct import __version__
from mmreid_instruct.apis import ModelHub, ZooIndex
from mmreid_instruct.apis.model_hub import find_model_index
from mmreid_instruct.engine.runner import load_checkpoint_file
from mmreid_instruct.utils.download import create_temp_file, sha256_of_file

#: The entries of ``meta`` a published checkpoint keeps.
KEPT_META = ('cfg', 'dataset_meta', 'epoch', 'iter', 'mmengine_version')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Publish a checkpoint: keep only the weights and a '
        'small meta, add the date and SHA-256 prefix to the file name')
    parser.add_argument('in_file', help='checkpoint to publish')
    parser.add_argument(
        'out_prefix',
        help='output path without date and hash, e.g. '
        'work_dirs/publish/irm_vit-tiny_synth-omnireid-tiny')
    parser.add_argument(
        '--zoo-dir',
        help='also copy the file into this zoo folder and add it to the '
        "folder's zoo.json (what MMREID_INSTRUCT_ZOO_MIRROR points at)")
    parser.add_argument(
        '--name',
        help='model name in zoo.json (default: the base name of '
        'OUT_PREFIX); get_model(NAME, pretrained=True) finds it when NAME '
        'is in list_models()')
    parser.add_argument(
        '--config',
        help='config path recorded in zoo.json (default: the config of '
        'NAME in model-index.yml)')
    parser.add_argument(
        '--date', help='date in the file name, yyyymmdd (default: today, UTC)')
    parser.add_argument(
        '--base-url',
        help='URL of the folder the file will be hosted in, to print the '
        'full Weights: line')
    return parser.parse_args(argv)


def strip_checkpoint(checkpoint: dict, source: str):
    """The publishable part of a checkpoint and the names of what is left
    out."""
    if 'state_dict' in checkpoint:
        state_dict = checkpoint['state_dict']
        dropped = [k for k in checkpoint if k not in ('state_dict', 'meta')]
    elif checkpoint and all(
            isinstance(v, torch.Tensor) for v in checkpoint.values()):
        state_dict, dropped = checkpoint, []
    else:
        raise ValueError(f'{source} has no state_dict (its keys: '
                         f'{sorted(checkpoint)}).')
    meta = checkpoint.get('meta') or {}
    kept = {k: meta[k] for k in KEPT_META if k in meta}
    kept['mmreid_instruct_version'] = __version__
    dropped += [f'meta.{k}' for k in meta if k not in KEPT_META]
    return dict(state_dict=state_dict, meta=kept), sorted(dropped)


def save_published(published: dict, out_prefix: str, date: str) -> str:
    """Save, hash and rename to ``<out_prefix>_<date>-<sha8>.pth``."""
    # Saved through a buffer: torch.save names the archive inside the file
    # after the file, so the same weights would otherwise hash differently
    # under different temporary names.
    buffer = io.BytesIO()
    torch.save(published, buffer)
    data = buffer.getvalue()
    sha8 = hashlib.sha256(data).hexdigest()[:8]
    out_file = f'{out_prefix}_{date}-{sha8}.pth'
    folder = osp.dirname(osp.abspath(out_file))
    os.makedirs(folder, exist_ok=True)
    f, tmp_path = create_temp_file(folder, '.publish.', '.pth.tmp')
    try:
        with f:
            f.write(data)
        os.replace(tmp_path, out_file)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
    return out_file


def add_to_zoo(out_file: str, zoo_dir: str, name: str, sha256: str,
               config) -> str:
    """Copy ``out_file`` into ``zoo_dir`` and record it in its index."""
    os.makedirs(zoo_dir, exist_ok=True)
    index = ZooIndex.open_folder(zoo_dir)
    target = osp.join(zoo_dir, osp.basename(out_file))
    if not (osp.exists(target) and osp.samefile(out_file, target)):
        f, tmp_path = create_temp_file(zoo_dir, '.publish.', '.pth.tmp')
        f.close()
        try:
            shutil.copyfile(out_file, tmp_path)
            os.replace(tmp_path, target)
        except BaseException:
            if osp.exists(tmp_path):
                os.remove(tmp_path)
            raise
    index.add(
        name,
        osp.basename(out_file),
        sha256,
        size=osp.getsize(target),
        config=config)
    return index.save(zoo_dir)


def default_config(name: str):
    """The config of ``name`` in model-index.yml, relative to the index."""
    if not ModelHub.has(name):
        return None
    root = osp.dirname(find_model_index())
    return osp.relpath(ModelHub.get(name).config, root)


def main(argv=None):
    args = parse_args(argv)
    date = args.date or datetime.datetime.now(
        datetime.timezone.utc).strftime('%Y%m%d')
    if not re.fullmatch(r'\d{8}', date):
        raise SystemExit(f'--date {date}: expected yyyymmdd.')
    out_prefix = re.sub(r'\.pth$', '', args.out_prefix)

    checkpoint = load_checkpoint_file(args.in_file, map_location='cpu')
    published, dropped = strip_checkpoint(checkpoint, args.in_file)
    out_file = save_published(published, out_prefix, date)
    # The published file must load with the safe loader, as users load it.
    load_checkpoint_file(out_file)
    sha256 = sha256_of_file(out_file)
    size = osp.getsize(out_file)
    file_name = osp.basename(out_file)

    print(f'Published {out_file}')
    print(f'  left out: {", ".join(dropped) if dropped else "nothing"}')
    print(f'  sha256:   {sha256}')
    print(f'  size:     {size} bytes ({size / 2**20:.2f} MiB)')
    base_url = (args.base_url or '<URL of the folder it is hosted in>')
    print('Metafile fields (add Weights: only once the file is hosted):')
    print(f'    Weights: {base_url.rstrip("/")}/{file_name}')

    if args.zoo_dir:
        name = args.name or osp.basename(out_prefix)
        config = args.config or default_config(name)
        index_path = add_to_zoo(out_file, args.zoo_dir, name, sha256, config)
        print(f'Added {name} -> {file_name} to {index_path}')
        if not ModelHub.has(name):
            print(
                f'Note: {name} is not in list_models(), so get_model({name!r}'
                ', pretrained=True) cannot find it; load it with '
                'get_model(CONFIG, pretrained=URL_OR_PATH).',
                file=sys.stderr)
    return out_file


if __name__ == '__main__':
    main()
