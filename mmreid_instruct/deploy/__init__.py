from .encoded_instruct_reid_graph import EncodedInstructReIDGraph
from .export_graph import ExportGraph
from .image_instruct_reid_graph import ImageInstructReIDGraph
from .image_reid_graph import ImageReIDGraph
from .instruct_reid_graph import InstructReIDGraph
from .onnx_export import (DEFAULT_ATOL, GRAPHS, build_export_graphs,
                          check_onnx, export_graph, export_task, graph_names,
                          graph_path)
from .text_instruct_reid_graph import TextInstructReIDGraph
from .text_instruction_graph import TextInstructionGraph

__all__ = [
    'ExportGraph', 'InstructReIDGraph', 'TextInstructReIDGraph',
    'ImageInstructReIDGraph', 'EncodedInstructReIDGraph',
    'TextInstructionGraph', 'ImageReIDGraph', 'GRAPHS', 'DEFAULT_ATOL',
    'export_task', 'graph_names', 'graph_path', 'build_export_graphs',
    'export_graph', 'check_onnx'
]
