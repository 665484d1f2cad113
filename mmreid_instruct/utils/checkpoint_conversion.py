"""Key mappings and file handling shared by ``tools/model_converters/``.

The converters turn checkpoints of other code bases (PASS, ALBEF, the
official Instruct-ReID code) into state dicts with the module names of
:class:`~mmreid_instruct.models.InstructReID`. The facts they rely on are in
``docs/en/user_guides/official_checkpoints.md``.
"""
import argparse
import math
import os
import os.path as osp
import re
from typing import Dict, Iterable, List, Optional, Tuple

import torch
import torch.nn.functional as F

StateDict = Dict[str, torch.Tensor]

#: timm-style ViT block names -> mmpretrain ``TransformerEncoderLayer``.
VIT_BLOCK_KEYS = {
    'norm1': 'ln1',
    'attn.qkv': 'attn.qkv',
    'attn.proj': 'attn.proj',
    'norm2': 'ln2',
    'mlp.fc1': 'ffn.layers.0.0',
    'mlp.fc2': 'ffn.layers.1',
}

#: Classes a foreign checkpoint may hold besides what our own checkpoints
#: hold: ``argparse.Namespace`` (training arguments saved next to the
#: weights). Unpickling it only sets attributes; nothing is called.
FOREIGN_SAFE_GLOBALS = [argparse.Namespace]


def load_foreign_checkpoint(path: str) -> dict:
    """Read a checkpoint of another code base with ``weights_only=True``.

    On top of what :func:`~mmreid_instruct.engine.runner.checkpoint.
    load_checkpoint_file` allows (tensors, built-in types, NumPy arrays and
    scalars), ``argparse.Namespace`` objects are accepted. Any other object
    is refused with an error naming it; the file is never unpickled with
    ``weights_only=False``.

    Args:
        path (str): The file.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: No such file.
        CheckpointLoadError: Unreadable, or it holds objects outside the
            allow-list (the message says how to extract the weights).

    Example:
        >>> import argparse, os.path as osp, tempfile
        >>> path = osp.join(tempfile.mkdtemp(), 'pass.pth')
        >>> torch.save({'teacher': {'w': torch.ones(1)},
        ...             'args': argparse.Namespace(lr=0.1)}, path)
        >>> ckpt = load_foreign_checkpoint(path)
        >>> ckpt['args'].lr, ckpt['teacher']['w']
        (0.1, tensor([1.]))
    """
    from mmreid_instruct.engine.runner.checkpoint import (CheckpointLoadError,
                                                          load_checkpoint_file)
    try:
        with torch.serialization.safe_globals(FOREIGN_SAFE_GLOBALS):
            return load_checkpoint_file(path)
    except CheckpointLoadError as error:
        raise CheckpointLoadError(
            f'{error} If you trust the file, extract its weights in a '
            'separate Python session (e.g. torch.save({"model": '
            'ckpt["model"]}, "weights.pth") after loading it there) and '
            'convert that file.') from None


#: Keys under which checkpoints keep their state dict.
STATE_DICT_KEYS = ('state_dict', 'model')


def find_state_dict(checkpoint: dict,
                    keys: Iterable[str] = STATE_DICT_KEYS) -> StateDict:
    """The state dict inside a checkpoint: the first of ``keys`` that holds
    a dict, else the checkpoint itself.

    Example:
        >>> find_state_dict({'model': {'w': 1}, 'epoch': 3})
        {'w': 1}
    """
    for key in keys:
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def strip_prefix(state_dict: StateDict, prefix: str) -> StateDict:
    """Remove ``prefix`` from the keys that start with it.

    Example:
        >>> strip_prefix({'module.a': 1, 'b': 2}, 'module.')
        {'a': 1, 'b': 2}
    """
    return {
        (k[len(prefix):] if k.startswith(prefix) else k): v
        for k, v in state_dict.items()
    }


def convert_vit_keys(state_dict: StateDict, src: str, dst: str,
                     used: set) -> StateDict:
    """Map a timm-style ViT (``patch_embed.proj``, ``blocks.N.*``,
    ``norm``) under ``src`` to mmpretrain's names under ``dst``.

    ``cls_token`` and ``pos_embed`` are not handled here (their layout
    differs between code bases). Every key read is added to ``used``.

    Args:
        state_dict (dict): The source.
        src (str): Source prefix, e.g. ``'visual_encoder.'``.
        dst (str): Destination prefix, e.g. ``'backbone.'``.
        used (set): Collects the source keys read.

    Returns:
        dict: The mapped tensors.

    Example:
        >>> sd = {'vit.blocks.0.mlp.fc1.weight': torch.ones(2, 2),
        ...       'vit.norm.bias': torch.zeros(2)}
        >>> sorted(convert_vit_keys(sd, 'vit.', 'backbone.', set()))
        ['backbone.layers.0.ffn.layers.0.0.weight', 'backbone.ln1.bias']
    """
    out = {}
    block = re.compile(re.escape(src) + r'blocks\.(\d+)\.(.+)\.(weight|bias)$')
    for key, value in state_dict.items():
        if not key.startswith(src):
            continue
        name = key[len(src):]
        match = block.match(key)
        if match and match.group(2) in VIT_BLOCK_KEYS:
            index, part, kind = match.groups()
            out[f'{dst}layers.{index}.{VIT_BLOCK_KEYS[part]}.{kind}'] = value
        elif name.startswith('patch_embed.proj.'):
            out[dst + 'patch_embed.projection.' +
                name[len('patch_embed.proj.'):]] = value
        elif name in ('norm.weight', 'norm.bias'):
            out[dst + 'ln1.' + name[len('norm.'):]] = value
        else:
            continue
        used.add(key)
    return out


def resize_grid_pos_embed(pos_embed: torch.Tensor,
                          src_grid: Tuple[int, int],
                          dst_grid: Tuple[int, int],
                          num_extra_tokens: int = 1,
                          mode: str = 'bicubic') -> torch.Tensor:
    """Resize the position embeddings of a patch grid, keeping the first
    ``num_extra_tokens`` rows (CLS) unchanged.

    The grid rows are interpolated as a 2-D (H, W) map with
    ``F.interpolate(mode, align_corners=False)``, as ALBEF and the official
    Instruct-ReID code do.

    Args:
        pos_embed (Tensor): (1, num_extra_tokens + H*W, C).
        src_grid (tuple[int, int]): (H, W) of the source grid.
        dst_grid (tuple[int, int]): (H', W') of the result.
        num_extra_tokens (int): Leading rows that are not grid rows.
            Defaults to 1.
        mode (str): Interpolation mode. Defaults to ``'bicubic'``.

    Returns:
        Tensor: (1, num_extra_tokens + H'*W', C).

    Example:
        >>> pe = torch.randn(1, 1 + 16 * 16, 8)
        >>> out = resize_grid_pos_embed(pe, (16, 16), (8, 8))
        >>> out.shape, torch.equal(out[:, 0], pe[:, 0])
        (torch.Size([1, 65, 8]), True)
    """
    extra = pos_embed[:, :num_extra_tokens]
    grid = pos_embed[:, num_extra_tokens:]
    if grid.shape[1] != src_grid[0] * src_grid[1]:
        raise ValueError(f'pos_embed has {grid.shape[1]} grid rows, not '
                         f'{src_grid[0]}x{src_grid[1]}')
    if tuple(src_grid) == tuple(dst_grid):
        return pos_embed
    C = grid.shape[-1]
    grid = grid.reshape(1, *src_grid, C).permute(0, 3, 1, 2)
    grid = F.interpolate(
        grid.float(), size=tuple(dst_grid), mode=mode, align_corners=False)
    grid = grid.permute(0, 2, 3, 1).reshape(1, -1, C).to(pos_embed.dtype)
    return torch.cat([extra, grid], dim=1)


def square_grid(rows: int, what: str) -> Tuple[int, int]:
    """(n, n) for ``rows == n * n``, else an error naming ``what``."""
    n = math.isqrt(rows)
    if n * n != rows:
        raise ValueError(f'{what}: {rows} grid rows are not a square grid')
    return n, n


def check_all_used(state_dict: StateDict, used: set, dropped: List[str],
                   source: str) -> None:
    """Raise if a source key was neither converted nor deliberately
    dropped (``dropped``: regular expressions).

    Example:
        >>> check_all_used({'a': 1, 'fc.w': 2}, {'a'}, [r'fc\\.'], 'x.pth')
    """
    patterns = [re.compile(p) for p in dropped]
    left = sorted(
        k for k in state_dict
        if k not in used and not any(p.match(k) for p in patterns))
    if left:
        shown = ', '.join(left[:10]) + (' ...' if len(left) > 10 else '')
        raise ValueError(f'{source}: {len(left)} keys have no counterpart '
                         f'and are not known to be droppable: {shown}')


def save_converted(state_dict: StateDict,
                   path: str,
                   meta: dict,
                   force: bool = False) -> None:
    """Write ``{'state_dict': ..., 'meta': ...}`` to ``path`` atomically.

    Args:
        state_dict (dict): The converted tensors.
        path (str): The output file; its folder is created.
        meta (dict): Plain data describing the conversion.
        force (bool): Replace an existing file. Defaults to False.

    Raises:
        FileExistsError: ``path`` exists and ``force`` is False.

    Example:
        >>> import os.path as osp, tempfile
        >>> path = osp.join(tempfile.mkdtemp(), 'out', 'x.pth')
        >>> save_converted({'w': torch.ones(1)}, path, {'source': 'test'})
        >>> save_converted({'w': torch.ones(1)}, path, {})
        Traceback (most recent call last):
        ...
        FileExistsError: ... exists; give --force to replace it
    """
    from mmreid_instruct.engine.runner.checkpoint import atomic_replace
    if osp.exists(path) and not force:
        raise FileExistsError(f'{path} exists; give --force to replace it')
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(path)}.tmp')
    torch.save(
        dict(
            state_dict={
                k: v.contiguous()
                for k, v in state_dict.items()
            },
            meta=meta), tmp)
    atomic_replace(tmp, path)


def bert_keys(state_dict: StateDict,
              src: str,
              dst: str,
              used: set,
              layers: Optional[range] = None) -> StateDict:
    """Map a Hugging Face-named BERT (``embeddings.*``,
    ``encoder.layer.N.*``) under ``src`` to ``dst``; ``layers`` selects the
    layers (embeddings always come along, their ``position_ids`` buffer
    never). Every key read is added to ``used``.

    Example:
        >>> sd = {'t.bert.embeddings.position_ids': torch.arange(3),
        ...       't.bert.embeddings.LayerNorm.bias': torch.zeros(2),
        ...       't.bert.encoder.layer.7.output.dense.bias': torch.zeros(2)}
        >>> sorted(bert_keys(sd, 't.bert.', 'enc.', set(), range(6)))
        ['enc.embeddings.LayerNorm.bias']
    """
    out = {}
    layer = re.compile(re.escape(src) + r'encoder\.layer\.(\d+)\.')
    for key, value in state_dict.items():
        if not key.startswith(src):
            continue
        name = key[len(src):]
        match = layer.match(key)
        if match:
            if layers is not None and int(match.group(1)) not in layers:
                continue
        elif not name.startswith('embeddings.'):
            continue
        used.add(key)
        if name == 'embeddings.position_ids':
            continue
        out[dst + name] = value
    return out


def convert_pass_vit(state_dict: StateDict,
                     src: str,
                     dst: str,
                     used: set,
                     grid: Tuple[int, int] = (16, 8)) -> StateDict:
    """Map a PASS ViT (TransReID layout: ``cls_token``, ``part_token{1,2,3}``,
    ``cls_pos``, ``part{1,2,3}_pos``, ``pos_embed`` of the patches only) to
    :class:`~mmreid_instruct.models.backbones.PASSVisionTransformer`.

    ``pos_embed`` becomes ``cat(cls_pos, pos_embed)``; the part tokens and
    their position embeddings are stacked into ``part_tokens`` and
    ``part_pos_embed``. A patch grid other than ``grid`` is resized
    bilinearly, as the official code does when it loads PASS weights (its
    source grid has twice as many rows as columns).

    Args:
        state_dict (dict): The source.
        src (str): Source prefix, e.g. ``'visual_encoder.'`` or ``''``.
        dst (str): Destination prefix, e.g. ``'backbone.'``.
        used (set): Collects the source keys read.
        grid (tuple[int, int]): (H, W) patch grid of the model. Defaults to
            (16, 8), a 256x128 image in 16x16 patches.

    Returns:
        dict: The mapped tensors.

    Example:
        >>> C = 4
        >>> sd = {k: torch.randn(1, 1, C) for k in (
        ...     'cls_token', 'cls_pos', 'part_token1', 'part_token2',
        ...     'part_token3', 'part1_pos', 'part2_pos', 'part3_pos')}
        >>> sd['pos_embed'] = torch.randn(1, 128, C)
        >>> out = convert_pass_vit(sd, '', 'backbone.', set())
        >>> out['backbone.pos_embed'].shape, out['backbone.part_tokens'].shape
        (torch.Size([1, 129, 4]), torch.Size([1, 3, 4]))
    """
    out = convert_vit_keys(state_dict, src, dst, used)

    def take(name):
        key = src + name
        if key not in state_dict:
            raise KeyError(f'PASS ViT key {key!r} is missing')
        used.add(key)
        return state_dict[key]

    out[dst + 'cls_token'] = take('cls_token')
    patches = take('pos_embed')
    rows = patches.shape[1]
    if rows != grid[0] * grid[1]:
        height = math.isqrt(rows * 2)
        src_grid = (height, height // 2)
        patches = resize_grid_pos_embed(
            patches, src_grid, grid, num_extra_tokens=0, mode='bilinear')
    out[dst + 'pos_embed'] = torch.cat([take('cls_pos'), patches], dim=1)
    parts = sorted(
        int(m.group(1))
        for m in (re.match(re.escape(src) + r'part_token(\d+)$', k)
                  for k in state_dict) if m)
    if parts:
        out[dst + 'part_tokens'] = torch.cat(
            [take(f'part_token{i}') for i in parts], dim=1)
        out[dst + 'part_pos_embed'] = torch.cat(
            [take(f'part{i}_pos') for i in parts], dim=1)
    return out


def convert_albef_vit(state_dict: StateDict, src: str, dst: str, used: set,
                      grid: Tuple[int, int]) -> StateDict:
    """Map an ALBEF / timm ViT (``cls_token``, ``pos_embed`` with the CLS
    row first) to mmpretrain's ``VisionTransformer``, resizing the position
    embeddings of the (square) source grid to ``grid`` bicubically, the CLS
    row kept.

    Example:
        >>> sd = {'v.cls_token': torch.zeros(1, 1, 4),
        ...       'v.pos_embed': torch.randn(1, 257, 4)}
        >>> out = convert_albef_vit(sd, 'v.', 'enc.', set(), (8, 8))
        >>> out['enc.pos_embed'].shape
        torch.Size([1, 65, 4])
    """
    out = convert_vit_keys(state_dict, src, dst, used)
    for name in ('cls_token', 'pos_embed'):
        if src + name not in state_dict:
            raise KeyError(f'ViT key {src + name!r} is missing')
        used.add(src + name)
    out[dst + 'cls_token'] = state_dict[src + 'cls_token']
    pos_embed = state_dict[src + 'pos_embed']
    src_grid = square_grid(pos_embed.shape[1] - 1, src + 'pos_embed')
    out[dst + 'pos_embed'] = resize_grid_pos_embed(pos_embed, src_grid, grid)
    return out


#: Layers of the ALBEF / official BERT from which on every layer has
#: cross-attention to the image tokens (``fusion_layer`` of its config).
FUSION_LAYER = 6

#: Text-to-image modules of ALBEF and of the official model (which holds
#: the same modules) that map one to one: (source prefix, destination
#: prefix). The BERTs and their MLM heads are mapped by
#: :func:`albef_t2i_parts`.
T2I_PREFIXES = (
    ('itm_head.', 't2i_head.itm_head.'),
    ('mrtd_head.', 't2i_head.mrtd_head.'),
    ('text_proj_m.', 't2i_head.momentum_text_proj.'),
)

#: Single tensors of the text-to-image training state: the learnable
#: temperature and the queues, under ``t2i_head.``.
T2I_KEYS = ('temp', 'image_queue', 'text_queue', 'idx_queue', 'queue_ptr')


def bert_layers(state_dict: StateDict, src: str, dst: str, used: set,
                start: int) -> StateDict:
    """Map the BERT layers ``src{N}.*`` with ``N >= start`` to
    ``dst{N - start}.*``, names within a layer unchanged (the Hugging Face
    names that :class:`~mmreid_instruct.models.fusions.CrossModalEncoder`
    mirrors). Every key read is added to ``used``.

    Example:
        >>> sd = {'bert.encoder.layer.5.output.dense.bias': torch.zeros(2),
        ...       'bert.encoder.layer.7.crossattention.self.key.weight':
        ...       torch.zeros(2, 2)}
        >>> list(bert_layers(sd, 'bert.encoder.layer.', 'fusion.layers.',
        ...                  set(), start=6))
        ['fusion.layers.1.crossattention.self.key.weight']
    """
    out = {}
    layer = re.compile(re.escape(src) + r'(\d+)\.(.+)$')
    for key, value in state_dict.items():
        match = layer.match(key)
        if match and int(match.group(1)) >= start:
            out[f'{dst}{int(match.group(1)) - start}.{match.group(2)}'] = value
            used.add(key)
    return out


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal shapes and, unless on the meta device, equal values."""
    if a.shape != b.shape:
        return False
    return a.is_meta or b.is_meta or torch.equal(a, b)


def mlm_head_keys(state_dict: StateDict, src: str, dst: str,
                  word_embeddings: str, used: set) -> StateDict:
    """Map BERT's MLM head (``src`` = ``'<model>.cls.predictions.'``:
    ``transform.*``, ``bias``, ``decoder.{weight,bias}``) to
    :class:`~mmreid_instruct.models.heads.MaskedLMHead` (``transform.*``,
    ``bias``) under ``dst``.

    The decoder of BERT's MLM head is tied: ``decoder.weight`` is the word
    embedding matrix and ``decoder.bias`` is ``bias``. ``MaskedLMHead``
    takes the word embeddings at call time, so the decoder is checked to be
    tied (equal values) and dropped.

    Args:
        state_dict (dict): The source.
        src (str): Prefix of the head, e.g.
            ``'text_encoder.cls.predictions.'``.
        dst (str): Destination prefix, e.g. ``'t2i_head.mlm_head.'``.
        word_embeddings (str): Key of the word embeddings of the same BERT.
        used (set): Collects the source keys read.

    Returns:
        dict: The mapped tensors (``transform.*`` and ``bias``).

    Raises:
        KeyError: A key of the head is missing.
        ValueError: The decoder is not tied.

    Example:
        >>> emb = torch.randn(5, 2)
        >>> sd = {'m.bert.embeddings.word_embeddings.weight': emb,
        ...       'm.cls.predictions.bias': torch.zeros(5),
        ...       'm.cls.predictions.decoder.weight': emb.clone(),
        ...       'm.cls.predictions.decoder.bias': torch.zeros(5),
        ...       'm.cls.predictions.transform.dense.weight':
        ...       torch.zeros(2, 2)}
        >>> sorted(mlm_head_keys(sd, 'm.cls.predictions.', 'mlm.',
        ...                      'm.bert.embeddings.word_embeddings.weight',
        ...                      set()))
        ['mlm.bias', 'mlm.transform.dense.weight']
    """
    out = {}
    for key, value in state_dict.items():
        if key.startswith(src + 'transform.'):
            out[dst + key[len(src):]] = value
            used.add(key)
    tied = {'decoder.weight': word_embeddings, 'decoder.bias': src + 'bias'}
    for name, tied_to in tied.items():
        for needed in (src + name, tied_to):
            if needed not in state_dict:
                raise KeyError(f'MLM head key {needed!r} is missing')
        if not _same(state_dict[src + name], state_dict[tied_to]):
            raise ValueError(
                f'{src + name} differs from {tied_to}: the MLM decoder is '
                'expected to be tied to it (MaskedLMHead ties them)')
        used.add(src + name)
    out[dst + 'bias'] = state_dict[src + 'bias']
    used.add(src + 'bias')
    return out


def albef_t2i_parts(state_dict: StateDict,
                    used: set,
                    optional: Iterable[str] = (),
                    fusion_layer: int = FUSION_LAYER) -> StateDict:
    """The text-to-image parts of an ALBEF-style state dict (ALBEF, or the
    official Instruct-ReID model) under the names of
    :class:`~mmreid_instruct.models.heads.ALBEFT2IHead` in ``t2i_head.``.

    - online BERT layers ``fusion_layer`` and up (self- and
      cross-attention): ``text_encoder.bert.encoder.layer.N.*`` ->
      ``fusion_encoder.layers.{N - fusion_layer}.*``;
    - online MLM head ``text_encoder.cls.predictions`` -> ``mlm_head``
      (tied decoder checked and dropped, see :func:`mlm_head_keys`);
    - momentum BERT ``text_encoder_m.bert``: embeddings and layers below
      ``fusion_layer`` -> ``momentum_text_encoder.*`` (Hugging Face names),
      the others -> ``momentum_fusion_encoder.layers.*``; its MLM head ->
      ``momentum_mlm_head``;
    - :data:`T2I_PREFIXES` and :data:`T2I_KEYS` (ITM and MRTD heads, the
      momentum text projection, temperature, queues).

    The online text layers below ``fusion_layer`` and the projections are
    not mapped here (they belong to the text encoder and to the head's
    ``img_proj`` / ``text_proj``).

    Args:
        state_dict (dict): The source, without a ``module.`` prefix.
        used (set): Collects the source keys read.
        optional (Iterable[str]): Source prefixes or keys of
            :data:`T2I_PREFIXES` / :data:`T2I_KEYS` that may be absent
            (ALBEF has no ``idx_queue`` and no ``mrtd_head.``); any other
            absent one raises ``KeyError``.
        fusion_layer (int): First layer with cross-attention. Defaults to
            :data:`FUSION_LAYER`.

    Returns:
        dict: The mapped tensors.

    Example:
        >>> emb = torch.randn(5, 2)
        >>> sd = {
        ...     'text_encoder.bert.embeddings.word_embeddings.weight': emb,
        ...     'text_encoder.cls.predictions.bias': torch.zeros(5),
        ...     'text_encoder.cls.predictions.decoder.weight': emb,
        ...     'text_encoder.cls.predictions.decoder.bias': torch.zeros(5),
        ...     'text_encoder.bert.encoder.layer.6.crossattention.self.'
        ...     'query.bias': torch.zeros(2)}
        >>> sd.update({k.replace('text_encoder.', 'text_encoder_m.'): v
        ...            for k, v in sd.items()})
        >>> sd.update({'itm_head.bias': torch.zeros(2),
        ...            'text_proj_m.bias': torch.zeros(2),
        ...            'temp': torch.tensor(0.07)})
        >>> for k in sorted(albef_t2i_parts(
        ...         sd, set(), optional=('mrtd_head.', 'image_queue',
        ...                              'text_queue', 'idx_queue',
        ...                              'queue_ptr'))):
        ...     print(k)
        t2i_head.fusion_encoder.layers.0.crossattention.self.query.bias
        t2i_head.itm_head.bias
        t2i_head.mlm_head.bias
        t2i_head.momentum_fusion_encoder.layers.0.crossattention.self.query.bias
        t2i_head.momentum_mlm_head.bias
        t2i_head.momentum_text_encoder.embeddings.word_embeddings.weight
        t2i_head.momentum_text_proj.bias
        t2i_head.temp
    """
    optional = set(optional)
    dst = 't2i_head.'
    out = bert_layers(state_dict, 'text_encoder.bert.encoder.layer.',
                      dst + 'fusion_encoder.layers.', used, fusion_layer)
    out.update(
        mlm_head_keys(state_dict, 'text_encoder.cls.predictions.',
                      dst + 'mlm_head.',
                      'text_encoder.bert.embeddings.word_embeddings.weight',
                      used))
    out.update(
        bert_keys(state_dict, 'text_encoder_m.bert.',
                  dst + 'momentum_text_encoder.', used, range(fusion_layer)))
    out.update(
        bert_layers(state_dict, 'text_encoder_m.bert.encoder.layer.',
                    dst + 'momentum_fusion_encoder.layers.', used,
                    fusion_layer))
    out.update(
        mlm_head_keys(state_dict, 'text_encoder_m.cls.predictions.',
                      dst + 'momentum_mlm_head.',
                      'text_encoder_m.bert.embeddings.word_embeddings.weight',
                      used))
    for src, to in T2I_PREFIXES:
        found = [k for k in state_dict if k.startswith(src)]
        if not found and src not in optional:
            raise KeyError(f'no key starts with {src!r}')
        for key in found:
            out[to + key[len(src):]] = state_dict[key]
            used.add(key)
    for key in T2I_KEYS:
        if key in state_dict:
            out[dst + key] = state_dict[key]
            used.add(key)
        elif key not in optional:
            raise KeyError(f'key {key!r} is missing')
    return out
