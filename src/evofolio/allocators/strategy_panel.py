"""The strategy panel: every classic rule's decisions, held weights and daily returns.

Model 2 reads it and the baselines come from it, so it is computed once per (data, settings)
and cached on disk as parquet, keyed by a hash of the prices and of every setting. The rules'
aggregated warnings (zero-variance assets, fallbacks) are cached with it and logged again when
the panel is read from the cache, so a second run is not quieter than the first.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evofolio.allocators.classic import ClassicAllocator, rule_warnings
from evofolio.allocators.classic_compute import remember
from evofolio.backtesting import (
    DELISTING_COLUMNS,
    FALLBACK_COLUMNS,
    BacktestResult,
    TradingRules,
    delisted_names,
    no_fallbacks,
    residual_delistings,
    residual_note,
    run_period,
)
from evofolio.data import AllocationData
from evofolio.data.universe import Universe
from evofolio.errors import EvofolioError, InsufficientHistoryError
from evofolio.outdir import staged_output, write_json, write_parquet
from evofolio.strategies import STRATEGIES
from evofolio.strategies.covariance import AUTO, resolve_covariance

logger = logging.getLogger(__name__)

CACHE_VERSION = "6"
StepCallback = Callable[[str], None]


def default_cache_dir() -> Path:
    """``$EVOFOLIO_CACHE_DIR``, else ``$XDG_CACHE_HOME/evofolio``, else ``~/.cache/evofolio``."""
    if "EVOFOLIO_CACHE_DIR" in os.environ:
        return Path(os.environ["EVOFOLIO_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "evofolio"


@dataclass(frozen=True)
class StrategyPanel:
    """Per-strategy backtest results over one period (same dates for every strategy).

    ``warnings``: the aggregated warnings the rules gave while the panel was computed.
    """

    results: dict[str, BacktestResult]
    warnings: tuple[str, ...] = ()

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

    def fallback_counts(self) -> dict[str, int]:
        """For each strategy, how many decisions fell back because its rule could not be
        applied (see :attr:`BacktestResult.fallbacks` for the dates, causes and what was held).
        """
        return {n: r.fallback_count for n, r in self.results.items()}

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
    covariance: str = "empirical",
    universe: Universe | None = None,
) -> str:
    """A hash of the prices and every setting that changes the panel (``covariance``: the
    resolved estimator; ``universe``: the lives, membership and delisting returns)."""
    digest = hashlib.sha256()
    if universe is not None:
        for frame in (universe.alive, universe.member):
            digest.update(np.packbits(frame.to_numpy(dtype=bool)).tobytes())
        digest.update(universe.delisting.to_numpy(dtype=np.float64).tobytes())
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
        covariance,
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
    """Write ``weights``, ``held``, ``returns`` and ``fallbacks`` parquet files (long: a
    strategy column; ``fallbacks`` has one row per decision that fell back: date, strategy,
    cause, held), and with a ragged universe ``delistings`` (strategy and the columns of
    :data:`~evofolio.backtesting.simulate.DELISTING_COLUMNS`)."""
    results = panel.results
    write_parquet(directory / "weights.parquet", _long({n: r.weights for n, r in results.items()}))
    write_parquet(directory / "held.parquet", _long({n: r.held for n, r in results.items()}))
    write_parquet(
        directory / "returns.parquet", _long({n: r.returns_frame() for n, r in results.items()})
    )
    parts = [r.fallbacks.assign(strategy=n) for n, r in results.items() if r.fallback_count]
    fallbacks = pd.concat(parts) if parts else no_fallbacks().assign(strategy="")
    fallbacks = fallbacks[["date", "strategy", *FALLBACK_COLUMNS[1:]]]
    write_parquet(directory / "fallbacks.parquet", fallbacks.reset_index(drop=True))
    delisted = [
        r.delistings.assign(strategy=n) for n, r in results.items() if r.delistings is not None
    ]
    if delisted:  # a ragged universe: the delistings each strategy's backtest applied
        table = pd.concat(delisted, ignore_index=True)
        write_parquet(directory / "delistings.parquet", table[["strategy", *DELISTING_COLUMNS]])


def load_panel(directory: Path, names: Sequence[str]) -> StrategyPanel:
    """Read a panel written by :func:`save_panel`."""
    weights = _split(pd.read_parquet(directory / "weights.parquet"), names)
    held = _split(pd.read_parquet(directory / "held.parquet"), names)
    returns = _split(pd.read_parquet(directory / "returns.parquet"), names)
    fallbacks = no_fallbacks().assign(strategy="")
    if (directory / "fallbacks.parquet").is_file():
        fallbacks = pd.read_parquet(directory / "fallbacks.parquet")
    delistings = None
    if (directory / "delistings.parquet").is_file():
        delistings = pd.read_parquet(directory / "delistings.parquet")
    results = {}
    for name in names:
        r = returns[name]
        mine = fallbacks[fallbacks["strategy"] == name]
        delisted = None
        if delistings is not None:
            rows = delistings[delistings["strategy"] == name]
            delisted = rows[list(DELISTING_COLUMNS)].reset_index(drop=True)
        results[name] = BacktestResult(
            weights=weights[name],
            held=held[name],
            gross=r["gross"],
            net=r["net"],
            turnover=r["turnover"],
            costs=r["cost"],
            fallbacks=mine[list(FALLBACK_COLUMNS)].reset_index(drop=True),
            delistings=delisted,
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
    covariance: str = AUTO,
    universe: Universe | None = None,
) -> StrategyPanel:
    """Backtest every rule in ``names`` from ``start`` (default: the first date with a full
    window of returns) to ``end``; read from / write to the cache when ``cache_dir`` is given.

    ``covariance``: the rules' covariance estimator (``auto`` resolved with the number of
    assets and ``window``, see :func:`evofolio.strategies.covariance.resolve_covariance`).
    The decisions are computed in parallel over dates, with progress, and remembered for the
    rest of the process (see :mod:`evofolio.allocators.classic_compute`); ``on_step`` is
    called with each rule's name when it is done.

    The rules' warnings are logged once per asset or rule, aggregated over all dates (see
    :func:`evofolio.allocators.classic.rule_warnings`) and kept in ``panel.warnings``.

    Raises:
        InsufficientHistoryError: the data has no more rows than ``window``.
    """
    if start is None:
        if len(prices) <= window:
            raise InsufficientHistoryError(
                f"the strategies' window is {window} rows but the prices have only "
                f"{len(prices)} dates; the first decision needs {window + 1}"
            )
        start = prices.index[window]
    end = prices.index[-1] if end is None else end
    effective = resolve_covariance(covariance, prices.shape[1], window)
    directory = None
    if cache_dir is not None:
        key = panel_key(prices, names, window, rules, start, end, effective, universe)
        directory = Path(cache_dir) / "strategy_panel" / key
        if (directory / "returns.parquet").is_file():
            logger.info("strategy panel read from cache %s", directory)
            cached = load_panel(directory, names)
            if universe is None:
                _remember(cached, prices, window, effective)
            notes = _read_warnings(directory)
            for line in notes:
                logger.warning(line)
            for name, result in cached.results.items():
                _log_delistings(name, result, " (cached panel)")
            return StrategyPanel(cached.results, notes)
    results = {}
    allocators: list[ClassicAllocator] = []
    inputs = prices if universe is None else AllocationData(prices, universe=universe)
    for name in names:
        factory = functools.partial(_made, allocators, name, window, effective)
        with _quiet_simulate():  # one line per rule below, naming it
            results[name] = run_period(factory, inputs, start, end, rules)
        _log_delistings(name, results[name], "")
        if on_step is not None:
            on_step(name)
    notes = tuple(rule_warnings(allocators))
    for line in notes:
        logger.warning(line)
    panel = StrategyPanel(results, notes)
    if directory is not None:
        _store(panel, directory)
    return panel


def _remember(panel: StrategyPanel, prices: pd.DataFrame, window: int, covariance: str) -> None:
    """Put a cached panel's decisions into the process's memo (see
    :func:`evofolio.allocators.classic_compute.remember`), so that the same rule, window and
    date asked again in this process (the holdout's baselines, Model 2's panel over a longer
    period) is not fitted again. Dates that fell back hold no decision of the rule: left out.
    """
    values = prices.to_numpy(dtype=np.float64)
    returns = values[1:] / values[:-1] - 1.0  # as ClassicAllocator.allocate computes them
    assets = [str(asset) for asset in prices.columns]
    for name, result in panel.results.items():
        dates = pd.DatetimeIndex(result.weights.index)
        if result.fallback_count:
            dates = dates[~dates.isin(pd.DatetimeIndex(result.fallbacks["date"]))]
        positions = prices.index.get_indexer(dates)
        if (positions < window).any():
            continue  # not a panel of these prices: nothing safe to remember
        decisions = result.weights.loc[dates].to_numpy(dtype=np.float64)
        remember(name, returns, positions.tolist(), window, covariance, assets, decisions)


def _made(
    into: list[ClassicAllocator], name: str, window: int, covariance: str
) -> ClassicAllocator:
    """A quiet :class:`ClassicAllocator`, kept in ``into`` so its warnings can be merged."""
    allocator = ClassicAllocator(name, window, warn=False, covariance=covariance)
    into.append(allocator)
    return allocator


def _read_warnings(directory: Path) -> tuple[str, ...]:
    try:
        return tuple(json.loads((directory / "warnings.json").read_text()))
    except (OSError, ValueError):
        return ()


def _store(panel: StrategyPanel, directory: Path) -> None:
    """Write the panel into the cache atomically; a cache that cannot be written is not fatal."""
    if directory.exists():  # another worker cached it meanwhile: never rewrite a cache in use
        return
    try:
        with staged_output(directory) as staging:
            save_panel(panel, staging)
            write_json(staging / "warnings.json", list(panel.warnings))
    except (OSError, EvofolioError) as error:
        logger.warning("could not cache the strategy panel in %s: %s", directory, error)


PANEL_REFIT = "monthly"
"""Model 2's inputs: every classic rule refit on this schedule, whatever the trading rules."""


def derived_key(window: int, cost_bps: float, covariance: str) -> Hashable:
    """The key of the strategy panel in ``AllocationData.derived``."""
    return ("strategy_panel", int(window), float(cost_bps), str(covariance))


def strategy_panel(
    prices: pd.DataFrame,
    window: int = 252,
    cost_bps: float = 10.0,
    covariance: str = AUTO,
    universe: Universe | None = None,
) -> StrategyPanel:
    """Model 2's input panel over ``prices``: every registered strategy, refit monthly on its
    trailing ``window``, at ``cost_bps`` (cached on disk; causal at every date); with a ragged
    ``universe``, each rule on the assets investable with a full window, delistings booked."""
    return build_strategy_panel(
        prices,
        list(STRATEGIES),
        window=window,
        rules=TradingRules(PANEL_REFIT, cost_bps),
        cache_dir=default_cache_dir(),
        covariance=covariance,
        universe=universe,
    )


def strategy_panel_into(
    data: AllocationData, window: int = 252, cost_bps: float = 10.0, covariance: str = AUTO
) -> StrategyPanel:
    """Compute the strategy panel once over ``data``'s whole history and keep it in
    ``data.derived``, where every Model 2 with these settings reads it (any slice of ``data``
    included)."""
    panel = strategy_panel(data.prices, window, cost_bps, covariance, data.universe)
    data.derived[derived_key(window, cost_bps, covariance)] = panel
    return panel


def _log_delistings(name: str, result: BacktestResult, where: str) -> None:
    """One info line naming the rule and the delistings its backtest applied."""
    if result.delistings is not None and len(result.delistings):
        logger.info(
            "%s: %d delisting(s) applied to held positions%s%s: %s",
            name,
            len(result.delistings),
            residual_note(residual_delistings(result.delistings)),
            where,
            delisted_names(result.delistings),
        )


def _unnamed_summary(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("%d delisting(s) applied")


@contextlib.contextmanager
def _quiet_simulate() -> Iterator[None]:
    """The simulator's own unnamed delisting summary held back (the caller names the rule;
    the per-delisting debug lines stay)."""
    simulator = logging.getLogger("evofolio.backtesting.simulate")
    simulator.addFilter(_unnamed_summary)
    try:
        yield
    finally:
        simulator.removeFilter(_unnamed_summary)
