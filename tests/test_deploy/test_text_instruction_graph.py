import torch
from tiny_models import TEXTS

from mmreid_instruct.deploy import TextInstructionGraph
from mmreid_instruct.structures import ReIDDataSample


def test_outputs_are_what_the_fusion_consumes(irm):
    graph = TextInstructionGraph(irm).eval()
    tokens = irm.text_encoder.tokenize(TEXTS)
    with torch.no_grad():
        instr_tokens, instr_mask, instr_cls = graph(*tokens.values())
        want = irm.encode_instructions(
            [ReIDDataSample().set_instruction(t) for t in TEXTS])
    assert instr_tokens.shape[-1] == irm.fusion.instr_dims == 24
    torch.testing.assert_close(instr_tokens, want['instr_tokens'])
    assert torch.equal(instr_mask, want['instr_mask'])
    assert instr_mask.dtype == torch.bool
    torch.testing.assert_close(instr_cls, want['instr_cls'])


def test_describe_names_the_dynamic_axes(irm):
    spec = TextInstructionGraph(irm).describe()
    assert spec['inputs'] == [['input_ids', ['batch', 'length'], 'int64'],
                              ['attention_mask', ['batch', 'length'], 'int64']]
    assert spec['outputs'] == [
        ['instr_tokens', ['batch', 'length', 24], 'float32'],
        ['instr_mask', ['batch', 'length'], 'bool'],
        ['instr_cls', ['batch', 16], 'float32'],
    ]
