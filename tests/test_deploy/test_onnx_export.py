import json

import numpy as np
import pytest
import torch
from tiny_models import (TEXTS, as_graph_input, bgr_images, build_irm,
                         predict_features)

from mmreid_instruct.deploy import (GRAPHS, build_export_graphs, check_onnx,
                                    export_graph, graph_names, graph_path)


def test_graph_names_follow_the_task(irm, blind_irm, image_reid):
    text = ['text', 'text_encoder', 'encoded']
    assert graph_names(irm) == text + ['image']
    for task in ('trad', 'sc', 'li', 'attr', 'vi', 'cross'):
        assert graph_names(irm, task) == text
    assert graph_names(irm, 'cc') == text + ['image']
    assert graph_names(irm, 'ctcc') == ['image']
    assert graph_names(blind_irm) == ['image_only']
    assert graph_names(image_reid, 'trad') == ['image_only']
    assert graph_names(build_irm(image_instruction_encoder=None)) == text


def test_graph_names_refuse_bad_tasks_and_models(irm):
    with pytest.raises(ValueError, match="Unknown task 'tradd'"):
        graph_names(irm, 'tradd')
    with pytest.raises(ValueError, match='t2i'):
        graph_names(irm, 'text_to_image')
    with pytest.raises(ValueError, match='no image_instruction_encoder'):
        graph_names(build_irm(image_instruction_encoder=None), 'ctcc')
    with pytest.raises(TypeError, match='got Linear'):
        graph_names(torch.nn.Linear(2, 2))


def test_graph_paths():
    assert graph_path('a/irm.onnx', 'text') == 'a/irm_text.onnx'
    assert graph_path('a/irm.onnx', 'image') == 'a/irm_image.onnx'
    assert graph_path('a/irm.onnx', 'encoded') == 'a/irm_encoded.onnx'
    assert graph_path('a/irm', 'image_only') == 'a/irm.onnx'
    assert len({suffix for _, suffix in GRAPHS.values()}) == len(GRAPHS)


@pytest.fixture(scope='module')
def exported(irm, image_reid, tmp_path_factory):
    """The text graph of the tiny IRM (opset default) and the graph of the
    tiny ImageReID (opset 18), exported once."""
    pytest.importorskip('onnx')
    pytest.importorskip('onnxscript')
    pytest.importorskip('onnxruntime')
    tmp = tmp_path_factory.mktemp('onnx')
    graphs = dict(
        text=build_export_graphs(irm, 'trad')['text'],
        image_only=build_export_graphs(image_reid)['image_only'])
    paths = dict(
        text=export_graph(graphs['text'], str(tmp / 'irm_text.onnx')),
        image_only=export_graph(
            graphs['image_only'], str(tmp / 'reid.onnx'), opset=18))
    return graphs, paths


def session(path):
    import onnxruntime as ort
    return ort.InferenceSession(path, providers=['CPUExecutionProvider'])


def assert_text_graph_equals_the_model(path, irm, texts, seed=0):
    bgr = bgr_images(len(texts), (32, 16), seed=seed)
    tokens = irm.text_encoder.tokenize(texts)
    got = session(path).run(
        None, {
            'images': as_graph_input(bgr).numpy(),
            'input_ids': tokens['input_ids'].numpy(),
            'attention_mask': tokens['attention_mask'].numpy()
        })[0]
    want = predict_features(irm, bgr, texts=texts).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


def test_text_graph_equals_the_model_at_two_batch_sizes(irm, exported):
    for texts in (TEXTS[:1], TEXTS):
        assert_text_graph_equals_the_model(
            exported[1]['text'], irm, texts, seed=len(texts))


def test_text_graph_with_the_last_fusion_block_on_the_cls_only(tmp_path):
    """The paper configs' fusion (last block on position 0 alone) exports
    and runs in ONNX Runtime like the model."""
    pytest.importorskip('onnx')
    pytest.importorskip('onnxscript')
    pytest.importorskip('onnxruntime')
    irm = build_irm(
        fusion=dict(
            type='EditingFusion',
            num_heads=2,
            instr_dims=24,
            last_block_cls_only=True))
    path = export_graph(
        build_export_graphs(irm, 'trad')['text'], str(tmp_path / 'irm.onnx'))
    assert_text_graph_equals_the_model(path, irm, TEXTS)


def test_image_only_graph_equals_the_model(image_reid, exported):
    bgr = bgr_images(5, (32, 16), seed=10)
    got = session(exported[1]['image_only']).run(
        None, {'images': as_graph_input(bgr).numpy()})[0]
    want = predict_features(image_reid, bgr, task=None).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


def test_files_carry_opset_and_metadata(exported):
    import onnx
    graphs, paths = exported
    for name, opset in (('text', None), ('image_only', 18)):
        model = onnx.load(paths[name])
        version = {o.domain: o.version for o in model.opset_import}['']
        assert opset is None or version == opset
        meta = {p.key: p.value for p in model.metadata_props}
        graph_class = type(graphs[name]).__name__
        assert meta['mmreid_instruct.graph'] == graph_class
        assert json.loads(meta['mmreid_instruct.io']) == \
            graphs[name].describe()
        assert '0-255' in meta['mmreid_instruct.images']


def test_check_onnx_measures_the_error(exported):
    graphs, paths = exported
    report = check_onnx(graphs['text'], paths['text'])
    assert report['max_abs'] < 1e-4 and report['max_rel'] < 1e-4
    assert report['runs'] == [[1, 5], [3, 11]]
    assert check_onnx(graphs['image_only'],
                      paths['image_only'])['runs'] == [[1, None], [3, None]]
    # The same graph with other weights: the check must see it.
    other = build_export_graphs(build_irm(), 'trad')['text']
    with torch.no_grad():
        for p in other.parameters():
            p.add_(0.1)
    assert check_onnx(other, paths['text'])['max_abs'] > 1e-2
