"""Generate the SynthOmniReID benchmark.

Example::

    python tools/dataset_converters/make_synth_omnireid.py \\
        --preset tiny --out data/synth_omnireid_tiny
    python tools/dataset_converters/make_synth_omnireid.py \\
        --preset tiny --out data/synth_tiny_hard \\
        --set occlusion_prob=0.3 nuisance=0.9
"""
import argparse
import ast
import json
import time

from mmreid_instruct.synth import PRESETS, generate_synth_omnireid, read_meta
from mmreid_instruct.utils.tasks import TASKS


def parse_overrides(items):
    """Turn ``KEY=VALUE`` strings into a dict (values as Python literals)."""
    overrides = {}
    for item in items or ():
        key, sep, value = item.partition('=')
        if not sep or not key:
            raise SystemExit(f'--set expects KEY=VALUE, got {item!r}.')
        try:
            overrides[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            raise SystemExit(f'--set {key}: {value!r} is not a number, '
                             f'tuple or quoted string.')
    return overrides


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate SynthOmniReID (the six Instruct-ReID tasks in '
        'the official list format).')
    parser.add_argument(
        '--preset',
        default='tiny',
        choices=sorted(PRESETS),
        help='size preset (default: tiny)')
    parser.add_argument(
        '--out',
        required=True,
        help='folder to create, e.g. '
        'data/synth_omnireid_tiny')
    parser.add_argument(
        '--seed', type=int, default=0, help='random seed (default: 0)')
    parser.add_argument(
        '--set',
        nargs='+',
        metavar='KEY=VALUE',
        help='override preset parameters, e.g. occlusion_prob=0.3')
    parser.add_argument(
        '--json',
        action='store_true',
        help='print the whole summary as JSON instead of a table')
    return parser.parse_args(argv)


def format_summary(summary: dict) -> str:
    """A table of the list sizes and the files of a summary."""
    lines = [
        f"SynthOmniReID preset={summary['preset']} "
        f"seed={summary['seed']} "
        f"(generator {summary['generator_version']})",
        f"{'task':<6}{'subset':<9}{'rows':>7}{'ids':>6}{'images':>8}"
    ]
    for task in TASKS:
        for subset in ('train', 'query', 'gallery'):
            count = summary['counts'][task][subset]
            lines.append(f"{task:<6}{subset:<9}{count['rows']:>7}"
                         f"{count['ids']:>6}{count['images']:>8}")
    files = ', '.join(f'{k}={v}' for k, v in summary['files'].items())
    lines.append(f'files: {files}')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    overrides = parse_overrides(args.set)
    preset = dict(overrides, base=args.preset) if overrides else args.preset
    existed = read_meta(args.out) is not None
    start = time.perf_counter()
    summary = generate_synth_omnireid(args.out, preset=preset, seed=args.seed)
    elapsed = time.perf_counter() - start
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        print(format_summary(summary))
    if existed:
        print(f'{args.out} was already complete; left untouched.')
    else:
        print(f'Generated {args.out} in {elapsed:.1f} s.')


if __name__ == '__main__':
    main()
