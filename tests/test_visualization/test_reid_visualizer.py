"""ReIDVisualizer: registered, and its rank lists reach files and
backends."""
import cv2
import numpy as np

from mmreid_instruct.registry import VISUALIZERS
from mmreid_instruct.utils import register_all_modules
from mmreid_instruct.visualization import ReIDVisualizer, draw_rank_list

register_all_modules(init_default_scope=False)


def test_built_from_config_writes_to_its_backend(tmp_path):
    visualizer = VISUALIZERS.build(
        dict(
            type='ReIDVisualizer',
            name='rank_list_backend_test',
            vis_backends=[dict(type='LocalVisBackend')],
            save_dir=str(tmp_path)))
    assert isinstance(visualizer, ReIDVisualizer)
    query = np.full((256, 128, 3), (250, 0, 0), np.uint8)
    matches = [dict(img=query, score=0.5, pid=1, correct=True)]
    strip = visualizer.visualize_rank_list(
        query, matches, instruction='ignore clothes', name='q0', step=3)
    assert np.array_equal(
        strip, draw_rank_list(query, matches, instruction='ignore clothes'))
    assert np.array_equal(visualizer.get_image(), strip)
    (written, ) = tmp_path.glob('**/q0_3.png')
    assert np.array_equal(cv2.imread(str(written))[..., ::-1], strip)


def test_out_file_instead_of_the_backends(tmp_path):
    visualizer = ReIDVisualizer(
        name='rank_list_out_file_test',
        vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path / 'backend'))
    query = np.zeros((64, 32, 3), np.uint8)
    out = tmp_path / 'pictures' / 'q.png'
    strip = visualizer.visualize_rank_list(
        query, [dict(img=query, distance=2.0)], out_file=str(out))
    assert np.array_equal(cv2.imread(str(out))[..., ::-1], strip)
    assert not list((tmp_path / 'backend').glob('**/*.png'))
