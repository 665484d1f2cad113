"""Generate SynthOmniReID: render the images and write the lists.

The dataset is built in a temporary sibling folder and renamed into place
in one step, so a reader never sees half a dataset and several processes
may generate the same folder at once: the first rename wins, the others
discard their copy. ``meta.json`` is written last.

A generation that is killed leaves its temporary folder behind; the next
generation next to it removes such stale folders (see
:func:`remove_stale_tmp_dirs`).
"""
import json
import logging
import os
import re
import shutil
import socket
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Dict, Optional, Union

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from .cameras import sample_shot
from .layout import CAPTION_FILE, META_FILE, Assets, ImageKey, list_file
from .presets import resolve_preset
from .render import crop_clothes, render_person, render_template
from .splits import SUBSETS, TASKS, build_lists
from .text import caption_person, describe_outfit
from .world import World, build_world, rng_for

#: A temporary folder of another host (or of an older version, whose name
#: does not say its host) is stale when it has not changed for this long.
STALE_TMP_AGE_S = 7 * 24 * 3600

#: Version of the generator; changes whenever its output changes.
GENERATOR_VERSION = '1.1'

_MODALITY_INDEX = {'rgb': 0, 'ir': 1}
_PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 3]

logger = logging.getLogger(__name__)


def _image_rng(seed: int, key: ImageKey) -> np.random.Generator:
    return rng_for(seed, 'image', key.pid, key.slot, key.cam, key.k,
                   _MODALITY_INDEX[key.modality])


def _shot(world: World, params: dict, seed: int, key: ImageKey):
    """The shot of an image and the generator that continues after it."""
    rng = _image_rng(seed, key)
    shot = sample_shot(rng, world.cameras[key.cam], params['occlusion_prob'],
                       params['pose_jitter'])
    return shot, rng


class _Writer:
    """Writes files under a root, creating folders on the way."""

    def __init__(self, root: Path):
        self.root = root
        self._dirs = set()

    def _path(self, rel: str) -> Path:
        path = self.root / rel
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        return path

    def png(self, rel: str, rgb: np.ndarray) -> None:
        ok, buf = cv2.imencode('.png', cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                               _PNG_PARAMS)
        if not ok:
            raise RuntimeError(f'Could not encode {rel} as PNG.')
        self._path(rel).write_bytes(buf.tobytes())

    def text(self, rel: str, text: str) -> None:
        self._path(rel).write_text(text, encoding='utf-8', newline='\n')

    def json(self, rel: str, obj) -> None:
        self.text(
            rel,
            json.dumps(obj, sort_keys=True, indent=1, ensure_ascii=True) +
            '\n')


def _render_images(writer: _Writer, world: World, params: dict, seed: int,
                   assets: Assets) -> None:
    # On stderr: stdout may carry a summary (make_synth_omnireid --json).
    progress = ProgressBar(
        len(assets.images) + len(assets.templates), file=sys.stderr)
    for key in sorted(assets.images):
        shot, rng = _shot(world, params, seed, key)
        image, info = render_person(world.identities[key.pid],
                                    world.outfit_of(key.pid, key.slot),
                                    world.cameras[key.cam], shot, rng,
                                    params['image_size'], key.modality,
                                    params['colour_jitter'])
        writer.png(assets.image(key), image)
        if key in assets.crops:
            writer.png(
                assets.crop(key),
                crop_clothes(image, info['clothes_box'],
                             params['clothes_size']))
        progress.update()
    for cid in sorted(assets.templates):
        writer.png(
            assets.template(cid),
            render_template(world.outfits[cid], params['clothes_size']))
        progress.update()
    sys.stderr.write('\n')


def _captions(world: World, params: dict, seed: int,
              assets: Assets) -> Dict[str, str]:
    captions = {}
    for cid, variant in sorted(assets.descriptions):
        text = describe_outfit(world.outfits[cid],
                               rng_for(seed, 'text', 0, cid, variant))
        captions[assets.description(cid, variant)] = text
    for key, variant in sorted(assets.captions):
        shot, _ = _shot(world, params, seed, key)
        rng = rng_for(seed, 'text', 1, key.pid, key.slot, key.cam, key.k,
                      variant)
        captions[assets.caption(key, variant)] = caption_person(
            world.identities[key.pid], world.outfit_of(key.pid, key.slot),
            shot, rng)
    return captions


def _count(rows) -> dict:
    return dict(
        rows=len(rows),
        ids=len({r.pid
                 for r in rows}),
        images=len({r.image
                    for r in rows}),
        clothes=len({r.clothes_id
                     for r in rows}))


def _build(root: Path, name: str, params: dict, seed: int) -> dict:
    """Write a complete dataset into ``root``; returns its meta data."""
    world = build_world(params, seed)
    assets = Assets(world.wardrobes)
    lists = build_lists(world, params, assets, seed)
    writer = _Writer(root)
    logger.info('SynthOmniReID: rendering %d images.', len(assets.images))
    _render_images(writer, world, params, seed, assets)
    captions = _captions(world, params, seed, assets)
    writer.json(CAPTION_FILE, captions)
    for task in TASKS:
        for subset in SUBSETS:
            lines = ''.join(row.line() + '\n' for row in lists[task][subset])
            writer.text(list_file(subset, task), lines)
    modalities = [key.modality for key in assets.images]
    meta = dict(
        dataset='SynthOmniReID',
        generator_version=GENERATOR_VERSION,
        preset=name,
        seed=int(seed),
        params=params,
        ids=dict(
            train=len(world.train_ids),
            test=len(world.test_ids),
            distractor=len(world.distractor_ids)),
        num_cameras=len(world.cameras),
        num_outfits=len(world.outfits),
        files=dict(
            rgb_images=modalities.count('rgb'),
            ir_images=modalities.count('ir'),
            clothes_crops=len(assets.crops),
            garment_templates=len(assets.templates),
            captions=len(captions)),
        counts={
            task: {
                subset: _count(lists[task][subset])
                for subset in SUBSETS
            }
            for task in TASKS
        })
    # Round-trip through JSON so the returned summary equals the file.
    meta = json.loads(json.dumps(meta))
    writer.json(META_FILE, meta)
    return meta


def _tmp_dir(out: Path) -> Path:
    """A new temporary sibling of ``out``, named after this host and
    process so that a later run can tell whether it is still written."""
    host = socket.gethostname().replace('/', '_')
    return out.parent / (f'.{out.name}.tmp-{host}-{os.getpid()}-'
                         f'{uuid.uuid4().hex}')


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_tmp_dirs(out_dir: Union[str, Path]) -> list:
    """Remove the temporary folders that killed generations of ``out_dir``
    left next to it.

    A temporary folder is named ``.<name>.tmp-<host>-<pid>-<uuid>``. It is
    stale when its process is gone: ``<host>`` is this machine and no
    process ``<pid>`` runs. A folder of another host (a shared file system)
    cannot be checked that way, so it counts as stale only when it has not
    changed for :data:`STALE_TMP_AGE_S` (a week); so does a folder of an
    older version, named ``.<name>.tmp-<pid>-<uuid>``. Folders of running
    generations are kept, so several processes may still generate at once.

    Args:
        out_dir (str | Path): The dataset folder (it need not exist).

    Returns:
        list[Path]: The folders removed.
    """
    out = Path(out_dir)
    if not out.parent.is_dir():
        return []
    pattern = re.compile(rf'\.{re.escape(out.name)}\.tmp-(?:(?P<host>.+)-)?'
                         r'(?P<pid>[0-9]+)-[0-9a-f]{32}')
    host = socket.gethostname().replace('/', '_')
    removed = []
    for path in out.parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match is None or not path.is_dir():
            continue
        if match['host'] == host:
            stale = not _pid_alive(int(match['pid']))
        else:
            try:
                stale = time.time() - path.stat().st_mtime > STALE_TMP_AGE_S
            except FileNotFoundError:  # removed meanwhile
                continue
        if stale:
            logger.warning(
                'SynthOmniReID: removing %s, left by a generation that was '
                'killed.', path)
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def read_meta(out_dir: Union[str, Path]) -> Optional[dict]:
    """The meta data of a complete SynthOmniReID folder, else None.

    Args:
        out_dir (str | Path): Dataset folder.

    Returns:
        dict | None: The content of ``meta.json``; None when the folder is
        missing or incomplete.
    """
    meta_file = Path(out_dir) / META_FILE
    if not meta_file.is_file():
        return None
    with open(meta_file, encoding='utf-8') as f:
        return json.load(f)


def meta_differences(meta: dict, preset: Union[str, dict], seed: int) -> list:
    """What makes a generated dataset differ from a request.

    Args:
        meta (dict): The dataset's ``meta.json`` (see :func:`read_meta`).
        preset (str | dict): The requested preset.
        seed (int): The requested seed.

    Returns:
        list[str]: The differing ``meta.json`` keys among ``preset``,
        ``seed``, ``params`` and ``generator_version``; empty when the
        dataset is what the request would generate.
    """
    name, params = resolve_preset(preset)
    wanted = dict(
        preset=name,
        seed=int(seed),
        params=json.loads(json.dumps(params)),
        generator_version=GENERATOR_VERSION)
    return sorted(k for k in wanted if meta.get(k) != wanted[k])


def _warn_if_different(out: Path, meta: dict, preset, seed: int) -> None:
    differs = meta_differences(meta, preset, seed)
    if differs:
        warnings.warn(
            f'{out} already holds a SynthOmniReID dataset whose {differs} '
            'differ from the request; it is left as it is. Remove it or '
            'choose another folder to generate a new one.')


def generate_synth_omnireid(out_dir: Union[str, Path],
                            preset: Union[str, dict] = 'tiny',
                            seed: int = 0) -> dict:
    """Generate the SynthOmniReID benchmark into ``out_dir``.

    Writes person images (RGB and infrared), clothes crops, garment
    templates, the train/query/gallery lists of the six tasks in the
    official Instruct-ReID list format, ``datalist/captions.json`` and
    ``meta.json``. The same preset and seed give byte-identical files. If
    ``out_dir`` already holds a complete dataset it is left untouched (with
    a warning if it was made with other settings). Temporary folders that
    killed generations left next to ``out_dir`` are removed first (see
    :func:`remove_stale_tmp_dirs`); a progress bar on stderr follows the
    rendering.

    Args:
        out_dir (str | Path): Folder to create. Missing parents are made.
        preset (str | dict): ``'tiny'``, ``'small'``, ``'full'`` or a dict
            of overrides (see :func:`resolve_preset`). Defaults to
            ``'tiny'``.
        seed (int): Random seed. Defaults to 0.

    Returns:
        dict: The summary written to ``meta.json``: preset, seed, params,
        file counts and ``counts[task][subset]`` with the numbers of
        ``rows``, ``ids``, ``images`` and ``clothes`` ids of each list.

    Example:
        >>> summary = generate_synth_omnireid('data/synth_omnireid_tiny')
        >>> summary['counts']['trad']['train']['ids']
        32
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or seed < 0:
        raise ValueError(f'seed must be a non-negative int, got {seed!r}.')
    name, params = resolve_preset(preset)
    out = Path(out_dir)
    remove_stale_tmp_dirs(out)
    meta = read_meta(out)
    if meta is not None:
        _warn_if_different(out, meta, preset, seed)
        return meta
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(
            f'out_dir {str(out)!r} exists but is not a complete '
            f'SynthOmniReID dataset (no {META_FILE}); remove it or choose '
            f'another folder.')
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_dir(out)
    try:
        tmp.mkdir()
        meta = _build(tmp, name, params, int(seed))
        try:
            os.rename(tmp, out)
        except OSError:
            # Another process finished first: keep its copy.
            existing = read_meta(out)
            if existing is None:
                raise
            _warn_if_different(out, existing, preset, seed)
            meta = existing
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return meta
