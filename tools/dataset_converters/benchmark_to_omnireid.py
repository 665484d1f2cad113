# Write official-format (OmniReID) list files from a public benchmark.
#
# The benchmark is read with its loader (e.g. Market1501, PRCC, SYSUMM01,
# CUHKPEDES), so every layout the loaders read can be converted. Each subset
# becomes ``<out-dir>/{train,query,gallery}_<task><suffix>.txt`` with lines
# ``<image> <instruction ref> <pid> <clothes id> <camera id>``, image paths
# relative to ``--root``; captions (t2i) go to ``<out-dir>/captions.json``.
# Read the lists back with ``OmniReIDList(data_root=<root>,
# list_file=<list>, task=<task>, subset=<subset>)``; mixing benchmarks is then
# a matter of listing several such datasets in a config. List files that
# exist already are not replaced unless ``--overwrite`` is given.
import argparse
import json
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional

from mmengine.config import DictAction

from mmreid_instruct.datasets.omnireid_list import T2I_GALLERY_PLACEHOLDER
from mmreid_instruct.datasets.utils import infer_modality, load_json
from mmreid_instruct.registry import DATASETS
from mmreid_instruct.utils.tasks import normalize_task

#: Tasks a public benchmark can be written as: the others need garment
#: templates or descriptions of the target clothes that no benchmark ships.
CONVERTIBLE_TASKS = ('trad', 'cc', 'vi', 't2i')

#: Instruction ref of rows whose instruction is fixed text, and of t2i
#: gallery images (the token the official lists use).
PLACEHOLDER = T2I_GALLERY_PLACEHOLDER

#: First column of a t2i caption row, which has no image of its own.
NO_IMAGE = '-'


def load_records(dataset_type: str, data_root: str, subset: str,
                 task: Optional[str], options: Dict) -> List[dict]:
    """Read one subset of a benchmark with its loader, pids not relabelled.

    Returns:
        list[dict]: The records, in the loader's order.
    """
    cfg = dict(
        type=dataset_type,
        data_root=data_root,
        subset=subset,
        relabel=False,
        **options)
    if task is not None:
        cfg['task'] = task
    dataset = DATASETS.build(cfg)
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def relative(path: str, root: str) -> str:
    """``path`` relative to ``root``, which must contain it."""
    rel = osp.relpath(path, root)
    if rel.startswith(os.pardir) or ' ' in rel:
        raise ValueError(f'{path}: must lie inside --root {root} and have '
                         f'no spaces, to be written in a list.')
    return rel


def record_line(record: dict, root: str, captions: Dict[str, str],
                caption_prefix: str) -> str:
    """The list line of one record; a caption is added to ``captions``."""
    task = record['task']
    img = (
        NO_IMAGE if record['img_path'] is None else relative(
            record['img_path'], root))
    if task == 't2i' and record['instruction'] is not None:
        ref = f'{caption_prefix}{len(captions):07d}'
        captions[ref] = record['instruction']
    elif task == 'cc':
        # Benchmarks ship no clothes crops: the image is its own clothes
        # reference unless the loader gave one.
        ref = relative(record['instruction_img_path'] or record['img_path'],
                       root)
    elif task in ('trad', 'vi', 't2i'):
        ref = PLACEHOLDER
    else:
        raise ValueError(f'task {task!r} cannot be written from a public '
                         f'benchmark; expected one of {CONVERTIBLE_TASKS}.')
    return (f'{img} {ref} {record["pid"]} {record["clothes_id"]} '
            f'{record["camid"]}')


def ir_cameras_needed(records: List[dict], root: str) -> List[int]:
    """Cameras to pass as ``ir_cameras`` to :class:`OmniReIDList` so that
    the infrared images whose paths do not say so are read as infrared."""
    hidden = {
        r['camid']
        for r in records if r['img_path'] is not None and r['modality'] == 'ir'
        and infer_modality(relative(r['img_path'], root)) == 'rgb'
    }
    if not hidden:
        return []
    rgb = {r['camid'] for r in records if r['modality'] == 'rgb'}
    if hidden & rgb:
        raise ValueError(
            f'cameras {sorted(hidden & rgb)} hold both RGB and infrared '
            f'images whose paths do not tell them apart; the list format '
            f'cannot keep their modality.')
    return sorted(hidden)


def merge_captions(path: str,
                   captions: Dict[str, str],
                   overwrite: bool = False) -> Dict[str, str]:
    """The captions of the caption file at ``path`` (if any) with
    ``captions`` added; a key already there with another text is an error
    unless ``overwrite``."""
    merged = OrderedDict()
    if osp.exists(path):
        merged.update(load_json(path, 'a JSON object of captions'))
    for key, text in captions.items():
        if not overwrite and merged.get(key, text) != text:
            raise ValueError(f'{path}: caption {key!r} already holds another '
                             f'text; write to another --out-dir, use '
                             f'another --name, or pass --overwrite.')
        merged[key] = text
    return merged


def convert(dataset_type: str,
            data_root: str,
            root: Optional[str] = None,
            out_dir: Optional[str] = None,
            task: Optional[str] = None,
            options: Optional[Dict] = None,
            suffix: str = '',
            name: Optional[str] = None,
            overwrite: bool = False) -> Dict:
    """Write the train, query and gallery lists of one benchmark.

    Args:
        dataset_type (str): A registered loader, e.g. ``'Market1501'``.
        data_root (str): Its ``data_root``.
        root (str, optional): Folder the list paths are relative to.
            Defaults to ``data_root``.
        out_dir (str, optional): Folder of the lists. Defaults to
            ``<root>/datalist``.
        task (str, optional): Task to write (``trad``, ``cc``, ``vi``; t2i
            benchmarks are always ``t2i``). Defaults to the loader's.
        options (dict, optional): Other loader arguments, e.g.
            ``dict(variant='detected')``.
        suffix (str): Added to the list names, e.g. ``'_same'``.
        name (str, optional): Prefix of caption keys. Defaults to the
            dataset name.
        overwrite (bool): Replace list files that exist already (and
            caption keys holding another text). Defaults to False: nothing
            is written then, and the error names the files.

    Returns:
        dict: ``lists`` (file -> rows), ``task``, ``ir_cameras``.

    Raises:
        FileExistsError: A list file to write exists and ``overwrite`` is
            False (e.g. the official lists in ``<root>/datalist``).
    """
    root = root or data_root
    out_dir = out_dir or osp.join(root, 'datalist')
    task = None if task is None else normalize_task(task)
    summary = dict(lists={}, ir_cameras=[])
    captions: Dict[str, str] = OrderedDict()
    contents = {}
    for subset in ('train', 'query', 'gallery'):
        records = load_records(dataset_type, data_root, subset, task, options
                               or {})
        if not records:
            raise ValueError(f'{dataset_type} [{subset}] is empty.')
        rec_task = records[0]['task']
        prefix = f'{name or records[0]["dataset_name"]}_{subset}_'
        lines = [record_line(r, root, captions, prefix) for r in records]
        path = osp.join(out_dir, f'{subset}_{rec_task}{suffix}.txt')
        contents[path] = ''.join(f'{line}\n' for line in lines)
        summary['lists'][path] = len(lines)
        summary['task'] = rec_task
        summary['ir_cameras'] = sorted(
            set(summary['ir_cameras']) | set(ir_cameras_needed(records, root)))
    existing = [path for path in contents if osp.exists(path)]
    if existing and not overwrite:
        raise FileExistsError(
            f'{existing} exist already; nothing was written. Pass '
            '--overwrite (overwrite=True) to replace them, or choose another '
            '--out-dir or --suffix.')
    caption_file = osp.join(out_dir, 'captions.json')
    if captions:
        captions = merge_captions(caption_file, captions, overwrite)
    os.makedirs(out_dir, exist_ok=True)
    for path, text in contents.items():
        with open(path, 'w') as f:
            f.write(text)
    if captions:
        with open(caption_file, 'w', encoding='utf-8') as f:
            json.dump(captions, f, ensure_ascii=False, indent=0)
        summary['caption_file'] = caption_file
    return summary


def parse_args():
    parser = argparse.ArgumentParser(
        description='Write OmniReID list files from a public benchmark')
    parser.add_argument(
        'type', help='loader name, e.g. Market1501, PRCC, SYSUMM01, CUHKPEDES')
    parser.add_argument('data_root', help='data_root of the loader')
    parser.add_argument(
        '--root',
        help='folder the list paths are relative to (default: data_root)')
    parser.add_argument(
        '--out-dir', help='folder of the lists (default: <root>/datalist)')
    parser.add_argument(
        '--task',
        help="task to write: trad, cc or vi (default: the benchmark's own)")
    parser.add_argument(
        '--suffix', default='', help='added to the list '
        'names, e.g. _same')
    parser.add_argument(
        '--name', help='prefix of caption keys (default: '
        'the dataset name)')
    parser.add_argument(
        '--options',
        nargs='+',
        action=DictAction,
        default={},
        help='other loader arguments, e.g. '
        'variant=detected clothes=same')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace list files that exist already (by default the tool '
        'stops and names them, e.g. the official lists in <root>/datalist)')
    return parser.parse_args()


def main():
    from mmreid_instruct.utils import register_all_modules
    register_all_modules()
    args = parse_args()
    summary = convert(
        args.type,
        args.data_root,
        root=args.root,
        out_dir=args.out_dir,
        task=args.task,
        options=args.options,
        suffix=args.suffix,
        name=args.name,
        overwrite=args.overwrite)
    root = args.root or args.data_root
    for path, rows in summary['lists'].items():
        print(f'{path}: {rows} rows')
    extra = (f', ir_cameras={tuple(summary["ir_cameras"])}'
             if summary['ir_cameras'] else '')
    print(f'Read them with dict(type=\'OmniReIDList\', data_root='
          f'{root!r}, list_file=<list>, task={summary["task"]!r}, '
          f'subset=<subset>{extra})')


if __name__ == '__main__':
    main()
