"""Export a trained ReID model to ONNX, and check the files with
onnxruntime.

An InstructReID model gives up to four files, named after ``--out``
(``FILE.onnx``):

- ``FILE_text.onnx``: images + instruction tokens -> retrieval feature;
- ``FILE_text_encoder.onnx``: instruction tokens -> encoded instruction;
- ``FILE_encoded.onnx``: images + encoded instruction -> retrieval feature;
- ``FILE_image.onnx``: images + instruction images -> retrieval feature
  (models with an image instruction encoder).

An instruction-blind model (ImageReID, or InstructReID with
``instruction_blind=True``) gives ``FILE.onnx``: images -> feature. Inputs,
outputs and use: ``docs/en/user_guides/deployment.md``.
"""
import argparse
import json
import os
import os.path as osp
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export a ReID model to ONNX (dynamic batch) and '
        'optionally check it against PyTorch with onnxruntime.')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument(
        '--out',
        required=True,
        help='output file, e.g. work_dirs/irm.onnx; an InstructReID model '
        'writes one file per graph, named with a suffix (FILE_text.onnx, '
        'FILE_text_encoder.onnx, FILE_encoded.onnx, FILE_image.onnx)')
    parser.add_argument(
        '--opset',
        type=int,
        default=None,
        help='ONNX opset version (default: the exporter\'s)')
    parser.add_argument(
        '--task',
        default=None,
        help='export only the graphs this task needs: trad, li and vi take '
        'text instructions, ctcc instruction images, cc both (default: '
        'every graph of the model)')
    parser.add_argument(
        '--check',
        action='store_true',
        help='run each file with onnxruntime on random inputs (batch sizes '
        '1 and 3) and compare with PyTorch; exit 1 if an absolute error '
        'exceeds --atol')
    parser.add_argument(
        '--atol',
        type=float,
        default=None,
        help='largest absolute error --check accepts (default 1e-4)')
    return parser.parse_args(argv)


def fail(message):
    print(f'export_onnx.py: error: {message}', file=sys.stderr)
    return 2


def unsupported_model(cfg):
    """The config's model type when ONNX export does not cover it, else
    None; checked before any weight is loaded."""
    from mmengine.utils import import_modules_from_strings

    from mmreid_instruct.models.reiders import ImageReID, InstructReID
    from mmreid_instruct.registry import MODELS
    from mmreid_instruct.utils import register_all_modules
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    register_all_modules(init_default_scope=True)
    model_type = cfg.model.get('type')
    model_cls = MODELS.get(model_type) if isinstance(model_type,
                                                     str) else model_type
    if isinstance(model_cls, type) and issubclass(model_cls,
                                                  (InstructReID, ImageReID)):
        return None
    return getattr(model_cls, '__name__', None) or repr(model_type)


def main(argv=None):
    args = parse_args(argv)
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
        if args.check:
            import onnxruntime  # noqa: F401
    except ImportError as error:
        return fail(f'{error.name} is not installed: pip install onnx '
                    'onnxscript onnxruntime')
    from mmengine.config import Config

    from mmreid_instruct.apis import init_model
    from mmreid_instruct.deploy import (DEFAULT_ATOL, build_export_graphs,
                                        check_onnx, export_graph, export_task,
                                        graph_path)

    atol = DEFAULT_ATOL if args.atol is None else args.atol
    try:
        export_task(args.task)
    except ValueError as error:
        return fail(f'--task: {error}')
    cfg = Config.fromfile(args.config)
    if 'model' not in cfg:
        return fail(f'{args.config} has no model')
    unknown = unsupported_model(cfg)
    if unknown:
        return fail(f'{args.config}: ONNX export supports InstructReID and '
                    f'ImageReID models, got {unknown}')
    model = init_model(cfg, args.checkpoint, device='cpu')
    try:
        graphs = build_export_graphs(model, args.task)
    except (TypeError, ValueError) as error:
        return fail(f'{args.config}: {error}')

    out_dir = osp.dirname(osp.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    failed = []
    for name, graph in graphs.items():
        path = export_graph(graph, graph_path(args.out, name), args.opset)
        report = dict(graph=name, file=path, **graph.describe())
        if args.check:
            report['check'] = check_onnx(graph, path)
            report['check']['ok'] = report['check']['max_abs'] <= atol
            if not report['check']['ok']:
                failed.append(name)
        print(json.dumps(report))
    if failed:
        print(
            f'export_onnx.py: onnxruntime differs from PyTorch by more '
            f'than {atol} in {failed}',
            file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
