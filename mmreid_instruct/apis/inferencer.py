"""Retrieve a person from one's own images with a trained model."""
import copy
import os.path as osp
from typing import Dict, List, Optional, Tuple, Union

import mmcv
import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from mmreid_instruct.datasets import utils as dataset_utils
from mmreid_instruct.datasets.transforms import LoadReIDImage
from mmreid_instruct.datasets.utils import (DEFAULT_INSTRUCTIONS,
                                            is_image_file, list_images)
from mmreid_instruct.engine.runner import (CheckpointMismatchError,
                                           load_checkpoint_file)
from mmreid_instruct.engine.runner.upstream import load_checkpoint_to_model
from mmreid_instruct.evaluation.functional import l2_normalize
from mmreid_instruct.registry import DATASETS, METRICS, TRANSFORMS
from mmreid_instruct.utils import normalize_task, register_all_modules
from mmreid_instruct.version import __version__
from .feature_cache import (CACHE_FORMAT, FeatureCache, cache_parts,
                            hash_parts, weights_hash)
from .gallery_index import GalleryIndex
from .model import init_model

ModelType = Union[str, Config, dict, nn.Module]

#: Instruction given to gallery images under the ``'fixed'`` policy for the
#: tasks without a fixed instruction (``li`` and ``ctcc``): the one that
#: asks for the person as seen.
NEUTRAL_INSTRUCTION = DEFAULT_INSTRUCTIONS['trad']


def _loader_type(transform: dict) -> str:
    return str(transform.get('type', '')).split('.')[-1]


def _test_datasets(cfg: Config) -> List[Tuple[Optional[str], dict]]:
    """``(task, dataset config with its defaults)`` of every test dataset
    of a config that has a pipeline."""
    found = []

    def visit(dataset, defaults):
        if not isinstance(dataset, dict):
            return
        merged = dict(defaults, **dataset)
        if 'datasets' in dataset:
            for sub in dataset['datasets']:
                visit(sub, dict(defaults, **dataset.get('defaults', {})))
        elif 'dataset' in dataset:
            visit(dataset['dataset'], defaults)
        elif merged.get('pipeline'):
            task = merged.get('task')
            found.append(
                (None if task is None else normalize_task(task), merged))

    for loader in ('test_dataloader', 'val_dataloader'):
        if cfg.get(loader):
            visit(cfg[loader].get('dataset'), {})
    if cfg.get('test_pipeline'):
        found.append((None, dict(pipeline=cfg.test_pipeline)))
    return found


def _as_bgr(img: np.ndarray, what: str) -> np.ndarray:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or \
            img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
        raise ValueError(
            f'{what}: an image array must be HxWx3 (BGR, as cv2.imread and '
            'mmcv.imread give) or HxW, uint8; got '
            f'{getattr(img, "dtype", type(img))} '
            f'{getattr(img, "shape", "")}')
    return np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else img


def _is_image_path(value) -> bool:
    return isinstance(value, str) and is_image_file(value) and \
        osp.isfile(value)


class ReIDInferencer(BaseInferencer):
    """Match query images (each with an instruction) or captions against a
    gallery of one's own images with a trained (Instruct-)ReID model.

    Every item is encoded by the model's ``predict`` path with the test
    pipeline of its config (the first ``LoadReIDImage`` is done here, so
    images may be arrays), queries and gallery alike; the gallery is ranked
    with the distance of the config's test evaluator for the task
    (``ReIDMetric``: squared Euclidean unless configured otherwise;
    ``T2IMetric``: cosine), so the order is the one the metric ranks.
    Scores are higher for more similar items: ``-squared distance`` or the
    cosine similarity.

    Gallery features are cached on disk (:class:`FeatureCache`) under a key
    made of the model's weights, its config and test pipeline, the task,
    the gallery instruction policy, every item's instruction and the path,
    modification time and size of every file: a second call on the same
    gallery extracts nothing, any change extracts again.

    **Queries and instructions.** A query is an image path or an array
    (``HxWx3`` uint8, **BGR** like ``cv2.imread``), or for ``t2i`` a
    caption. Its instruction is a text, a clothes image (a path to an
    existing image file, or a BGR array; for ``cc`` and ``ctcc``), or None
    for the task's fixed text (``trad``, ``cc``, ``vi``); ``li`` needs a
    text and ``ctcc`` a clothes image. An instruction-blind model takes
    none.

    **Gallery instructions** (``gallery_instruction``): ``'auto'`` is
    ``'dataset'`` for a dataset config (each record's own instruction, as
    the evaluator does) and ``'fixed'`` otherwise: the task's fixed text for
    ``trad``, ``cc`` and ``vi``, and :data:`NEUTRAL_INSTRUCTION` for ``li``
    and ``ctcc``, whose gallery instructions (each image's own description
    or garment) a plain folder does not give. A text gives every gallery
    image that text (or that clothes image, when it names an image file); a
    list gives one instruction per gallery image. ``t2i`` galleries and
    instruction-blind models use none.

    Args:
        model (str | Config | dict | nn.Module): A config file, a config, a
            model name of the zoo (resolved by ``get_model``), or a built
            model carrying its config as ``model.cfg`` (as
            :func:`init_model` returns).
        pretrained (str | bool, optional): Checkpoint path or URL. For a
            model name, True (default) loads the zoo weights.
        device (str, optional): Defaults to CUDA when available.
        cache_dir (str, optional): Folder of the gallery feature cache.
            Defaults to :func:`~.feature_cache.default_cache_dir`.
        use_cache (bool): Read and write the cache. Defaults to True.
        show_progress (bool): Progress bar on feature extraction. Defaults
            to True.

    Example:
        >>> inferencer = ReIDInferencer(
        ...     'configs/irm/irm_vit-tiny_synth-omnireid-tiny.py',
        ...     'work_dirs/irm_vit-tiny_synth-omnireid-tiny/iter_1500.pth',
        ...     device='cpu')  # doctest: +SKIP
        >>> results = inferencer(['demo/query/0041_c0.png'], 'demo/gallery',
        ...                      task='trad', topk=3)  # doctest: +SKIP
        >>> sorted(results[0][0])  # doctest: +SKIP
        ['img_path', 'index', 'score']
    """

    def __init__(self,
                 model: ModelType,
                 pretrained: Union[str, bool, None] = None,
                 device: Optional[str] = None,
                 cache_dir: Optional[str] = None,
                 use_cache: bool = True,
                 show_progress: bool = True) -> None:
        register_all_modules(init_default_scope=False)
        self.scope = 'mmreid_instruct'
        self.model = self._init_reid_model(model, pretrained, device)
        self.cfg = self.model.cfg
        self._task_pipelines: Dict[Optional[str], Tuple] = {}
        self.pipeline = self._init_pipeline(self.cfg)
        self.collate_fn = pseudo_collate
        self.visualizer = None
        self.show_progress = show_progress
        self.cache = FeatureCache(cache_dir) if use_cache else None
        #: Items encoded by the model so far (queries and gallery).
        self.num_encoded = 0

    # ------------------------------------------------------------ set-up
    @staticmethod
    def _init_reid_model(model, pretrained, device) -> nn.Module:
        if isinstance(model, nn.Module):
            if getattr(model, 'cfg', None) is None:
                raise ValueError(
                    'ReIDInferencer needs the config of a built model as '
                    'model.cfg (init_model and get_model set it); pass the '
                    'config instead')
            if isinstance(pretrained, str):
                state = load_checkpoint_file(pretrained, map_location='cpu')
                try:
                    load_checkpoint_to_model(
                        model, state, True, revise_keys=[(r'^module\.', '')])
                except RuntimeError as error:
                    raise CheckpointMismatchError(
                        f'Checkpoint {pretrained} does not match the model:'
                        f'\n{error}') from None
            if device is not None:
                model = model.to(device)
            return model.eval()
        if isinstance(model, (Config, dict)) or (isinstance(model, str)
                                                 and osp.isfile(model)):
            checkpoint = pretrained if isinstance(pretrained, str) else None
            return init_model(model, checkpoint, device=device)
        if isinstance(model, str):
            from .model import get_model
            return get_model(
                model,
                pretrained=True if pretrained is None else pretrained,
                device=device)
        raise TypeError('model must be a config file, a Config, a model '
                        f'name or a built model, not {type(model).__name__}')

    def _init_pipeline(self, cfg: Config) -> Compose:
        """The transforms of the config's first test pipeline after its
        image loading (done by :meth:`load_item`)."""
        return self._task_pipeline(None)[1]

    def _pipeline_config(self, task: Optional[str]) -> Tuple[dict, list]:
        """``(LoadReIDImage settings, the transforms after it)`` for a
        task: its test set's pipeline, else the first test pipeline."""
        candidates = [(t, list(d['pipeline']))
                      for t, d in _test_datasets(self.cfg)]
        if not candidates:
            raise ValueError('the config has no test pipeline '
                             '(test_dataloader.dataset.pipeline)')
        chosen = next((p for t, p in candidates if t == task),
                      candidates[0][1])
        if not chosen or _loader_type(chosen[0]) != 'LoadReIDImage':
            raise ValueError(
                'the test pipeline must start with LoadReIDImage, got '
                f'{chosen[0] if chosen else None}')
        load = dict(chosen[0])
        load.pop('type')
        if load.get('instruction_img_scale') is None:
            # Any test set of the config that loads instruction images.
            for _, pipeline in candidates:
                if pipeline and pipeline[0].get('instruction_img_scale'):
                    load['instruction_img_scale'] = \
                        pipeline[0]['instruction_img_scale']
                    break
        load['with_instruction_img'] = True
        return load, [copy.deepcopy(t) for t in chosen[1:]]

    def _task_pipeline(self, task: Optional[str]) -> Tuple:
        """``(loader, transforms, settings)`` of a task, built once."""
        if task not in self._task_pipelines:
            load, rest = self._pipeline_config(task)
            transforms = Compose([TRANSFORMS.build(t) for t in rest])
            settings = dict(load=load, transforms=rest)
            self._task_pipelines[task] = (LoadReIDImage(**load), transforms,
                                          settings)
        return self._task_pipelines[task]

    def fixed_instruction(self, task: str) -> Optional[str]:
        """The fixed instruction text of a task as the config's test set of
        that task gives it (its ``instruction_text`` or
        ``instruction_style``), by default the library's
        (:data:`~mmreid_instruct.datasets.utils.DEFAULT_INSTRUCTIONS`).

        Args:
            task (str): The task.

        Returns:
            str | None: None for the tasks without a fixed text (``ctcc``,
            ``li``, ``t2i``).
        """
        task = normalize_task(task)
        dataset = next((d for t, d in _test_datasets(self.cfg) if t == task),
                       {})
        if dataset.get('instruction_text'):
            return dataset['instruction_text']
        styles = getattr(dataset_utils, 'INSTRUCTION_STYLES', {})
        texts = styles.get(
            dataset.get('instruction_style', 'default'), DEFAULT_INSTRUCTIONS)
        return texts.get(task)

    @property
    def instruction_blind(self) -> bool:
        """Whether the model ignores instructions (no instruction branch)."""
        return getattr(self.model, 'instruction_blind', True)

    def search_metric(self, task: str) -> Tuple[str, bool]:
        """How the config's test evaluator ranks a task.

        Args:
            task (str): The task.

        Returns:
            tuple: ``(metric, normalize_feature)``, e.g.
            ``('euclidean', False)``; without an evaluator for the task,
            cosine for ``t2i`` and Euclidean otherwise.
        """
        task = normalize_task(task)
        evaluators = self.cfg.get('test_evaluator') or []
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        fallback = None
        for evaluator in evaluators:
            if not isinstance(evaluator, dict) or 'type' not in evaluator:
                continue
            metric = METRICS.build(copy.deepcopy(evaluator))
            if not hasattr(metric, 'metric'):
                continue
            tasks = getattr(metric, 'tasks', None)
            found = (metric.metric,
                     bool(getattr(metric, 'normalize_feature', False)))
            if tasks is not None and task in tasks:
                return found
            if tasks is None and fallback is None:
                fallback = found
        if fallback is not None:
            return fallback
        return ('cosine' if task == 't2i' else 'euclidean'), False

    # ------------------------------------------------------- encoding
    def load_item(self, item: dict, task: str) -> dict:
        """Load and transform one item for the model.

        Args:
            item (dict): ``img`` (path, BGR array or None for a caption),
                ``instruction`` (text or None) and ``instruction_img``
                (path, BGR array or None).
            task (str): The task.

        Returns:
            dict: ``inputs`` and ``data_samples`` of the test pipeline.
        """
        loader, transforms, _ = self._task_pipeline(task)
        results = dict(task=task, instruction=item.get('instruction'))
        img = item.get('img')
        if isinstance(img, np.ndarray):
            img = _as_bgr(img, 'query image')
            if loader.color_type == 'grayscale':
                img = np.repeat(mmcv.bgr2gray(img)[..., None], 3, axis=2)
            results.update(
                img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])
        elif img is not None:
            results['img_path'] = img
        instr_img = item.get('instruction_img')
        if isinstance(instr_img, np.ndarray):
            instr_img = _as_bgr(instr_img, 'instruction image')
            scale = loader.instruction_img_scale
            results['instruction_img'] = instr_img if scale is None else \
                mmcv.imresize(instr_img, tuple(scale))
        elif instr_img is not None:
            results['instruction_img_path'] = instr_img
        return transforms(loader(results))

    def preprocess(self,
                   items: List[dict],
                   batch_size: int = 16,
                   task: str = 'trad'):
        """Yield collated batches of ``items``; a batch holds one kind of
        item (caption or image, text or image instruction), as the model
        needs.

        Args:
            items (list[dict]): As :meth:`load_item` takes.
            batch_size (int): Items per batch. Defaults to 16.
            task (str): The task.

        Yields:
            dict: A batch for ``model.test_step``.
        """

        def kind(item):
            return (item.get('img') is None, item.get('instruction_img')
                    is None)

        batch = []
        for item in items:
            if batch and (len(batch) == batch_size
                          or kind(item) != kind(batch[-1][0])):
                yield self.collate_fn([b for _, b in batch])
                batch = []
            batch.append((item, self.load_item(item, task)))
        if batch:
            yield self.collate_fn([b for _, b in batch])

    @torch.no_grad()
    def forward(self, inputs: dict, **kwargs) -> list:
        """``model.test_step`` of one batch."""
        return self.model.test_step(inputs)

    def extract_features(self,
                         items: List[dict],
                         task: str,
                         batch_size: int = 16) -> np.ndarray:
        """Encode items by the model's ``predict`` path.

        Args:
            items (list[dict]): As :meth:`load_item` takes.
            task (str): The task.
            batch_size (int): Items per batch. Defaults to 16.

        Returns:
            np.ndarray: ``(len(items), C)`` float32 features, in order.
        """
        task = normalize_task(task)
        bar = ProgressBar(len(items)) if self.show_progress else None
        feats = []
        for data in self.preprocess(items, batch_size, task):
            samples = self.forward(data)
            feats.extend(s.pred_feature.float().cpu() for s in samples)
            self.num_encoded += len(samples)
            if bar is not None:
                bar.update(len(samples))
        if bar is not None:
            print()
        return torch.stack(feats).numpy()

    # -------------------------------------------------------- queries
    def _instruction_item(self, instruction, task: str, where: str) -> dict:
        if instruction is None:
            if task == 'li':
                raise ValueError(f'{where}: the li task needs a text '
                                 'describing the target clothes')
            if task == 'ctcc':
                raise ValueError(f'{where}: the ctcc task needs a clothes '
                                 'image (path or array)')
            return dict(instruction=self.fixed_instruction(task))
        if isinstance(instruction, np.ndarray) or \
                _is_image_path(instruction):
            return dict(instruction_img=instruction)
        if isinstance(instruction, str):
            if is_image_file(instruction):
                raise FileNotFoundError(
                    f'{where}: instruction image {instruction} not found')
            return dict(instruction=instruction)
        raise TypeError(f'{where}: an instruction is a text, an image path '
                        f'or array, or None; got {type(instruction)}')

    def query_items(self, queries, task: str, instruction=None) -> List:
        """Items of the queries with their instructions.

        Args:
            queries: As :meth:`__call__` takes.
            task (str): The task.
            instruction: One for all queries or a list, as
                :meth:`__call__` takes.

        Returns:
            list[dict]: As :meth:`load_item` takes.
        """
        task = normalize_task(task)
        if isinstance(queries, (str, np.ndarray)):
            queries = [queries]
        queries = list(queries)
        if not queries:
            raise ValueError('queries is empty')
        if task == 't2i':
            if instruction is not None:
                raise ValueError('t2i queries are captions: the caption is '
                                 'the instruction; pass instruction=None')
            for i, query in enumerate(queries):
                if not isinstance(query, str) or not query.strip():
                    raise ValueError(f'queries[{i}]: a t2i query is a '
                                     f'caption (text), got {query!r:.60}')
            return [dict(img=None, instruction=q) for q in queries]
        for i, query in enumerate(queries):
            if isinstance(query, str) and not osp.isfile(query):
                raise FileNotFoundError(f'queries[{i}]: image {query} not '
                                        'found')
            if not isinstance(query, (str, np.ndarray)):
                raise TypeError(f'queries[{i}]: expected an image path or '
                                f'array, got {type(query).__name__}')
        if isinstance(instruction, (list, tuple)):
            if len(instruction) != len(queries):
                raise ValueError(
                    f'{len(instruction)} instructions for {len(queries)} '
                    'queries; give one instruction or one per query')
            instructions = list(instruction)
        else:
            instructions = [instruction] * len(queries)
        if self.instruction_blind:
            if any(i is not None for i in instructions):
                print_log(
                    'The model is instruction-blind: the instructions are '
                    'not used.',
                    logger='current',
                    level=30)
            return [dict(img=q) for q in queries]
        return [
            dict(
                img=q, **self._instruction_item(i, task, f'instruction[{n}]'))
            for n, (q, i) in enumerate(zip(queries, instructions))
        ]

    # -------------------------------------------------------- gallery
    def _gallery_records(self, gallery, task: str) -> Tuple[List, bool]:
        """``(records, from_dataset)`` of a folder, list or dataset
        config."""
        if isinstance(gallery, str):
            if not osp.isdir(gallery):
                raise FileNotFoundError(
                    f'gallery {gallery} is not a folder; give a folder of '
                    'images, a list of paths, a dataset config or a '
                    'GalleryIndex')
            paths = list_images(gallery, recursive=True)
            if not paths:
                raise ValueError(f'gallery folder {gallery} holds no image')
            return [dict(img_path=p) for p in paths], False
        if isinstance(gallery, dict):
            cfg = copy.deepcopy(dict(gallery))
            cfg['pipeline'] = []
            dataset = DATASETS.build(cfg)
            records = [dataset.get_data_info(i) for i in range(len(dataset))]
            tasks = {
                normalize_task(r['task'])
                for r in records if r.get('task')
            }
            if tasks and tasks != {task}:
                raise ValueError(f'the gallery dataset holds task(s) '
                                 f'{sorted(tasks)}, the search is for {task}')
            if not records or any(r.get('img_path') is None for r in records):
                raise ValueError('the gallery dataset must hold images '
                                 '(its gallery subset)')
            return records, True
        if isinstance(gallery, (list, tuple)):
            for i, path in enumerate(gallery):
                if not isinstance(path, str) or not osp.isfile(path):
                    raise FileNotFoundError(
                        f'gallery[{i}]: image {path!r} not found')
            return [dict(img_path=p) for p in gallery], False
        raise TypeError('gallery must be a folder, a list of image paths, a '
                        'dataset config or a GalleryIndex, not '
                        f'{type(gallery).__name__}')

    def _gallery_instructions(self, records: List[dict], from_dataset: bool,
                              task: str, policy) -> Tuple[str, List]:
        """``(policy name, [(text, instruction image path)] per item)``."""
        num = len(records)
        if self.instruction_blind or task == 't2i':
            if not (isinstance(policy, str) and policy in ('auto', 'none')):
                raise ValueError(
                    'gallery_instruction must be "auto" or "none" for ' +
                    ('t2i' if task == 't2i' else 'an instruction-blind model'
                     ) + ', whose gallery images take no instruction')
            return 'none', [(None, None)] * num
        if isinstance(policy, (list, tuple)):
            if len(policy) != num:
                raise ValueError(
                    f'gallery_instruction has {len(policy)} entries for '
                    f'{num} gallery images; expected one per image')
            return 'per-image', [
                self._gallery_instruction(p, f'gallery_instruction[{i}]')
                for i, p in enumerate(policy)
            ]
        if not isinstance(policy, str):
            raise TypeError('gallery_instruction must be a policy name, a '
                            'text, an image path or a list of them')
        if policy == 'none':
            raise ValueError('gallery_instruction="none" is only for t2i '
                             'and instruction-blind models')
        if policy == 'auto':
            policy = 'dataset' if from_dataset else 'fixed'
        if policy == 'dataset':
            if not from_dataset:
                raise ValueError('gallery_instruction="dataset" needs a '
                                 'dataset config as the gallery')
            pairs = [(r.get('instruction'), r.get('instruction_img_path'))
                     for r in records]
            missing = [i for i, p in enumerate(pairs) if p == (None, None)]
            if missing:
                raise ValueError(f'gallery record {missing[0]} has no '
                                 'instruction (text or image)')
            return 'dataset', pairs
        if policy == 'fixed':
            text = self.fixed_instruction(task) or NEUTRAL_INSTRUCTION
            return 'fixed', [(text, None)] * num
        return 'given', [
            self._gallery_instruction(policy, 'gallery_instruction')
        ] * num

    @staticmethod
    def _gallery_instruction(value, where: str) -> Tuple:
        if _is_image_path(value):
            return None, value
        if isinstance(value, str) and value.strip():
            if is_image_file(value):
                raise FileNotFoundError(f'{where}: image {value} not found')
            return value, None
        raise TypeError(f'{where}: a gallery instruction is a text or an '
                        f'image path, got {value!r:.60}')

    def _cache_key(self, task: str, policy: str, paths: List[str],
                   instructions: List) -> str:
        parts = dict(
            format=CACHE_FORMAT,
            library=__version__,
            weights=weights_hash(self.model),
            model=self.cfg.model.to_dict(),
            pipeline=self._task_pipeline(task)[2],
            task=task,
            policy=policy)
        return hash_parts(parts, cache_parts(paths, instructions))

    def gallery_features(self,
                         gallery,
                         task: str = 'trad',
                         gallery_instruction='auto',
                         batch_size: int = 16) -> Tuple:
        """Features of a gallery, from the cache when it holds them.

        Args:
            gallery (str | list | dict): A folder (image files found
                recursively, sorted by path), a list of image paths or a
                dataset config.
            task (str): The task. Defaults to ``'trad'``.
            gallery_instruction: The policy (see the class doc). Defaults
                to ``'auto'``.
            batch_size (int): Items per batch. Defaults to 16.

        Returns:
            tuple: ``(features (N, C) float32, records, policy name)``;
            records hold ``img_path`` and, for a dataset, its labels.
        """
        task = normalize_task(task)
        records, from_dataset = self._gallery_records(gallery, task)
        policy, instructions = self._gallery_instructions(
            records, from_dataset, task, gallery_instruction)
        paths = [r['img_path'] for r in records]
        key = None
        if self.cache is not None:
            key = self._cache_key(task, policy, paths, instructions)
            feats = self.cache.load(key, paths)
            if feats is not None:
                print_log(
                    f'{len(paths)} gallery features read from '
                    f'{self.cache.path(key)}',
                    logger='current')
                return feats, records, policy
        items = [
            dict(img=p, instruction=text, instruction_img=img)
            for p, (text, img) in zip(paths, instructions)
        ]
        feats = self.extract_features(items, task, batch_size)
        if key is not None:
            self.cache.save(key, feats, paths)
        return feats, records, policy

    def build_gallery_index(self,
                            gallery,
                            task: str = 'trad',
                            gallery_instruction='auto',
                            batch_size: int = 16,
                            **index_kwargs) -> GalleryIndex:
        """A :class:`GalleryIndex` of a gallery, searched with the
        evaluator's distance of the task; keep it to search many times, or
        pass ``backend='faiss-ivfpq'`` for millions of images.

        Args:
            gallery, task, gallery_instruction, batch_size: As
                :meth:`gallery_features`.
            **index_kwargs: :class:`GalleryIndex` arguments (``backend``,
                ``chunk_size``, ``nlist``, ...); not ``metric``.

        Returns:
            GalleryIndex: With ``meta`` holding the task, the policy,
            whether features are L2-normalised and the labels of a dataset.
        """
        task = normalize_task(task)
        feats, records, policy = self.gallery_features(gallery, task,
                                                       gallery_instruction,
                                                       batch_size)
        metric, normalize = self.search_metric(task)
        if normalize:
            feats = l2_normalize(feats)
        labels = {
            key: [r.get(key) for r in records]
            for key in ('pid', 'camid', 'clothes_id') if all(
                isinstance(r.get(key), (int, np.integer)) for r in records)
        }
        meta = dict(
            task=task,
            gallery_instruction=policy,
            normalize=normalize,
            labels={
                k: [int(x) for x in v]
                for k, v in labels.items()
            })
        return GalleryIndex(
            feats,
            paths=[r['img_path'] for r in records],
            metric=metric,
            meta=meta,
            **index_kwargs)

    # ----------------------------------------------------------- call
    def __call__(self,
                 queries,
                 gallery,
                 task: str = 'trad',
                 instruction=None,
                 topk: int = 10,
                 batch_size: int = 16,
                 show_dir: Optional[str] = None,
                 gallery_instruction='auto') -> List[List[dict]]:
        """Retrieve the ``topk`` gallery items of every query.

        Args:
            queries (str | np.ndarray | list): Image paths or BGR arrays, or
                for ``t2i`` captions; one or a list.
            gallery (str | list | dict | GalleryIndex): A folder, a list of
                image paths, a dataset config, or an index from
                :meth:`build_gallery_index` (searched with its own metric).
            task (str): Any spelling of a task. Defaults to ``'trad'``.
            instruction: A text, a clothes image (path or BGR array) or None
                (the task's fixed text), for all queries, or a list of
                them, one per query.
            topk (int): Matches per query. Defaults to 10.
            batch_size (int): Items per batch. Defaults to 16.
            show_dir (str, optional): Write one rank-list PNG per query
                there (:func:`save_rank_list`). Defaults to None.
            gallery_instruction: Gallery instruction policy (class doc).
                Defaults to ``'auto'``.

        Returns:
            list[list[dict]]: Per query, its matches best first: ``index``
            (in the gallery), ``img_path``, ``score`` (higher = more
            similar) and, for a dataset gallery, ``pid``, ``camid`` and
            ``clothes_id``.
        """
        task = normalize_task(task)
        items = self.query_items(queries, task, instruction)
        if isinstance(gallery, GalleryIndex):
            index = gallery
            stored = index.meta.get('task')
            if stored is not None and stored != task:
                raise ValueError(f'the GalleryIndex was built for task '
                                 f'{stored}, the search is for {task}')
        else:
            index = self.build_gallery_index(gallery, task,
                                             gallery_instruction, batch_size)
        q_feats = self.extract_features(items, task, batch_size)
        if index.meta.get('normalize'):
            q_feats = l2_normalize(q_feats)
        scores, indices = index.search(q_feats, topk)
        results = self.postprocess(scores, indices, index)
        if show_dir is not None:
            self.visualize(items, results, show_dir=show_dir, topk=topk)
        return results

    def postprocess(self, scores: np.ndarray, indices: np.ndarray,
                    index: GalleryIndex) -> List[List[dict]]:
        """JSON-able matches of :meth:`GalleryIndex.search` results.

        Args:
            scores, indices (np.ndarray): ``(Q, k)`` search results.
            index (GalleryIndex): The searched index.

        Returns:
            list[list[dict]]: As :meth:`__call__` returns.
        """
        labels = index.meta.get('labels', {})
        results = []
        for row_scores, row_indices in zip(scores, indices):
            matches = []
            for score, idx in zip(row_scores, row_indices):
                if idx < 0:  # an approximate search found fewer items
                    continue
                match = dict(
                    index=int(idx),
                    img_path=None if index.paths is None else index.paths[idx],
                    score=float(score))
                for key, values in labels.items():
                    match[key] = values[idx]
                matches.append(match)
            results.append(matches)
        return results

    def visualize(self,
                  items: List[dict],
                  results: List[List[dict]],
                  show_dir: str,
                  topk: Optional[int] = None) -> List[str]:
        """Write one rank-list PNG per query into ``show_dir``:
        ``<query number>_<image name or 'caption'>.png``.

        Args:
            items (list[dict]): The query items (:meth:`query_items`).
            results (list[list[dict]]): :meth:`__call__` results.
            show_dir (str): The folder.
            topk (int, optional): Matches drawn. Defaults to all.

        Returns:
            list[str]: The files written.
        """
        from mmreid_instruct.visualization import save_rank_list
        files = []
        for i, (item, matches) in enumerate(zip(items, results)):
            query, name = item.get('img'), 'caption'
            if query is None:
                query = item['instruction']
                instruction = None
            else:
                if isinstance(query, str):
                    name = osp.splitext(osp.basename(query))[0]
                else:
                    query, name = query[..., ::-1], 'array'
                instruction = item.get('instruction_img')
                if isinstance(instruction, np.ndarray):
                    instruction = instruction[..., ::-1]
                elif instruction is None:
                    instruction = item.get('instruction')
            path = osp.join(show_dir, f'{i:03d}_{name}.png')
            files.append(
                save_rank_list(path, query, matches, instruction, topk))
        return files
