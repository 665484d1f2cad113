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
        >>> with preserved_random_state():
        ...     run_validation()  # does not disturb training randomness
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
    depends on nor changes the random state of the caller.

    Only the CPU generator of torch is seeded: a data pipeline does not use
    CUDA, and ``torch.manual_seed`` would also queue CUDA seeding, which is
    slow.

    Args:
        seed (int): The seed of the block.
    """
    with preserved_random_state():
        random.seed(seed)
        np.random.seed(seed % (2**32))
        torch.random.default_generator.manual_seed(seed)
        yield
