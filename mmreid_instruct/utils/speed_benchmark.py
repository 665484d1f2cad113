"""Shared parts of ``tools/analysis_tools/benchmark_train.py`` and
``benchmark_infer.py``: synthetic batches shaped like a config's training
data, a plain ViT built from the config's backbone, step timing, FLOP
counts and peak memory."""
import copy
import os
import statistics
import threading
import time
from contextlib import contextmanager, nullcontext
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from mmreid_instruct.structures import ReIDDataSample
from .tasks import IMAGE_INSTRUCTION_TASKS, normalize_task

#: Fixed instruction texts of the tasks that have one, with paraphrases as
#: a training list holds them.
FIXED_INSTRUCTIONS = {
    'trad': ('do not change clothes', 'keep the same clothes',
             'the same person in the same outfit'),
    'cc': ('ignore clothes', 'regardless of what the person wears'),
    'vi': ('retrieve the same person in the other modality', 'cross modality'),
}

#: The mixed-precision dtypes of ``--amp``.
AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}


def training_lists(model_cfg: dict) -> List[Tuple[Optional[str], str]]:
    """The ``(dataset_name, task)`` of each training list that a model
    config trains: the keys ``'<dataset_name>/<task>'`` of
    ``head.num_classes``, plus ``(None, 't2i')`` with a ``t2i_head``. A
    single classifier (an int) is one ``trad`` list.

    Args:
        model_cfg (dict): A model config (``cfg.model``).

    Returns:
        list[tuple]: ``(dataset_name or None, task)`` pairs.

    Example:
        >>> training_lists(dict(head=dict(num_classes={'market/trad': 751,
        ...                                            'ltcc/cc': 77}),
        ...                     t2i_head=dict(type='T2IHead')))
        [('market', 'trad'), ('ltcc', 'cc'), (None, 't2i')]
        >>> training_lists(dict(head=dict(num_classes=32)))
        [(None, 'trad')]
    """
    num_classes = model_cfg.get('head', {}).get('num_classes')
    if isinstance(num_classes, dict):
        lists = []
        for key in num_classes:
            name, _, task = key.rpartition('/')
            lists.append((name or None, normalize_task(task)))
    elif isinstance(num_classes, int):
        lists = [(None, 'trad')]
    else:
        raise ValueError('the model config has no head.num_classes (an int '
                         'or a dict {dataset_name/task: n}); a training '
                         'benchmark needs the training identities')
    if model_cfg.get('t2i_head') is not None:
        lists.append((None, 't2i'))
    return lists


def default_batch_size(loader_cfg: dict) -> int:
    """The images of one batch of a dataloader config: its ``batch_size``,
    else P x K of its batch sampler (the first list's when they differ).

    Example:
        >>> default_batch_size(dict(batch_size=None, batch_sampler=dict(
        ...     num_pids=[32, 24], num_instances=[4, 1])))
        128
    """
    if loader_cfg.get('batch_size'):
        return loader_cfg['batch_size']
    sampler = loader_cfg.get('batch_sampler') or {}
    pids, instances = sampler.get('num_pids'), sampler.get('num_instances')
    if pids is None or instances is None:
        raise ValueError('the dataloader config has no batch_size and no '
                         'batch_sampler num_pids x num_instances: give '
                         '--batch-size')
    first = (lambda v: v[0] if isinstance(v, (list, tuple)) else v)
    return first(pids) * first(instances)


def _size(img_size) -> Tuple[int, int]:
    """``(h, w)`` of an mmpretrain ``img_size`` (int or (h, w))."""
    if isinstance(img_size, int):
        return img_size, img_size
    return tuple(img_size)


class SyntheticBatches:
    """Random batches shaped like a config's training data, one training
    list after the other (round robin): ``batch_size`` images of
    ``batch_size / num_instances`` identities, with the instruction the
    task has (a fixed text and its paraphrases for trad and vi, a sentence
    per identity for li, an instruction image for cc and ctcc when the
    model has an image instruction encoder, a caption for t2i). Batches
    are built once, so that the benchmark times the model, not this class.

    Args:
        model_cfg (dict): The model config (``cfg.model``).
        batch_size (int): Images per batch.
        num_instances (int): Images per identity. Defaults to 4.
        seed (int): Seed of the random pixels and texts. Defaults to 0.

    Example:
        >>> cfg = dict(backbone=dict(img_size=(32, 16)),
        ...            head=dict(num_classes={'market/trad': 8}))
        >>> batches = SyntheticBatches(cfg, batch_size=8)
        >>> data = next(iter(batches))
        >>> len(data['inputs']), data['inputs'][0].shape
        (8, torch.Size([3, 32, 16]))
        >>> data['data_samples'][0].instruction in FIXED_INSTRUCTIONS['trad']
        True
    """

    def __init__(self,
                 model_cfg: dict,
                 batch_size: int,
                 num_instances: int = 4,
                 seed: int = 0):
        if batch_size < num_instances or batch_size % num_instances:
            raise ValueError(f'batch_size={batch_size} must be a multiple '
                             f'of num_instances={num_instances}')
        self.lists = training_lists(model_cfg)
        self.batch_size = batch_size
        self.num_instances = num_instances
        self.img_size = _size(model_cfg['backbone'].get('img_size', 224))
        encoder = model_cfg.get('image_instruction_encoder')
        self.instruction_img_size = None
        if encoder is not None and not model_cfg.get('instruction_blind'):
            self.instruction_img_size = _size(encoder['backbone'].get(
                'img_size', 224))
        num_classes = model_cfg['head']['num_classes']
        self.num_classes = num_classes
        rng = np.random.default_rng(seed)
        self.batches = [
            self._batch(name, task, rng) for name, task in self.lists
        ]

    @property
    def tasks(self) -> List[str]:
        """The task of each batch, in order."""
        return [task for _, task in self.lists]

    def _classes(self, name, task) -> int:
        if isinstance(self.num_classes, int):
            return self.num_classes
        return self.num_classes.get(f'{name}/{task}',
                                    self.batch_size // self.num_instances)

    def _batch(self, name: Optional[str], task: str,
               rng: np.random.Generator) -> dict:
        num_ids = self.batch_size // self.num_instances
        pids = (np.arange(self.batch_size) // self.num_instances) % max(
            1, min(num_ids, self._classes(name, task)))
        h, w = self.img_size
        inputs = [
            torch.from_numpy(rng.integers(0, 256, (3, h, w), np.uint8))
            for _ in range(self.batch_size)
        ]
        samples = []
        for i, pid in enumerate(pids):
            sample = ReIDDataSample().set_pid(int(pid)).set_task(task)
            if name is not None:
                sample.set_metainfo(dict(dataset_name=name))
            self._instruct(sample, task, int(pid), i, rng)
            samples.append(sample)
        return dict(inputs=inputs, data_samples=samples)

    def _instruct(self, sample: ReIDDataSample, task: str, pid: int, i: int,
                  rng: np.random.Generator) -> None:
        if (task in IMAGE_INSTRUCTION_TASKS
                and self.instruction_img_size is not None):
            h, w = self.instruction_img_size
            sample.set_field(
                torch.from_numpy(rng.integers(0, 256, (3, h, w), np.uint8)),
                'instruction_img')
        elif task in FIXED_INSTRUCTIONS:
            texts = FIXED_INSTRUCTIONS[task]
            sample.set_instruction(texts[i % len(texts)])
        elif task == 'li':
            sample.set_instruction(
                f'a person wearing a {_COLOURS[pid % len(_COLOURS)]} '
                f'jacket, {_COLOURS[(pid // 3) % len(_COLOURS)]} trousers '
                'and white sneakers')
        else:  # t2i: a caption per image
            sample.set_instruction(
                f'a young {_COLOURS[pid % len(_COLOURS)]}-haired person in '
                f'a {_COLOURS[(pid + i) % len(_COLOURS)]} coat walks past '
                'the camera carrying a black backpack.')

    def __iter__(self) -> Iterator[dict]:
        """Batches forever, one training list after the other; each a fresh
        copy (the data preprocessor normalises instruction images in
        place)."""
        while True:
            for batch in self.batches:
                yield dict(
                    inputs=list(batch['inputs']),
                    data_samples=[s.clone() for s in batch['data_samples']])


_COLOURS = ('red', 'blue', 'green', 'black', 'white', 'grey', 'yellow',
            'brown', 'pink', 'purple')


class PlainViT(nn.Module):
    """A config's image backbone alone with an ID classifier on its CLS
    token: the reference whose speed a benchmark compares the config's
    model with (same backbone, same input size, nothing else).

    Args:
        backbone (dict): The backbone config (``cfg.model.backbone``).
        num_classes (int): Classifier outputs. Defaults to 1000.

    Example:
        >>> vit = PlainViT(dict(
        ...     type='mmpretrain.VisionTransformer', out_type='raw',
        ...     arch=dict(embed_dims=32, num_layers=1, num_heads=2,
        ...               feedforward_channels=64),
        ...     img_size=(32, 16), patch_size=8), num_classes=10)
        >>> vit(torch.randn(2, 3, 32, 16)).shape
        torch.Size([2, 10])
    """

    def __init__(self, backbone: dict, num_classes: int = 1000):
        super().__init__()
        from mmreid_instruct.models.utils import backbone_tokens
        from mmreid_instruct.registry import MODELS
        cfg = copy.deepcopy(dict(backbone))
        cfg['out_type'] = 'raw'
        cfg['init_cfg'] = None  # no pretrained weights are read
        self.backbone = MODELS.build(cfg)
        self._tokens = backbone_tokens
        width = self.backbone.embed_dims
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Class scores of (B, 3, H, W) images."""
        cls = self._tokens(self.backbone(inputs), 'PlainViT')[:, 0]
        return self.classifier(cls)

    def loss(self, inputs: torch.Tensor, labels: torch.Tensor) -> dict:
        """The ID cross-entropy of a batch (in float32)."""
        return dict(loss_cls=F.cross_entropy(self(inputs).float(), labels))


def device_name(device: torch.device) -> str:
    """A readable name of a device: the GPU's name, or the CPU model.

    Example:
        >>> isinstance(device_name(torch.device('cpu')), str)
        True
    """
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cores = os.cpu_count()
                    return f'{line.split(":", 1)[1].strip()} ({cores} cores)'
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def _rss_bytes() -> int:
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    except (OSError, ValueError):
        return 0


@contextmanager
def peak_memory(device: torch.device) -> Iterator[dict]:
    """Measure how much memory the code in the block adds at its peak.

    On CUDA: ``torch.cuda.max_memory_allocated`` during the block less
    what was allocated on entry. On CPU: the peak resident set size of the
    process during the block (sampled every 2 ms by a thread) less the one
    on entry; memory the process had freed but kept is reused without
    showing, so this can read lower than the block's real need.

    Args:
        device (torch.device): Where the block runs.

    Yields:
        dict: Filled on exit with ``peak_memory_mib`` and
        ``peak_memory_kind``.

    Example:
        >>> with peak_memory(torch.device('cpu')) as mem:
        ...     x = torch.ones(4096, 4096)  # 64 MiB, maybe reused memory
        >>> mem['peak_memory_kind'], mem['peak_memory_mib'] >= 0
        ('process_rss', True)
    """
    result = {}
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        start = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        yield result
        torch.cuda.synchronize(device)
        result['peak_memory_mib'] = (torch.cuda.max_memory_allocated(device) -
                                     start) / 2**20
        result['peak_memory_kind'] = 'cuda_max_memory_allocated'
        return
    start = _rss_bytes()
    peak = [start]
    done = threading.Event()

    def sample():
        while not done.wait(0.002):
            peak[0] = max(peak[0], _rss_bytes())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        done.set()
        thread.join()
        peak[0] = max(peak[0], _rss_bytes())
        result['peak_memory_mib'] = (peak[0] - start) / 2**20
        result['peak_memory_kind'] = 'process_rss'


def _attention_flops(query, key, value) -> int:
    """FLOPs of softmax(q k^T / s) v for (B, H, L, E) shapes: its two
    matrix products, counted as torch.utils.flop_counter counts them."""
    batch, heads, query_len, dims = query
    key_len, value_dims = key[-2], value[-1]
    return 2 * batch * heads * query_len * key_len * (dims + value_dims)


def _fused_attention_flops(query, key, value, *args, **kwargs):
    return _attention_flops(query, key, value)


def _fused_attention_backward_flops(grad_out, query, key, value, *args,
                                    **kwargs):
    # The gradients of v, of the attention weights, of q and of k: four
    # matrix products of the forward's sizes.
    return 2 * _attention_flops(query, key, value)


def _extra_flop_formulas() -> dict:
    """Formulas for the ops that torch.utils.flop_counter leaves out: the
    fused CPU attention kernel (forward and backward), which
    ``scaled_dot_product_attention`` runs on CPU."""
    aten = torch.ops.aten
    formulas = {}
    for name, formula in (
        ('_scaled_dot_product_flash_attention_for_cpu',
         _fused_attention_flops),
        ('_scaled_dot_product_flash_attention_for_cpu_backward',
         _fused_attention_backward_flops),
    ):
        if hasattr(aten, name):
            formulas[getattr(aten, name)] = formula
    return formulas


def count_flops(step: Callable[[], None], steps: int = 1) -> float:
    """Mean FLOPs of a call of ``step`` over ``steps`` calls: matrix
    products, convolutions and attention (forward and, when ``step``
    trains, backward), as ``torch.utils.flop_counter`` counts them (a
    multiply-add is 2 FLOPs; elementwise ops, normalisation and the
    optimizer are not counted), with the fused CPU attention kernel
    added. The count does not depend on the device or on timing.

    Args:
        step (Callable): One step of a model.
        steps (int): Calls to average over. Defaults to 1.

    Returns:
        float: FLOPs per call.

    Example:
        >>> layer = nn.Linear(8, 4)
        >>> count_flops(lambda: layer(torch.randn(3, 8)))  # 2 x 3 x 8 x 4
        192.0
    """
    with FlopCounterMode(
            display=False, custom_mapping=_extra_flop_formulas()) as counter:
        for _ in range(steps):
            step()
    return counter.get_total_flops() / steps


def run_benchmark(builders: Dict[str, Callable[[], Callable[[], None]]],
                  device: torch.device,
                  batch_size: int,
                  iters: int,
                  warmup: int,
                  rounds: int,
                  flops_steps: int = 0) -> Dict[str, dict]:
    """Time several models in one run.

    Each builder is called in turn and returns the step function of its
    model; its peak memory is measured over the build and ``warmup``
    steps. With ``flops_steps``, each model's FLOPs per image are then
    counted in that many more steps (:func:`count_flops`): after the
    warm-up, so that they are those of the steady state (instruction
    features a model caches are not counted again). Then the
    models take turns step by step (a step of each model, then the next
    step), so that load from other jobs on a shared machine falls on all
    models alike; a round is ``iters`` steps of each, and the median round
    gives the figures. :func:`paired_ratio` compares two models round by
    round.

    Args:
        builders (dict): ``{name: builder}``; a builder builds a model and
            returns a function that runs one step of it.
        device (torch.device): Where the models run.
        batch_size (int): Images per step.
        iters (int): Timed steps per round.
        warmup (int): Untimed steps after the build (at least 1).
        rounds (int): Timed rounds per model.
        flops_steps (int): Untimed steps whose FLOPs are counted (e.g. one
            per training list). Defaults to 0 (no count).

    Returns:
        dict: ``{name: entry}``, entries as :func:`summarize` makes them;
        when FLOPs are counted, with ``step_gflops_per_img`` (each counted
        step's GFLOPs per image, in order) and ``gflops_per_img`` (their
        mean).

    Example:
        >>> out = run_benchmark({'noop': lambda: (lambda: None)},
        ...                     torch.device('cpu'), 8, 2, 1, 3)
        >>> sorted(out['noop'])  # doctest: +NORMALIZE_WHITESPACE
        ['img_per_s', 'peak_memory_kind', 'peak_memory_mib',
         'round_step_s', 'step_s']
    """
    steps, memory = {}, {}
    for name, build in builders.items():
        with peak_memory(device) as memory[name]:
            steps[name] = build()
            for _ in range(max(1, warmup)):
                steps[name]()
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
    flops = {
        name: [count_flops(step) for _ in range(flops_steps)]
        for name, step in steps.items()
    } if flops_steps else {}
    times = {name: [] for name in builders}
    for _ in range(rounds):
        spent = dict.fromkeys(steps, 0.)
        for _ in range(iters):
            for name, step in steps.items():
                spent[name] += time_steps(step, device, 1, 0, 1)[0]
        for name in steps:
            times[name].append(spent[name] / iters)
    results = {
        name: summarize(times[name], batch_size, memory[name])
        for name in builders
    }
    for name, step_flops in flops.items():
        per_img = [f / batch_size / 1e9 for f in step_flops]
        results[name]['gflops_per_img'] = statistics.mean(per_img)
        results[name]['step_gflops_per_img'] = per_img
    return results


def paired_ratio(entry: dict, reference: dict) -> float:
    """The median over rounds of ``entry``'s step time over
    ``reference``'s in the same round: robust to load that changes from
    round to round.

    Example:
        >>> paired_ratio(dict(round_step_s=[2., 9., 3.]),
        ...              dict(round_step_s=[1., 3., 2.]))
        2.0
    """
    return statistics.median(
        a / b
        for a, b in zip(entry['round_step_s'], reference['round_step_s']))


def flops_by_task(step_gflops: List[float], tasks: List[str],
                  first: int) -> Dict[str, float]:
    """Mean GFLOPs per image of each task, from the counts of consecutive
    steps over training lists taken in turn (:class:`SyntheticBatches`).

    Args:
        step_gflops (list[float]): GFLOPs per image of each counted step.
        tasks (list[str]): The task of each training list, in turn order.
        first (int): Steps run before the first counted one (its list is
            ``first % len(tasks)``).

    Returns:
        dict: ``{task: mean GFLOPs per image}`` (lists of the same task
        averaged), tasks sorted.

    Example:
        >>> flops_by_task([1., 2., 4.], ['trad', 'cc', 'trad'], first=1)
        {'cc': 1.0, 'trad': 3.0}
    """
    counts: Dict[str, List[float]] = {}
    for i, gflops in enumerate(step_gflops):
        task = tasks[(first + i) % len(tasks)]
        counts.setdefault(task, []).append(gflops)
    return {task: statistics.mean(counts[task]) for task in sorted(counts)}


def add_flops_by_task(results: Dict[str, dict], model_cfgs: Dict[str, dict],
                      first: int) -> None:
    """Add ``gflops_per_img_by_task`` (:func:`flops_by_task`) to the
    entries of ``results`` whose FLOPs were counted step by step.

    Args:
        results (dict): :func:`run_benchmark`'s output.
        model_cfgs (dict): ``{name: model config}`` of the entries whose
            steps go round their config's training lists.
        first (int): Steps each model ran before the counted ones.
    """
    for name, model_cfg in model_cfgs.items():
        entry = results.get(name, {})
        if 'step_gflops_per_img' in entry:
            tasks = [task for _, task in training_lists(model_cfg)]
            entry['gflops_per_img_by_task'] = flops_by_task(
                entry['step_gflops_per_img'], tasks, first)


def ratios(results: Dict[str, dict]) -> Dict[str, float]:
    """The comparisons of a benchmark's JSON: ``'model'`` against
    ``'plain_vit'`` and, when timed, ``'compare'``.

    - ``ratio_to_plain_vit``: the model's img/s over the plain ViT's
      (paired by round);
    - ``step_time_ratio_to_compare``: the model's step time over the
      compared model's (paired by round);
    - ``flops_ratio_to_plain_vit`` / ``flops_ratio_to_compare``: the
      model's FLOPs per image over theirs, when counted. A step time
      ratio below the FLOP ratio means the model runs its FLOPs faster
      than the other one does.

    Args:
        results (dict): :func:`run_benchmark`'s output, with the entries
            ``'model'`` and ``'plain_vit'`` (and ``'compare'`` if timed).

    Returns:
        dict: The ratios above that the entries allow.

    Example:
        >>> out = ratios(dict(
        ...     model=dict(round_step_s=[3.], gflops_per_img=6.),
        ...     plain_vit=dict(round_step_s=[2.], gflops_per_img=4.)))
        >>> round(out['ratio_to_plain_vit'], 3)
        0.667
        >>> out['flops_ratio_to_plain_vit']
        1.5
    """
    model = results['model']
    out = dict(ratio_to_plain_vit=1 /
               paired_ratio(model, results['plain_vit']))
    if 'compare' in results:
        out['step_time_ratio_to_compare'] = paired_ratio(
            model, results['compare'])
    for name in ('plain_vit', 'compare'):
        if name in results and 'gflops_per_img' in model:
            out[f'flops_ratio_to_{name}'] = (
                model['gflops_per_img'] / results[name]['gflops_per_img'])
    return out


def autocast_context(device: torch.device, amp: Optional[str]):
    """``torch.autocast`` for ``amp`` (``'bf16'``/``'fp16'``), or a null
    context when ``amp`` is None."""
    if amp is None:
        return nullcontext()
    return torch.autocast(device.type, dtype=AMP_DTYPES[amp])


def time_steps(step: Callable[[], None], device: torch.device, iters: int,
               warmup: int, rounds: int) -> List[float]:
    """Seconds per step of ``step``: the mean of each round.

    Args:
        step (Callable): One step (e.g. a training iteration).
        device (torch.device): Synchronised before reading the clock.
        iters (int): Timed steps per round.
        warmup (int): Untimed steps before the first round.
        rounds (int): Timed rounds.

    Returns:
        list[float]: Mean seconds per step of each round.

    Example:
        >>> times = time_steps(lambda: None, torch.device('cpu'), 2, 1, 3)
        >>> len(times), all(t >= 0 for t in times)
        (3, True)
    """
    sync = (
        torch.cuda.synchronize if device.type == 'cuda' else lambda *_: None)
    for _ in range(warmup):
        step()
    sync(device)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(iters):
            step()
        sync(device)
        times.append((time.perf_counter() - start) / iters)
    return times


def summarize(times: List[float], batch_size: int, memory: dict) -> dict:
    """The JSON entry of one model: median seconds per step, images per
    second at that median, every round's time and the peak memory.

    Example:
        >>> summarize([0.5, 0.25, 1.0], 8, dict(peak_memory_mib=1.0))
        ... # doctest: +NORMALIZE_WHITESPACE
        {'img_per_s': 16.0, 'step_s': 0.5, 'round_step_s': [0.5, 0.25, 1.0],
         'peak_memory_mib': 1.0}
    """
    step_s = statistics.median(times)
    return dict(
        img_per_s=batch_size / step_s,
        step_s=step_s,
        round_step_s=list(times),
        **memory)


def resolve_device(name: Optional[str]) -> torch.device:
    """``--device``: the name given, else CUDA when available, else CPU."""
    if name:
        return torch.device(name)
    return torch.device('cuda' if torch.cuda.is_available() else 'cpu')


def load_benchmark_config(path: str, cfg_options: Optional[dict] = None):
    """A config with ``--cfg-options`` merged and the project's modules
    registered."""
    from mmengine.config import Config
    from mmengine.logging import MMLogger

    from .setup_env import register_all_modules
    register_all_modules()
    # Building the optimizer logs every parameter (on stdout): the JSON
    # must be all that is printed there.
    if not MMLogger.check_instance_created('speed_benchmark'):
        MMLogger.get_instance('speed_benchmark', log_level='ERROR')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_config_model(cfg, device: torch.device) -> nn.Module:
    """The config's model on ``device`` with the weights it is built with
    (no ``init_weights``: nothing is read from disk)."""
    from mmreid_instruct.registry import MODELS
    return MODELS.build(copy.deepcopy(cfg.model)).to(device)


def environment(device: torch.device, dtype: str) -> Dict[str, object]:
    """Device and software fields of a benchmark's JSON.

    Example:
        >>> environment(torch.device('cpu'), 'float32')['dtype']
        'float32'
    """
    return dict(
        device=str(device),
        device_name=device_name(device),
        dtype=dtype,
        torch=torch.__version__,
        num_threads=torch.get_num_threads())
