"""Tolerances that follow the scale of what is compared, for float32 results of two code paths.

Two code paths that compute the same thing (checkpointed or not, grouped or in one pass,
streamed or whole) differ by round-off, and how much depends on the machine: the BLAS kernels
(MKL on Intel, on AMD, oneDNN, OpenBLAS) sum in other orders, with other vector widths, for
other batch sizes. An entry's round-off is a few units in the last place of the *largest*
terms summed into it, not of the entry itself: a gradient of 1e-8 summed from terms of 0.1 is
off by ~1e-8, and one that is mathematically zero (the bias of a projection shared by all
assets, under a shift-invariant softmax) is pure round-off. A fixed absolute tolerance such
as 1e-7 is then below float32's round-off of the big entries, and fails on some machines.

:func:`assert_close_scaled` allows ``rtol * (|expected| + scale)`` per entry, with ``scale``
the largest magnitude of the reference tensor (or of a group of tensors, see :func:`max_abs`):
an absolute tolerance set by the tensor's scale plus a relative one. With ``rtol=1e-5``
(about 80 float32 units in the last place of the largest entry) any material difference,
such as a wrong state, a lost group or another parameter, still fails by orders of magnitude.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

TINY = float(np.finfo(np.float32).tiny)
"""The least scale: a reference of zeros must then be matched (almost) exactly."""


def _as_float64(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().to(torch.float64).numpy()
    return np.asarray(value, dtype=np.float64)


def max_abs(tensors: Iterable[Any]) -> float:
    """The largest magnitude over all entries of ``tensors`` (the scale of a whole gradient,
    over all of a model's parameters), at least :data:`TINY`."""
    return max([TINY, *(float(np.abs(_as_float64(t)).max(initial=0.0)) for t in tensors)])


def assert_close_scaled(
    actual: Any, expected: Any, *, rtol: float, scale: float | None = None, msg: str = ""
) -> None:
    """Assert ``|actual - expected| <= rtol * (|expected| + scale)`` entry by entry.

    ``scale`` defaults to the largest ``|expected|`` (at least :data:`TINY`); pass
    ``max_abs(...)`` of a group of tensors where an entry's round-off follows the scale of
    the group (each parameter's gradient, summed from the same terms as the others).
    Tensors (or arrays) must have the same shape, and tensors the same dtype; NaNs fail.
    """
    if isinstance(actual, torch.Tensor) and isinstance(expected, torch.Tensor):
        assert actual.dtype == expected.dtype, f"{msg}: dtype {actual.dtype} != {expected.dtype}"
    got, want = _as_float64(actual), _as_float64(expected)
    assert got.shape == want.shape, f"{msg}: shape {got.shape} != {want.shape}"
    if scale is None:
        scale = max_abs([want])
    atol = rtol * max(scale, TINY)
    np.testing.assert_allclose(
        got,
        want,
        rtol=rtol,
        atol=atol,
        equal_nan=False,
        err_msg=f"{msg} (scale {scale:.3e}: atol {atol:.3e}, rtol {rtol:.1e})",
    )
