"""Uncertainty of Sharpe ratios: a robust difference test and a bootstrap interval.

Both work on aligned series of simple periodic returns (daily by default) and report
**annualised** figures (per-period value times ``sqrt(P)``) on the convention of
:func:`evofolio.metrics.performance.sharpe_ratio` (``mean / std(ddof=1)``, risk-free 0).
Resampled indices come from :mod:`arch.bootstrap`; everything else is vectorised numpy
over the ``(n_boot, T)`` index matrix, so one call on ``T = 1300`` days with
``n_boot = 2000`` takes about 0.1-0.2 s on one busy core.

* :func:`sharpe_difference_test`: Ledoit & Wolf (2008), "Robust performance hypothesis
  testing with the Sharpe ratio", Journal of Empirical Finance 15(5). The difference
  ``Delta = SR_a - SR_b`` is a smooth function ``f(u)`` of the moments
  ``u = (mean_a, mean_b, E[a^2], E[b^2])``; its standard error comes from the delta method,
  ``se = sqrt(grad f' Psi grad f / T)``, ``Psi`` the HAC long-run covariance of
  ``y_t = (a_t - mean_a, b_t - mean_b, a_t^2 - E[a^2], b_t^2 - E[b^2])`` (quadratic-spectral
  kernel, Andrews 1991 automatic bandwidth, as :class:`arch.covariance.kernel.QuadraticSpectral`;
  the paper also prewhitens, which is left out). The test is the paper's studentised
  circular block bootstrap (their section 3.2): in each resample of blocks of length ``b``
  the standard error is recomputed from the ``l = floor(T / b)`` whole blocks
  (``Psi* = mean_j zeta_j zeta_j'``, ``zeta_j`` the block sums of the centred ``y*`` over
  ``sqrt(b)``), the two-sided p-value of ``H0: Delta = 0`` is
  ``(1 + #{|Delta* - Delta| / se* >= |Delta| / se}) / (n_boot + 1)`` and the symmetric
  ``1 - alpha`` interval is ``Delta +- q * se``, ``q`` the ``1 - alpha`` quantile of
  ``|Delta* - Delta| / se*``.
* :func:`sharpe_confidence_interval`: percentile interval of the Sharpe ratio over
  stationary-bootstrap resamples (Politis & Romano 1994, random block lengths with the given
  mean). A percentile interval is the simple, transformation-respecting choice; it needs no
  standard error of each resample, and its coverage at ``T`` of a few years of daily data
  is close to that of the studentised one.

Block lengths, when not given, are the Politis & White (2004) automatic choice (with the
correction of Patton, Politis & White 2009), :func:`arch.bootstrap.optimal_block_length`,
applied to the statistic's **influence function**, the series whose mean drives it to first
order (``grad f' y_t``): a Sharpe ratio depends on squared returns as well as on returns, so
the block must be long enough for the volatility clustering that matters to it and no
longer. The circular column is used for the difference test, the stationary column for the
interval; the result is rounded up, at least 1 and at most ``T // 2``.

Undefined cases give nan figures, never an exception: a series with no dispersion (all
returns equal) has no Sharpe ratio. Two identical series give ``Delta = 0``, ``se = 0``,
the interval ``[0, 0]`` and ``p = 1``. Misuse (shapes, non-finite returns, fewer than
:data:`MIN_OBS` returns, ``alpha`` outside (0, 1), ``n_boot < 1``, a block length outside
``[1, T // 2]``) raises ``ValueError``: these are programming errors, not user input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from evofolio.metrics.performance import as_returns, sharpe_ratio
from evofolio.typing import FloatArray

if TYPE_CHECKING:  # arch is imported where a test runs (the search's workers never do)
    from arch.bootstrap import CircularBlockBootstrap, StationaryBootstrap

__all__ = [
    "MIN_OBS",
    "SharpeDifference",
    "SharpeInterval",
    "sharpe_confidence_interval",
    "sharpe_difference_test",
]

MIN_OBS = 8
"""Fewest returns either function accepts (two blocks of four)."""

NAN = float("nan")
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SharpeDifference:
    """Ledoit-Wolf test of ``SR_a - SR_b``: annualised difference, its ``1 - alpha`` interval,
    the two-sided p-value of equal Sharpe ratios, the HAC standard error (annualised), the
    circular block length in periods, the number of returns and of bootstrap resamples."""

    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    se: float
    block_length: int
    n_obs: int
    n_boot: int


@dataclass(frozen=True)
class SharpeInterval:
    """Annualised Sharpe ratio and its ``1 - alpha`` stationary-bootstrap percentile interval;
    ``block_length`` is the mean block length in periods, ``n_obs`` the number of returns."""

    sharpe: float
    low: float
    high: float
    block_length: float
    n_obs: int


def _check(r: npt.ArrayLike, name: str) -> FloatArray:
    x = as_returns(r, name=name)
    if x.size < MIN_OBS:
        raise ValueError(f"{name} needs at least {MIN_OBS} returns, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} has a non-finite return at position {np.argmin(np.isfinite(x))}")
    return x


def _check_aligned(a: object, b: object) -> None:
    """Two pandas objects must carry the same dates: row ``t`` of both is the same day."""
    index_a, index_b = getattr(a, "index", None), getattr(b, "index", None)
    if index_a is None or index_b is None or len(index_a) != len(index_b):
        return
    differs = np.flatnonzero(np.asarray(index_a != index_b))
    if differs.size:
        i = int(differs[0])
        raise ValueError(
            f"a and b are not aligned: row {i} is {index_a[i]} in a, {index_b[i]} in b"
        )


def _check_settings(alpha: float, n_boot: int) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")


def _sharpe_and_gradient(mean: FloatArray, second: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Population Sharpe ``m / sqrt(s - m^2)`` and its gradient in ``(m, s)``, elementwise."""
    var = np.maximum(second - mean**2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(var)
        sharpe = mean / sd
        cube = var * sd
        return sharpe, np.stack([second / cube, -0.5 * mean / cube])


def _block_length(influence: FloatArray, column: str, given: float | None) -> float:
    n = influence.size
    if given is None:
        from arch.bootstrap import optimal_block_length

        auto = float(optimal_block_length(influence)[column].iloc[0])
        return float(min(max(math.ceil(auto) if math.isfinite(auto) else 1, 1), n // 2))
    if not 1 <= given <= n // 2:
        raise ValueError(f"block_length must be in [1, {n // 2}] for {n} returns, got {given}")
    return float(given)


def _indices(bootstrap: CircularBlockBootstrap | StationaryBootstrap, n_boot: int) -> IntArray:
    """``(n_boot, T)`` resampled positions, drawn by ``arch``."""
    return np.stack([bootstrap.update_indices() for _ in range(n_boot)])


def _nan_difference(n_obs: int, n_boot: int) -> SharpeDifference:
    return SharpeDifference(NAN, NAN, NAN, NAN, NAN, 0, n_obs, n_boot)


def sharpe_difference_test(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    periods_per_year: int = 252,
    alpha: float = 0.10,
    n_boot: int = 2000,
    block_length: int | None = None,
    seed: int = 0,
) -> SharpeDifference:
    """Ledoit & Wolf (2008) test of equal Sharpe ratios of two aligned return series.

    ``a`` and ``b`` have shape ``(T,)`` and share their dates (row ``t`` of both is the same
    day; two pandas Series with different indexes are a ``ValueError``). ``difference`` is
    ``sharpe_ratio(a, P) - sharpe_ratio(b, P)``; ``se``, ``ci_low`` and ``ci_high`` are on
    the same annualised scale; ``p_value`` is two-sided. The
    circular block bootstrap draws ``n_boot`` resamples of blocks of ``block_length``
    periods (automatic when ``None``, see the module notes) from a generator seeded with
    ``seed``: the same inputs give the same numbers. nan figures when either series is flat.
    """
    from arch.bootstrap import CircularBlockBootstrap
    from arch.covariance.kernel import QuadraticSpectral

    _check_settings(alpha, n_boot)
    _check_aligned(a, b)
    x, y = _check(a, "a"), _check(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"a and b must have the same shape, got {x.shape} and {y.shape}")
    n = x.size
    if x.max() == x.min() or y.max() == y.min():
        return _nan_difference(n, n_boot)
    to_annual = math.sqrt(periods_per_year * (n - 1) / n)  # population -> ddof=1, annualised
    difference = sharpe_ratio(x, periods_per_year) - sharpe_ratio(y, periods_per_year)
    if np.array_equal(x, y):
        b_len = int(_block_length(x - x.mean(), "circular", block_length))
        return SharpeDifference(0.0, 0.0, 0.0, 1.0, 0.0, b_len, n, n_boot)

    pair = np.stack([x, y])  # (2, T)
    mean, second = pair.mean(axis=1), (pair**2).mean(axis=1)
    sharpe, grad = _sharpe_and_gradient(mean, second)
    delta = float(sharpe[0] - sharpe[1])
    gradient = np.array([grad[0, 0], -grad[0, 1], grad[1, 0], -grad[1, 1]])
    moments = np.column_stack([x - mean[0], y - mean[1], x**2 - second[0], y**2 - second[1]])
    psi = np.asarray(QuadraticSpectral(moments).cov.long_run)
    se = math.sqrt(max(float(gradient @ psi @ gradient), 0.0) / n)
    if not se > 0.0:
        return _nan_difference(n, n_boot)
    b_len = int(_block_length(moments @ gradient, "circular", block_length))

    rng = np.random.default_rng(seed)
    idx = _indices(CircularBlockBootstrap(b_len, x, seed=rng), n_boot)
    xs, ys = x[idx], y[idx]  # (n_boot, T)
    m_x, m_y = xs.mean(axis=1), ys.mean(axis=1)
    s_x, s_y = (xs * xs).mean(axis=1), (ys * ys).mean(axis=1)
    sr_x, g_x = _sharpe_and_gradient(m_x, s_x)
    sr_y, g_y = _sharpe_and_gradient(m_y, s_y)
    # The influence series grad*' (y*_t - mean y*), summed over whole blocks.
    z = (
        g_x[0][:, None] * (xs - m_x[:, None])
        - g_y[0][:, None] * (ys - m_y[:, None])
        + g_x[1][:, None] * (xs * xs - s_x[:, None])
        - g_y[1][:, None] * (ys * ys - s_y[:, None])
    )
    n_blocks = n // b_len
    zeta = z[:, : n_blocks * b_len].reshape(n_boot, n_blocks, b_len).sum(axis=2)
    se_star = np.sqrt(np.mean(zeta**2, axis=1) / b_len / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_star = np.abs(sr_x - sr_y - delta) / se_star
    t_star = np.where(np.isnan(t_star), 0.0, t_star)  # 0 / 0: a resample without dispersion
    p_value = (1.0 + np.count_nonzero(t_star >= abs(delta) / se)) / (n_boot + 1.0)
    half_width = float(np.quantile(t_star, 1.0 - alpha)) * se * to_annual
    return SharpeDifference(
        difference=difference,
        ci_low=difference - half_width,
        ci_high=difference + half_width,
        p_value=float(p_value),
        se=se * to_annual,
        block_length=b_len,
        n_obs=n,
        n_boot=n_boot,
    )


def sharpe_confidence_interval(
    r: npt.ArrayLike,
    *,
    periods_per_year: int = 252,
    alpha: float = 0.10,
    n_boot: int = 2000,
    block_length: float | None = None,
    seed: int = 0,
) -> SharpeInterval:
    """Annualised Sharpe ratio of ``r`` ``(T,)`` with a ``1 - alpha`` bootstrap interval.

    ``low`` and ``high`` are the ``alpha / 2`` and ``1 - alpha / 2`` quantiles of the
    Sharpe ratios of ``n_boot`` stationary-bootstrap resamples (Politis & Romano 1994) with
    mean block length ``block_length`` periods (Politis & White 2004 when ``None``), drawn
    from a generator seeded with ``seed``. nan figures when ``r`` is flat.
    """
    from arch.bootstrap import StationaryBootstrap

    _check_settings(alpha, n_boot)
    x = _check(r, "r")
    n = x.size
    if x.max() == x.min():
        return SharpeInterval(NAN, NAN, NAN, NAN, n)
    mean, second = x.mean(), float(np.mean(x * x))
    _, grad = _sharpe_and_gradient(np.array([mean]), np.array([second]))
    influence = grad[0, 0] * (x - mean) + grad[1, 0] * (x * x - second)
    b_len = _block_length(influence, "stationary", block_length)

    rng = np.random.default_rng(seed)
    # arch types block_size as int, but the stationary bootstrap uses it as a mean (1 / p).
    stationary = StationaryBootstrap(b_len, x, seed=rng)  # type: ignore[arg-type]
    xs = x[_indices(stationary, n_boot)]
    sd = xs.std(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpes = np.where(sd > 0.0, xs.mean(axis=1) / sd, np.nan) * math.sqrt(periods_per_year)
    low, high = np.nanquantile(sharpes, [alpha / 2.0, 1.0 - alpha / 2.0])
    return SharpeInterval(
        sharpe=sharpe_ratio(x, periods_per_year),
        low=float(low),
        high=float(high),
        block_length=b_len,
        n_obs=n,
    )
