import os.path as osp
from typing import List

from mmreid_instruct.registry import DATASETS
from mmreid_instruct.utils.tasks import VI_DIRECTIONS
from .benchmark_dataset import BenchmarkDataset
from .utils import check_option, person_images, read_id_file, resolve_root

#: SYSU-MM01 cameras (1-based, as in the folder names) per modality.
SYSU_RGB_CAMERAS = {'all': (1, 2, 4, 5), 'indoor': (1, 2)}
SYSU_IR_CAMERAS = (3, 6)


@DATASETS.register_module()
class SYSUMM01(BenchmarkDataset):
    """SYSU-MM01, visible-infrared ReID (Wu et al., ICCV 2017).

    Layout: ``SYSU-MM01/cam{1..6}/<pid as 4 digits>/NNNN.jpg`` and the id
    lists ``exp/{train,val,test}_id.txt`` (comma-separated). Cameras 1, 2,
    4, 5 are RGB, 3 and 6 infrared. The train subset holds the train and
    val ids (395) of all cameras. With ``direction='ir2vis'`` the query is
    the infrared images of the test ids and the gallery their RGB images of
    cameras 1, 2, 4, 5 (``mode='all'``) or 1, 2 (``mode='indoor'``);
    ``'vis2ir'`` swaps the two. The single-shot gallery sampling over 10
    trials and the rule that camera-3 queries skip camera 2 belong to the
    metric (see the config).

    Args:
        data_root (str): ``SYSU-MM01`` or its parent.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        mode (str): ``'all'`` or ``'indoor'`` search. Defaults to ``'all'``.
        direction (str): ``'ir2vis'`` or ``'vis2ir'``. Defaults to
            ``'ir2vis'``.
        use_val (bool): Train on the val ids too. Defaults to True.
        **kwargs: Other arguments of :class:`BenchmarkDataset` (``task``
            defaults to ``'vi'``, ``pipeline``, ...).

    Example:
        The gallery of the indoor search (RGB cameras 1 and 2)::

            gallery = SYSUMM01('data', subset='gallery', mode='indoor')
    """

    METAINFO = dict(dataset_name='sysu_mm01')
    DEFAULT_TASK = 'vi'

    def __init__(self,
                 *args,
                 mode: str = 'all',
                 direction: str = 'ir2vis',
                 use_val: bool = True,
                 **kwargs):
        self.mode = check_option('SYSUMM01', 'mode', mode, SYSU_RGB_CAMERAS)
        self.direction = check_option('SYSUMM01', 'direction', direction,
                                      VI_DIRECTIONS)
        self.use_val = use_val
        super().__init__(*args, **kwargs)

    def _cameras(self) -> tuple:
        rgb = SYSU_RGB_CAMERAS[self.mode]
        if self.subset == 'train':
            return tuple(sorted(SYSU_RGB_CAMERAS['all'] + SYSU_IR_CAMERAS))
        query_is_ir = self.direction == 'ir2vis'
        if (self.subset == 'query') == query_is_ir:
            return SYSU_IR_CAMERAS
        return rgb

    def load_data_list(self) -> List[dict]:
        """List the images of the subset's ids and cameras.

        Returns:
            list[dict]: One record per image, in sorted path order.
        """
        root = resolve_root(self.data_root, ('SYSU-MM01', 'SYSU_MM01'), 'exp')
        if self.subset == 'train':
            names = ('train_id.txt', 'val_id.txt') if self.use_val else \
                ('train_id.txt', )
        else:
            names = ('test_id.txt', )
        pids = []
        for name in names:
            pids.extend(read_id_file(osp.join(root, 'exp', name)))
        records = []
        for cam in self._cameras():
            modality = 'ir' if cam in SYSU_IR_CAMERAS else 'rgb'
            for pid, path in person_images(osp.join(root, f'cam{cam}'), pids):
                records.append(
                    self.new_record(
                        img_path=path,
                        pid=pid,
                        camid=cam - 1,
                        modality=modality))
        return sorted(records, key=lambda r: r['img_path'])
