"""One place where a seed becomes random generators, so seeded CPU runs repeat exactly."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's legacy and torch's global generators; return a fresh one.

    Call it before building a model (its initial weights come from torch's global
    generator) and use the returned CPU ``torch.Generator`` for everything the training
    loop draws itself (the order of chunks). Dropout draws from the global generator,
    which this call also seeds. On CPU, with the same thread count, the same seed gives
    bit-identical results.

    Args:
        seed: a non-negative integer.

    Returns:
        A CPU ``torch.Generator`` seeded with ``seed``.
    """
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    generator = torch.Generator(device="cpu")
    generator.manual_seed(seed)
    return generator
