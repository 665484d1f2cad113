"""Export the graphs of a ReID model to ONNX and check them against
PyTorch with onnxruntime."""
import json
import os.path as osp
import warnings
from typing import Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn

from mmreid_instruct.utils.tasks import TASKS, normalize_task
from .encoded_instruct_reid_graph import EncodedInstructReIDGraph
from .export_graph import ExportGraph
from .image_instruct_reid_graph import ImageInstructReIDGraph
from .image_reid_graph import ImageReIDGraph
from .text_instruct_reid_graph import TextInstructReIDGraph
from .text_instruction_graph import TextInstructionGraph

#: Each graph's class and the suffix added to the output file's name.
GRAPHS = {
    'text': (TextInstructReIDGraph, '_text'),
    'text_encoder': (TextInstructionGraph, '_text_encoder'),
    'encoded': (EncodedInstructReIDGraph, '_encoded'),
    'image': (ImageInstructReIDGraph, '_image'),
    'image_only': (ImageReIDGraph, ''),
}

#: Tasks whose instruction is a text; ``cc`` takes a text or an image.
TEXT_INSTRUCTION_TASKS = ('trad', 'cc', 'li', 'vi')

#: Largest error between onnxruntime and PyTorch that a check accepts.
DEFAULT_ATOL = 1e-4


def export_task(task: Optional[str]) -> Optional[str]:
    """The canonical key of a task that ONNX export covers.

    Args:
        task (str, optional): A task name in any accepted spelling, or None.

    Returns:
        str | None: The task key, or None.

    Raises:
        ValueError: An unknown task, or ``t2i`` (not exported).

    Example:
        >>> export_task('cross')
        'vi'
        >>> export_task('t2i')
        Traceback (most recent call last):
        ...
        ValueError: ONNX export covers the ReID tasks ['trad', 'cc', 'ctcc', 'li', 'vi']; got task 't2i' (text-to-image retrieval is not exported)
    """  # noqa: E501
    if task is None:
        return None
    task = normalize_task(task)
    if task == 't2i':
        raise ValueError('ONNX export covers the ReID tasks '
                         f"{[t for t in TASKS if t != 't2i']}; got task 't2i' "
                         '(text-to-image retrieval is not exported)')
    return task


def graph_names(model: nn.Module, task: Optional[str] = None) -> list:
    """The graphs to export for a model, and for one task if given.

    An instruction-blind model (:class:`ImageReID`, or
    :class:`InstructReID` with ``instruction_blind=True``) has one graph,
    ``'image_only'``. An :class:`InstructReID` has ``'text'``,
    ``'text_encoder'`` and ``'encoded'`` for text instructions, and
    ``'image'`` for instruction images when it has an image instruction
    encoder; ``task`` keeps those its instructions need (``ctcc``: image;
    ``cc``: both; the others: text).

    Args:
        model (nn.Module): The built model.
        task (str, optional): A task name in any accepted spelling.
            Defaults to None (every graph of the model).

    Returns:
        list[str]: Keys of :data:`GRAPHS`.

    Example:
        >>> from mmreid_instruct.registry import MODELS
        >>> model = MODELS.build(dict(
        ...     type='ImageReID',
        ...     backbone=dict(type='mmpretrain.VisionTransformer',
        ...                   arch='deit-tiny', img_size=(64, 32),
        ...                   out_type='cls_token'),
        ...     head=dict(type='ReIDHead', in_channels=192, num_classes=8)))
        >>> graph_names(model, 'sc')
        ['image_only']
    """
    from mmreid_instruct.models.reiders import ImageReID, InstructReID
    task = export_task(task)
    if isinstance(model, ImageReID) or (isinstance(model, InstructReID)
                                        and model.instruction_blind):
        return ['image_only']
    if not isinstance(model, InstructReID):
        raise TypeError('ONNX export supports InstructReID and ImageReID '
                        f'models, got {type(model).__name__}')
    has_image = model.image_instruction_encoder is not None
    if task == 'ctcc' and not has_image:
        raise ValueError(
            "task 'ctcc' takes instruction images, but the model has no "
            'image_instruction_encoder')
    names = []
    if task is None or task in TEXT_INSTRUCTION_TASKS:
        names += ['text', 'text_encoder', 'encoded']
    if has_image and task in (None, 'cc', 'ctcc'):
        names.append('image')
    return names


def graph_path(out: str, name: str) -> str:
    """The file of graph ``name``: ``out`` with the graph's suffix before
    the extension (``.onnx`` added when missing).

    Args:
        out (str): The ``--out`` file, e.g. ``'irm.onnx'``.
        name (str): A key of :data:`GRAPHS`.

    Returns:
        str: e.g. ``'irm_text.onnx'``.

    Example:
        >>> graph_path('work/irm.onnx', 'text_encoder')
        'work/irm_text_encoder.onnx'
        >>> graph_path('baseline', 'image_only')
        'baseline.onnx'
    """
    root, ext = osp.splitext(out)
    return root + GRAPHS[name][1] + (ext or '.onnx')


def build_export_graphs(model: nn.Module,
                        task: Optional[str] = None) -> Dict[str, ExportGraph]:
    """The graphs of :func:`graph_names`, built around ``model``.

    Args:
        model (nn.Module): The built model, in eval mode.
        task (str, optional): See :func:`graph_names`.

    Returns:
        dict[str, ExportGraph]: Graph name to graph, in eval mode.
    """
    return {
        name: GRAPHS[name][0](model).eval()
        for name in graph_names(model, task)
    }


def export_graph(graph: ExportGraph,
                 path: str,
                 opset: Optional[int] = None) -> str:
    """Export one graph to an ONNX file with ``torch.onnx.export``'s
    ``torch.export``-based exporter (``dynamo=True``), the batch axis and
    the instruction length dynamic.

    The TorchScript-based exporter (``dynamo=False``) is not used: it bakes
    the batch size of ``nn.MultiheadAttention``'s reshapes into the graph.

    The file's metadata holds the graph's class
    (``mmreid_instruct.graph``) and its inputs and outputs
    (``mmreid_instruct.io``, the JSON of :meth:`ExportGraph.describe`).

    Args:
        graph (ExportGraph): The graph.
        path (str): The ``.onnx`` file; weights are stored inside it.
        opset (int, optional): ONNX opset version. Defaults to None (the
            exporter's default).

    Returns:
        str: ``path``.
    """
    graph = graph.eval()
    with warnings.catch_warnings(), torch.no_grad():
        # Shared Dim objects make the exporter warn about every input but
        # the first one that names them.
        warnings.filterwarnings('ignore', message='# The axis name')
        program = torch.onnx.export(
            graph,
            graph.example_inputs(),
            dynamo=True,
            input_names=list(graph.input_names),
            output_names=list(graph.output_names),
            dynamic_shapes=graph.dynamic_shapes(),
            opset_version=opset,
            verbose=False)
    meta = program.model.metadata_props
    meta['mmreid_instruct.graph'] = type(graph).__name__
    meta['mmreid_instruct.io'] = json.dumps(graph.describe())
    if 'images' in graph.input_names:
        meta['mmreid_instruct.images'] = (
            'float (B, 3, H, W) in 0-255, channels as the model sees them '
            'after its data preprocessor (RGB by default); normalised '
            'inside the graph')
    program.save(path, external_data=False)
    return path


def check_onnx(graph: ExportGraph,
               path: str,
               batch_sizes: Sequence[int] = (1, 3),
               lengths: Sequence[Optional[int]] = (5, 11),
               seed: int = 0) -> dict:
    """Run an exported graph with onnxruntime on random inputs and compare
    it with the PyTorch graph.

    Args:
        graph (ExportGraph): The graph that was exported.
        path (str): Its ONNX file.
        batch_sizes (Sequence[int]): One run per batch size. Defaults to
            ``(1, 3)``.
        lengths (Sequence[int | None]): Instruction length of each run,
            capped at the graph's ``max_length``; unused by graphs without
            a length axis. Defaults to ``(5, 11)``.
        seed (int): Seed of the random inputs. Defaults to 0.

    Returns:
        dict: ``max_abs`` (largest absolute difference over every output
        and run), ``max_rel`` (that difference over the largest absolute
        PyTorch value of its output), ``runs`` (``[batch size, length]``
        of each run).
    """
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    generator = torch.Generator().manual_seed(seed)
    max_abs = max_rel = 0.
    runs = []
    for batch_size, length in zip(batch_sizes, lengths):
        if graph.max_length is None:
            length = None
        elif length is not None:
            length = min(length, graph.max_length)
        inputs = graph.example_inputs(batch_size, length, generator)
        with torch.no_grad():
            expected = graph(*inputs)
        if isinstance(expected, torch.Tensor):
            expected = (expected, )
        feeds = {
            name: tensor.numpy()
            for name, tensor in zip(graph.input_names, inputs)
        }
        for want, got in zip(expected, session.run(None, feeds)):
            want = want.numpy()
            if want.shape != got.shape:
                raise AssertionError(
                    f'{path}: onnxruntime gave shape {got.shape}, PyTorch '
                    f'{want.shape} (batch size {batch_size})')
            diff = float(
                np.abs(want.astype(np.float64) - got.astype(np.float64)).max())
            scale = float(np.abs(want.astype(np.float64)).max())
            max_abs = max(max_abs, diff)
            max_rel = max(max_rel, diff / scale if scale > 0 else diff)
        runs.append([batch_size, length])
    return dict(max_abs=max_abs, max_rel=max_rel, runs=runs)
