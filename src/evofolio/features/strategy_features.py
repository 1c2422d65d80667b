"""Causal per-strategy performance features: what Model 2 reads (layer 2, numpy/pandas only).

Model 2 reads how the M classic strategies of the strategy panel have been behaving. Every
feature here is a function of :class:`StrategyInputs`, two frames (dates × strategies) aligned
on the date at whose close the information is known:

* ``returns``: each strategy's net return *realised* at *t* (close *t-1* to close *t*), i.e.
  the panel's ``returns()`` row *t*;
* ``turnover``: the one-way turnover each strategy *trades at the close of t*. The panel stores
  turnover by realisation date (its row *t+1* holds the trade made at the close of *t*), so
  reading it would take a row after *t*. :func:`strategy_inputs` recomputes it from rows up to
  *t* instead: ``sum |held(t) - drift(held(t-1))|``, the drift using the asset returns of *t*.
  This equals the panel's turnover row *t+1* wherever that row exists.

A feature maps ``StrategyInputs -> DataFrame`` on the same dates and strategies; its first
``warmup`` rows are NaN and the value at *t* uses input rows up to *t* only. ``drawdown``
compounds from the first input row, so it depends on where the inputs start (callers give the
same start in training and allocation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evofolio.errors import ConfigError, DataError, InsufficientHistoryError
from evofolio.features.base import TRADING_DAYS
from evofolio.features.panel import FeaturePanel

_MIN_STD = 1e-12


@dataclass(frozen=True)
class StrategyInputs:
    """Per-strategy inputs on information dates (see the module docstring).

    Attributes:
        returns: ``(T, M)`` net returns realised at each date.
        turnover: ``(T, M)`` one-way turnover traded at each date's close.
    """

    returns: pd.DataFrame
    turnover: pd.DataFrame

    def __post_init__(self) -> None:
        if not (
            self.returns.index.equals(self.turnover.index)
            and self.returns.columns.equals(self.turnover.columns)
        ):
            raise ValueError("returns and turnover must share dates and strategies")


StrategyFeatureFn = Callable[[StrategyInputs], pd.DataFrame]


@dataclass(frozen=True)
class StrategyFeature:
    """One per-strategy, per-day feature (``warmup``: NaN rows before the first value)."""

    name: str
    fn: StrategyFeatureFn
    warmup: int
    description: str


def traded_turnover(held: pd.DataFrame, prices: pd.DataFrame) -> pd.Series:
    """One-way turnover traded at each date's close, from held weights and prices up to it.

    ``held`` (dates × assets) are the weights after trading at each close; the weights before
    the trade at *t* are ``held(t-1)`` drifted with the asset returns of *t* (cash, the part of
    ``held`` not invested, earns nothing, as in the backtest). The first date is NaN.
    """
    missing = held.index.difference(prices.index)
    if len(missing):
        raise DataError(f"the strategy panel has a date without prices: {missing[0].date()}")
    px = prices.loc[held.index, held.columns].to_numpy(dtype=np.float64)
    h = held.to_numpy(dtype=np.float64)
    out = np.full(len(h), np.nan)
    if len(h) > 1:
        growth = h[:-1] * (px[1:] / px[:-1])
        gross = growth.sum(axis=1) - h[:-1].sum(axis=1)
        drifted = growth / (1.0 + gross)[:, None]
        out[1:] = np.abs(h[1:] - drifted).sum(axis=1)
    return pd.Series(out, index=held.index)


def strategy_inputs(
    returns: pd.DataFrame, held: Mapping[str, pd.DataFrame], prices: pd.DataFrame
) -> StrategyInputs:
    """Align a strategy panel's rows into :class:`StrategyInputs`.

    Args:
        returns: ``(dates, M)`` net returns by realisation date (``StrategyPanel.returns()``).
        held: per strategy, the held weights (dates × assets) after each close.
        prices: asset prices covering the held dates (for the drift of the held weights).

    Returns:
        Inputs on the dates that have a return and a held row before them.
    """
    names = list(returns.columns)
    turnover = pd.DataFrame({name: traded_turnover(held[name], prices) for name in names})
    dates = returns.index.intersection(turnover.index[1:])
    return StrategyInputs(returns.loc[dates, names], turnover.loc[dates, names])


def ret_1(inputs: StrategyInputs) -> pd.DataFrame:
    """Daily net return realised at *t*."""
    return inputs.returns.copy()


def vol_21(inputs: StrategyInputs) -> pd.DataFrame:
    """Annualised volatility of the last 21 daily returns (ddof 1)."""
    return inputs.returns.rolling(21).std() * np.sqrt(TRADING_DAYS)


def drawdown(inputs: StrategyInputs) -> pd.DataFrame:
    """Running drawdown of the compounded net-return curve (0 at a new high, else < 0)."""
    wealth = (1.0 + inputs.returns).cumprod()
    return wealth / wealth.cummax() - 1.0


def sharpe_63(inputs: StrategyInputs) -> pd.DataFrame:
    """Annualised Sharpe ratio of the last 63 daily returns (0 when they do not vary)."""
    rolling = inputs.returns.rolling(63)
    mean, std = rolling.mean(), rolling.std()
    ratio = mean / std.where(std > _MIN_STD) * np.sqrt(TRADING_DAYS)
    return ratio.where(std.isna() | (std > _MIN_STD), 0.0)


def turnover(inputs: StrategyInputs) -> pd.DataFrame:
    """One-way turnover traded at the close of *t* (known at *t*: the strategy decided it)."""
    return inputs.turnover.copy()


STRATEGY_FEATURES: dict[str, StrategyFeature] = {
    f.name: f
    for f in (
        StrategyFeature("ret_1", ret_1, 0, "daily net return of the strategy"),
        StrategyFeature("vol_21", vol_21, 20, "21-day annualised volatility"),
        StrategyFeature("drawdown", drawdown, 0, "running drawdown of the strategy"),
        StrategyFeature("sharpe_63", sharpe_63, 62, "63-day annualised Sharpe ratio"),
        StrategyFeature("turnover", turnover, 0, "one-way turnover traded at the close"),
    )
}


def resolve_strategy_features(names: Sequence[str] | None) -> tuple[str, ...]:
    """Validate a selection of strategy features (``None``: all, registry order)."""
    if names is None:
        return tuple(STRATEGY_FEATURES)
    chosen = tuple(names)
    unknown = [name for name in chosen if name not in STRATEGY_FEATURES]
    if not chosen or unknown or len(set(chosen)) != len(chosen):
        raise ConfigError(
            f"strategy features {list(chosen)}: choose distinct names among "
            f"{sorted(STRATEGY_FEATURES)}"
        )
    return chosen


def build_strategy_panel_features(
    inputs: StrategyInputs, names: Sequence[str] | None = None
) -> FeaturePanel:
    """The ``(T - w, M, F)`` float32 panel of strategy features (``assets`` = strategies).

    The first ``w`` rows (the longest warm-up of the chosen features) are dropped, not
    masked; every remaining value is finite.
    """
    chosen = resolve_strategy_features(names)
    warmup = max(STRATEGY_FEATURES[name].warmup for name in chosen)
    n_dates, n_strategies = inputs.returns.shape
    if n_dates <= warmup:
        raise InsufficientHistoryError(
            f"strategy features need more than {warmup} dates of strategy returns, got {n_dates}"
        )
    values = np.empty((n_dates - warmup, n_strategies, len(chosen)), dtype=np.float32)
    for j, name in enumerate(chosen):
        block = STRATEGY_FEATURES[name].fn(inputs).to_numpy(dtype=np.float64)[warmup:]
        if not np.isfinite(block).all():
            row, col = np.argwhere(~np.isfinite(block))[0]
            raise DataError(
                f"strategy feature {name!r} is not finite for {inputs.returns.columns[col]!r} "
                f"on {inputs.returns.index[warmup + row].date()}"
            )
        values[:, :, j] = block
    return FeaturePanel(
        values=values,
        dates=pd.DatetimeIndex(inputs.returns.index[warmup:]),
        assets=tuple(str(c) for c in inputs.returns.columns),
        names=chosen,
    )
