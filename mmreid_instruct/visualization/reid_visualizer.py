"""The library's visualizer: rank lists sent to mmengine's backends."""
from typing import Optional, Sequence, Union

import numpy as np
from mmengine.dist import master_only
from mmengine.visualization import Visualizer

from mmreid_instruct.registry import VISUALIZERS
from .rank_list import ImageLike, draw_rank_list, write_png


@VISUALIZERS.register_module()
class ReIDVisualizer(Visualizer):
    """An mmengine ``Visualizer`` that draws rank lists.

    The pictures are those of
    :func:`~mmreid_instruct.visualization.draw_rank_list`; they go to the
    visualizer's backends (local files, TensorBoard...), to a window, or to
    a file, like mmpretrain's ``visualize_image_retrieval``.

    Args:
        name (str): The instance's name. Defaults to ``'visualizer'``.
        **kwargs: Other ``mmengine.visualization.Visualizer`` arguments,
            e.g. ``vis_backends=[dict(type='LocalVisBackend')]`` and
            ``save_dir``.

    Example:
        >>> import numpy as np
        >>> visualizer = ReIDVisualizer(name='rank_list_example')
        >>> person = np.zeros((256, 128, 3), np.uint8)
        >>> strip = visualizer.visualize_rank_list(
        ...     person, [dict(img=person, score=0.8, correct=True)])
        >>> strip.shape
        (184, 176, 3)
    """

    def __init__(self, name: str = 'visualizer', **kwargs) -> None:
        super().__init__(name=name, **kwargs)

    @master_only
    def visualize_rank_list(self,
                            query: ImageLike,
                            matches: Sequence[dict],
                            instruction: Union[ImageLike, Sequence,
                                               None] = None,
                            topk: Optional[int] = None,
                            query_label: Optional[str] = None,
                            show: bool = False,
                            wait_time: float = 0,
                            out_file: Optional[str] = None,
                            name: str = 'rank_list',
                            step: int = 0) -> np.ndarray:
        """Draw a rank list and show, save or log it.

        Args:
            query, matches, instruction, topk, query_label: As
                :func:`~mmreid_instruct.visualization.draw_rank_list`.
            show (bool): Show the picture in a window. Defaults to False.
            wait_time (float): Seconds the window stays (0: until a key is
                pressed). Defaults to 0.
            out_file (str, optional): Write the picture to this ``.png``
                file instead of sending it to the backends. Defaults to
                None.
            name (str): The picture's name in the backends. Defaults to
                ``'rank_list'``.
            step (int): The step recorded with it. Defaults to 0.

        Returns:
            np.ndarray: The picture (RGB uint8).
        """
        strip = draw_rank_list(query, matches, instruction, topk, query_label)
        self.set_image(strip)
        if show:
            self.show(strip, win_name=name, wait_time=wait_time)
        if out_file is not None:
            write_png(out_file, strip)
        else:
            self.add_image(name, strip, step)
        return strip
