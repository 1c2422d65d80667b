"""Device selection and seeding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from evofolio.errors import ConfigError
from evofolio.training import seed_everything, select_device


def test_cpu_and_auto() -> None:
    assert select_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert select_device().type == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present")
def test_missing_cuda_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="CUDA is not available"):
        select_device("cuda")


def test_unknown_preference() -> None:
    with pytest.raises(ConfigError, match="unknown preference"):
        select_device("tpu")


def test_seed_everything_repeats() -> None:
    g1 = seed_everything(7)
    a = (torch.rand(3), np.random.rand(), torch.rand(2, generator=g1))
    g2 = seed_everything(7)
    b = (torch.rand(3), np.random.rand(), torch.rand(2, generator=g2))
    assert torch.equal(a[0], b[0]) and a[1] == b[1] and torch.equal(a[2], b[2])
    with pytest.raises(ValueError):
        seed_everything(-1)
