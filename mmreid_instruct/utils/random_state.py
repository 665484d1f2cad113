"""Capture, restore and isolate the global random states."""
import contextlib
import random

import numpy as np
import torch


def get_random_state() -> dict:
    """Return the global random states of Python, NumPy and torch.

    The result holds only built-in types and tensors, so it can be stored
    in a checkpoint that loads with ``torch.load(weights_only=True)``.

    Returns:
        dict: Keys ``python``, ``numpy``, ``torch`` and, when CUDA is
        initialised, ``cuda``.

    Example:
        >>> sorted(get_random_state())[:3]
        ['numpy', 'python', 'torch']
    """
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=(kind, keys.tolist(), int(pos), int(has_gauss), float(cached)),
        torch=torch.random.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_random_state(state: dict) -> None:
    """Restore the states returned by :func:`get_random_state`.

    Args:
        state (dict): A dict from :func:`get_random_state`.

    Example:
        >>> import random
        >>> state = get_random_state()
        >>> first = random.random()
        >>> set_random_state(state)
        >>> random.random() == first
        True
    """
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state(
        (kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.random.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


@contextlib.contextmanager
def preserved_random_state():
    """Run a block and then put the global random states back as they were.

    Example:
        >>> import torch
        >>> state = torch.random.get_rng_state()
        >>> with preserved_random_state():
        ...     _ = torch.rand(3)
        >>> torch.equal(torch.random.get_rng_state(), state)
        True
    """
    state = get_random_state()
    try:
        yield
    finally:
        set_random_state(state)


@contextlib.contextmanager
def seeded_random_state(seed: int):
    """Run a block with Python, NumPy and torch seeded by ``seed``.

    The global states are restored afterwards, so the block neither
    depends on nor changes the random state of the caller. Only the CPU
    generator of torch is seeded.

    Args:
        seed (int): The seed of the block.

    Example:
        >>> import random
        >>> with seeded_random_state(7):
        ...     a = random.random()
        >>> with seeded_random_state(7):
        ...     b = random.random()
        >>> a == b
        True
    """
    with preserved_random_state():
        random.seed(seed)
        np.random.seed(seed % (2**32))
        # Not torch.manual_seed: it would also queue the seeding of CUDA,
        # which is slow, and data pipelines do not use CUDA.
        torch.random.default_generator.manual_seed(seed)
        yield
