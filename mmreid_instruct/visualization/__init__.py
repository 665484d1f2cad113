from .rank_list import (CORRECT_COLOR, JUNK_COLOR, WRONG_COLOR, draw_rank_list,
                        save_rank_list)
from .reid_visualizer import ReIDVisualizer

__all__ = [
    'draw_rank_list', 'save_rank_list', 'ReIDVisualizer', 'CORRECT_COLOR',
    'WRONG_COLOR', 'JUNK_COLOR'
]
