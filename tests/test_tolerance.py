"""The tests' scale-aware comparison: round-off passes, material differences fail."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tolerance import assert_close_scaled, max_abs


def test_round_off_of_the_largest_entry_passes_on_the_small_ones() -> None:
    expected = torch.tensor([0.5, 1.5e-8, -0.25])
    actual = expected + torch.tensor([6e-8, 1.9e-7, -3e-8])  # the reported Intel case
    with pytest.raises(AssertionError):
        torch.testing.assert_close(actual, expected, rtol=1e-5, atol=1e-7)
    assert_close_scaled(actual, expected, rtol=1e-5)


def test_material_differences_fail() -> None:
    expected = torch.tensor([0.5, 1e-3, -0.25])
    with pytest.raises(AssertionError, match="scale 5.000e-01"):
        assert_close_scaled(expected * (1 + 1e-4), expected, rtol=1e-5)
    with pytest.raises(AssertionError):
        assert_close_scaled(expected + torch.tensor([0.0, 1e-5, 0.0]), expected, rtol=1e-5)
    with pytest.raises(AssertionError):
        assert_close_scaled(torch.tensor([1e-9]), torch.zeros(1), rtol=1e-5)  # zeros: exact


def test_a_group_scale_covers_a_mathematically_zero_tensor() -> None:
    big, zero = torch.tensor([0.6, -0.2]), torch.tensor([4.5e-8])
    noisy = torch.tensor([1.2e-7])
    with pytest.raises(AssertionError):
        assert_close_scaled(noisy, zero, rtol=1e-5)  # its own scale is round-off
    scale = max_abs([big, zero])
    assert scale == pytest.approx(0.6)
    assert_close_scaled(noisy, zero, rtol=1e-5, scale=scale)
    with pytest.raises(AssertionError):
        assert_close_scaled(torch.tensor([1e-5]), zero, rtol=1e-5, scale=scale)


def test_shapes_dtypes_and_nans_are_checked() -> None:
    with pytest.raises(AssertionError, match="shape"):
        assert_close_scaled(torch.zeros(2, 1), torch.zeros(2), rtol=1e-5)
    with pytest.raises(AssertionError, match="dtype"):
        assert_close_scaled(torch.zeros(2, dtype=torch.float64), torch.zeros(2), rtol=1e-5)
    with pytest.raises(AssertionError):
        assert_close_scaled(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), rtol=1e-5)
