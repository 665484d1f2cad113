import os.path as osp

from mmengine.dist import barrier, get_dist_info
from mmengine.logging import MMLogger

from mmreid_instruct.registry import DATASETS
from mmreid_instruct.synth import generate_synth_omnireid, meta_differences
from mmreid_instruct.utils.tasks import normalize_task
from .omnireid_list import OmniReIDList
from .utils import load_json


def load_synth_meta(meta_file: str) -> dict:
    """Read the ``meta.json`` of a SynthOmniReID folder.

    Args:
        meta_file (str): The file.

    Returns:
        dict: The generator settings it holds.

    Raises:
        ValueError: The file is not a JSON object (e.g. a generation was
            killed while writing it); the message names it and says how to
            generate the folder again.
    """
    data_root = osp.dirname(meta_file)
    what = ('the JSON object of generator settings written by the '
            f'SynthOmniReID generator. Delete {data_root} to generate it '
            'again')
    meta = load_json(meta_file, what)
    if not isinstance(meta, dict):
        raise ValueError(f'{meta_file}: expected {what}; got a '
                         f'{type(meta).__name__}.')
    return meta


def ensure_synth_omnireid(data_root: str, preset, seed: int) -> None:
    """Generate SynthOmniReID into ``data_root`` unless it is already there.

    Under distributed training only rank 0 generates; the other ranks wait.

    Args:
        data_root (str): Folder of the dataset.
        preset (str | dict): Generator preset (``'tiny'``, ``'small'``,
            ``'full'``) or a dict of overrides, e.g.
            ``dict(base='tiny', occlusion_prob=0.3)``.
        seed (int): Generator seed.

    Raises:
        ValueError: ``data_root`` holds another preset or seed.
    """
    meta_file = osp.join(data_root, 'meta.json')
    rank, world_size = get_dist_info()
    if not osp.exists(meta_file):
        if rank == 0:
            MMLogger.get_current_instance().info(
                f'Generating SynthOmniReID preset={preset!r} seed={seed} '
                f'into {data_root} (first use).')
            generate_synth_omnireid(data_root, preset=preset, seed=seed)
        if world_size > 1:
            barrier()
    meta = load_synth_meta(meta_file)
    differs = meta_differences(meta, preset, seed)
    if differs:
        raise ValueError(
            f'{data_root} holds SynthOmniReID preset={meta.get("preset")!r} '
            f'seed={meta.get("seed")} generator_version='
            f'{meta.get("generator_version")!r}, but the config asks for '
            f'preset={preset!r} seed={seed} with this version of the '
            f'generator; they differ in {differs}. Delete {data_root} to '
            'generate it again, or point data_root to another folder.')


@DATASETS.register_module()
class SynthOmniReID(OmniReIDList):
    """SynthOmniReID, the procedural benchmark shipped with the library.

    It covers the six tasks with the official list format (see
    :class:`OmniReIDList`). When ``data_root`` does not exist yet the
    dataset is generated there first (a few seconds for ``tiny``), so a
    config runs with no preparation step.

    Args:
        data_root (str): Folder of the dataset. Defaults to
            ``'data/synth_omnireid_tiny'``.
        task (str): One of the six tasks, any accepted spelling. Defaults
            to ``'trad'``.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``.
        preset (str | dict): Generator preset used when generating (a name
            or a dict of overrides). Defaults to ``'tiny'``.
        seed (int): Generator seed used when generating. Defaults to 0.
        **kwargs: Other arguments of :class:`OmniReIDList` (``pipeline``,
            ``instruction_text``, ...).

    Example:
        The ``cc`` queries of the tiny preset (generated on first use)::

            query = SynthOmniReID(task='cc', subset='query')
            assert query.get_data_info(0)['instruction'] == 'ignore clothes'
    """

    METAINFO = dict(dataset_name='synth_omnireid')
    GENERATES_DATA = True

    def __init__(self,
                 data_root: str = 'data/synth_omnireid_tiny',
                 task: str = 'trad',
                 subset: str = 'train',
                 preset='tiny',
                 seed: int = 0,
                 **kwargs):
        task = normalize_task(task)
        ensure_synth_omnireid(data_root, preset, seed)
        kwargs.setdefault('dataset_name', 'synth_omnireid')
        super().__init__(
            data_root=data_root,
            list_file=osp.join('datalist', f'{subset}_{task}.txt'),
            caption_file=osp.join('datalist', 'captions.json'),
            task=task,
            subset=subset,
            **kwargs)
