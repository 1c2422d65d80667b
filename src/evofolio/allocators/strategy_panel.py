"""The strategy panel: every classic rule's decisions, held weights and daily returns.

Model 2 reads it and the baselines come from it, so it is computed once per (data, settings)
and cached on disk as parquet, keyed by a hash of the prices and of every setting.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evofolio.allocators.classic import ClassicAllocator
from evofolio.backtest import BacktestResult, TradingRules, run_period

logger = logging.getLogger(__name__)

CACHE_VERSION = "1"
StepCallback = Callable[[str], None]


def default_cache_dir() -> Path:
    """``$EVOFOLIO_CACHE_DIR``, else ``$XDG_CACHE_HOME/evofolio``, else ``~/.cache/evofolio``."""
    if "EVOFOLIO_CACHE_DIR" in os.environ:
        return Path(os.environ["EVOFOLIO_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "evofolio"


@dataclass(frozen=True)
class StrategyPanel:
    """Per-strategy backtest results over one period (same dates for every strategy)."""

    results: dict[str, BacktestResult]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.results)

    def returns(self, net: bool = True) -> pd.DataFrame:
        """Daily returns, realisation dates × strategies."""
        column = "net" if net else "gross"
        return pd.DataFrame({n: getattr(r, column) for n, r in self.results.items()})

    def turnover(self) -> pd.DataFrame:
        """Daily one-way turnover, realisation dates × strategies."""
        return pd.DataFrame({n: r.turnover for n, r in self.results.items()})

    def held(self) -> dict[str, pd.DataFrame]:
        """Each strategy's weights held after each close (dates × assets)."""
        return {n: r.held for n, r in self.results.items()}


def panel_key(
    prices: pd.DataFrame,
    names: Sequence[str],
    window: int,
    rules: TradingRules,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> str:
    """A hash of the prices and every setting that changes the panel."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(prices.to_numpy(dtype=np.float64)).tobytes())
    digest.update(prices.index.asi8.tobytes() if hasattr(prices.index, "asi8") else b"")
    settings = [
        CACHE_VERSION,
        list(prices.columns),
        list(names),
        window,
        repr(rules),
        str(start),
        str(end),
    ]
    digest.update(json.dumps(settings, default=str).encode())
    return digest.hexdigest()[:20]


def _long(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = [frame.assign(strategy=name) for name, frame in frames.items()]
    out = pd.concat(parts)
    out.index.name = "date"
    return out.reset_index()


def _split(frame: pd.DataFrame, names: Sequence[str]) -> dict[str, pd.DataFrame]:
    out = {}
    for name in names:
        part = frame[frame["strategy"] == name].drop(columns="strategy").set_index("date")
        part.index = pd.DatetimeIndex(part.index)
        out[name] = part
    return out


def save_panel(panel: StrategyPanel, directory: Path) -> None:
    """Write ``weights``, ``held`` and ``returns`` parquet files (long: a strategy column)."""
    results = panel.results
    _long({n: r.weights for n, r in results.items()}).to_parquet(directory / "weights.parquet")
    _long({n: r.held for n, r in results.items()}).to_parquet(directory / "held.parquet")
    _long({n: r.returns_frame() for n, r in results.items()}).to_parquet(
        directory / "returns.parquet"
    )


def load_panel(directory: Path, names: Sequence[str]) -> StrategyPanel:
    """Read a panel written by :func:`save_panel`."""
    weights = _split(pd.read_parquet(directory / "weights.parquet"), names)
    held = _split(pd.read_parquet(directory / "held.parquet"), names)
    returns = _split(pd.read_parquet(directory / "returns.parquet"), names)
    results = {}
    for name in names:
        r = returns[name]
        results[name] = BacktestResult(
            weights=weights[name],
            held=held[name],
            gross=r["gross"],
            net=r["net"],
            turnover=r["turnover"],
            costs=r["cost"],
        )
    return StrategyPanel(results)


def build_strategy_panel(
    prices: pd.DataFrame,
    names: Sequence[str],
    *,
    window: int = 252,
    rules: TradingRules = TradingRules(rebalance="monthly"),
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    cache_dir: Path | None = None,
    on_step: StepCallback | None = None,
) -> StrategyPanel:
    """Backtest every rule in ``names`` from ``start`` (default: the first date with a full
    window of returns) to ``end``; read from / write to the cache when ``cache_dir`` is given.
    """
    start = prices.index[window] if start is None else start
    end = prices.index[-1] if end is None else end
    directory = None
    if cache_dir is not None:
        directory = (
            Path(cache_dir) / "strategy_panel" / panel_key(prices, names, window, rules, start, end)
        )
        if (directory / "returns.parquet").is_file():
            logger.info("strategy panel read from cache %s", directory)
            return load_panel(directory, names)
    results = {}
    for name in names:
        factory = functools.partial(ClassicAllocator, name, window)
        results[name] = run_period(factory, prices, start, end, rules)
        if on_step is not None:
            on_step(name)
    panel = StrategyPanel(results)
    if directory is not None:
        _store(panel, directory)
    return panel


def _store(panel: StrategyPanel, directory: Path) -> None:
    """Write the panel into the cache atomically; a cache that cannot be written is not fatal."""
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory.parent))
    except OSError as error:
        logger.warning("could not cache the strategy panel in %s: %s", directory, error)
        return
    try:
        save_panel(panel, staging)
        staging.replace(directory)
    except OSError as error:
        logger.warning("could not cache the strategy panel in %s: %s", directory, error)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
