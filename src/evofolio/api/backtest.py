"""``evofolio.backtest``: classic rules by name, or any allocator, out of sample after costs.

Weights are decided at the close of each rebalance date from prices up to that date and earn
the returns of the following days (never the return of the decision day), net of costs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from evofolio.allocators.strategy_panel import (
    StepCallback,
    StrategyPanel,
    build_strategy_panel,
    default_cache_dir,
    save_panel,
)
from evofolio.api.data import PricesInput, load_data
from evofolio.backtesting import (
    AllocatorFactory,
    BacktestResult,
    TradingRules,
    parse_rebalance,
    residual_delistings,
    run_period,
)
from evofolio.config import RunConfig, override
from evofolio.data import load_from_config
from evofolio.data.load import survivors_of
from evofolio.errors import InsufficientHistoryError, UsageError
from evofolio.outdir import staged_output, write_json
from evofolio.strategies import resolve_strategies
from evofolio.strategies.covariance import resolve_covariance

__all__ = ["BacktestRun", "backtest", "backtest_period"]

Strategies = str | Sequence[str] | AllocatorFactory | Mapping[str, AllocatorFactory]
DateLike = str | dt.date | pd.Timestamp | None

NAMES = {"start": "start", "end": "end", "window": "window"}
"""How the period's arguments are named in error messages (the CLI passes its options)."""


@dataclass(frozen=True, eq=False)
class BacktestRun:
    """What :func:`backtest` produced.

    ``metrics``: strategies × metrics (net of costs, annualised over 252 days a year:
    ``mean_return``, ``volatility``, ``sharpe``, ``max_drawdown`` (a positive fraction),
    ``annual_turnover``, ..., see :func:`evofolio.metrics.summarize`; plus
    ``gross_sharpe``, ``decisions`` and ``fallbacks``, the count of decisions where a rule
    could not be applied and held its previous weights). ``results``: each strategy's
    :class:`~evofolio.backtesting.BacktestResult` (weights, held, gross/net returns, turnover,
    costs, fallbacks). ``settings``: source, market, start, end, rebalance, cost_bps,
    vol_target, window. ``warnings``: the rules' aggregated warnings.
    """

    metrics: pd.DataFrame
    results: dict[str, BacktestResult]
    settings: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())

    def rows(self) -> dict[str, dict[str, float]]:
        """``metrics`` as ``{strategy: {metric: value}}`` (Python numbers)."""
        return {
            str(name): {str(key): _native(value) for key, value in row.items()}
            for name, row in self.metrics.to_dict(orient="index").items()
        }

    def save(self, out: str | Path) -> Path:
        """Write ``weights``, ``held``, ``returns``, ``fallbacks`` (parquet, long: a strategy
        column) and ``metrics.json`` into ``out``, all at once or not at all."""
        out = Path(out)
        with staged_output(out) as staging:
            save_panel(StrategyPanel(self.results, self.warnings), staging)
            payload = {"settings": self.settings, "metrics": self.rows()}
            write_json(staging / "metrics.json", payload)
        return out


def backtest(
    strategies: Strategies = "all",
    data: PricesInput | None = None,
    *,
    config: RunConfig | None = None,
    rebalance: str | int | None = None,
    cost_bps: float | None = None,
    window: int | None = None,
    vol_target: float | None = None,
    covariance: str | None = None,
    start: DateLike = None,
    end: DateLike = None,
    cache: bool = True,
    on_step: StepCallback | None = None,
    survivors_only: bool = False,
) -> BacktestRun:
    """Backtest classic rules (or your own allocators) over one period, after costs.

    Args:
        strategies: ``"all"``, a rule name or comma-separated names, a list of names (see
            ``evofolio.STRATEGIES``), an allocator factory (a callable returning a fresh
            :class:`~evofolio.backtesting.Allocator`, reported as ``"allocator"``), or a mapping
            name → factory. A factory's allocator is fitted once on the prices before
            ``start`` and then decides every rebalance date seeing prices up to it.
        data: a source string, a prices DataFrame (dates × assets) or ``MarketData``; default
            the ``[data]`` section of ``config``.
        config: the run configuration whose ``[backtest]`` and ``[strategies]`` sections give
            the defaults (default: :class:`~evofolio.config.RunConfig()`).
        rebalance: ``"daily"``, ``"weekly"``, ``"monthly"`` or every N trading days.
        cost_bps: cost in basis points of the traded amount (one-way turnover).
        window: trailing rows of returns each rule is refit on.
        vol_target: annualised per-asset volatility target (e.g. ``0.10``), or None.
        covariance: the rules' covariance estimator (``strategies.covariance``: ``auto``,
            ``empirical``, ``ledoit_wolf``, ``oas``, ...); the effective one is in the
            settings (``metrics.json``).
        start, end: first decision date (default: the first with a full window) and last
            date (default: the last price).
        cache: read/write the rules' results in the cache directory.
        on_step: called with each rule's name when it is done (progress).
        survivors_only: with a ragged universe (``data.ragged`` / ``data.universe``), also run
            the same rules on the assets alive at the data's last date only, each reported
            as ``<name> (survivors only)`` beside its point-in-time result: the survivorship
            bias of the data, measured (``settings["survivorship_bias"]``: the Sharpe ratio
            of the survivors-only run minus the point-in-time one, per rule).

    Raises:
        InsufficientHistoryError: fewer than ``window + 2`` dates.
        UsageError: unknown strategy, bad date, or a period that leaves no date.
        ConfigError: a setting out of range (naming the key).
        DataError: bad data (see :func:`evofolio.load_data`).
    """
    return backtest_named(NAMES, **locals())


def backtest_named(
    names: Mapping[str, str],
    strategies: Strategies = "all",
    data: PricesInput | None = None,
    *,
    config: RunConfig | None = None,
    rebalance: str | int | None = None,
    cost_bps: float | None = None,
    window: int | None = None,
    vol_target: float | None = None,
    covariance: str | None = None,
    start: DateLike = None,
    end: DateLike = None,
    cache: bool = True,
    on_step: StepCallback | None = None,
    survivors_only: bool = False,
) -> BacktestRun:
    """:func:`backtest`, its errors naming ``start``/``end``/``window`` as ``names`` says (a
    front end's own option names, e.g. the CLI's ``--start``); not part of the public API."""
    names = {**NAMES, **names}
    classic, custom = _split_strategies(strategies)
    if config is not None and not isinstance(config, RunConfig):
        raise UsageError(f"config: expected a RunConfig or None, got {type(config).__name__}")
    base = config if config is not None else RunConfig()
    rule = _rebalance(rebalance)
    base = override(base, "backtest", rebalance=rule, cost_bps=cost_bps, vol_target=vol_target)
    base = override(base, "strategies", window=window, covariance=covariance)
    start_ts, end_ts = _date(start, names["start"]), _date(end, names["end"])
    loaded = load_from_config(base.data) if data is None else load_data(data)
    prices = loaded.prices
    settings, win = base.backtest, base.strategies.window
    rules = TradingRules.from_config(settings)
    first, last = backtest_period(pd.DatetimeIndex(prices.index), start_ts, end_ts, win, names)
    results: dict[str, BacktestResult] = {}
    warnings: tuple[str, ...] = ()
    survivors = survivors_of(loaded) if survivors_only else None
    runs = [("", loaded)] + ([(SURVIVORS, survivors)] if survivors is not None else [])
    for suffix, source in runs:
        if classic:
            panel = build_strategy_panel(
                source.prices,
                classic,
                window=win,
                rules=rules,
                start=first,
                end=last,
                cache_dir=default_cache_dir() if cache else None,
                on_step=on_step,
                covariance=base.strategies.covariance,
                universe=source.universe,
            )
            results.update({f"{name}{suffix}": r for name, r in panel.results.items()})
            warnings = warnings + panel.warnings
        for label, factory in custom.items():
            results[f"{label}{suffix}"] = run_period(
                factory, source, first, last, rules, label=f"{label}{suffix}"
            )
            if on_step is not None:
                on_step(label)
    if survivors is not None:  # the survivors' weights on every asset: 0 on the dead
        for label in [label for label in results if label.endswith(SURVIVORS)]:
            results[label] = _on_columns(results[label], prices.columns)
    rows = {}
    for label, result in results.items():
        row: dict[str, float] = dict(result.metrics())
        row["gross_sharpe"] = result.metrics(net=False)["sharpe"]
        row["decisions"] = len(result.weights)
        row["fallbacks"] = result.fallback_count
        rows[label] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table = table.astype({"decisions": "int64", "fallbacks": "int64"})
    meta: dict[str, Any] = {
        "source": loaded.source,
        "market": loaded.market_source,
        "start": f"{first:%Y-%m-%d}",
        "end": f"{last:%Y-%m-%d}",
        "rebalance": settings.rebalance,
        "cost_bps": settings.cost_bps,
        "vol_target": settings.vol_target,
        "window": win,
        "covariance": resolve_covariance(base.strategies.covariance, prices.shape[1], win),
        "returns": "net of costs",
    }
    if loaded.universe is not None:
        lives = loaded.universe.lives()
        meta["universe"] = {
            "assets": len(lives),
            "entries": int((lives["first"] > prices.index[0]).sum()),
            "exits": int((lives["last"] < prices.index[-1]).sum()),
            "membership": loaded.universe.membership,
            "delistings_applied": {
                label: len(r.delistings) for label, r in results.items() if r.delistings is not None
            },
            "delistings_residual": {
                label: residual_delistings(r.delistings)
                for label, r in results.items()
                if r.delistings is not None
            },
        }
    if survivors is not None:
        meta["survivors"] = list(survivors.assets)
        meta["survivorship_bias"] = {
            label: rows[f"{label}{SURVIVORS}"]["sharpe"] - rows[label]["sharpe"]
            for label in [*classic, *custom]
        }
    return BacktestRun(table, results, meta, warnings)


def _on_columns(result: BacktestResult, columns: pd.Index) -> BacktestResult:
    """``result`` with its decided and held weights on ``columns`` (0 where it had none)."""
    return replace(
        result,
        weights=result.weights.reindex(columns=columns, fill_value=0.0),
        held=result.held.reindex(columns=columns, fill_value=0.0),
    )


SURVIVORS = " (survivors only)"
"""The suffix of a survivors-only result's name (see :func:`backtest`'s ``survivors_only``)."""


def _split_strategies(strategies: Strategies) -> tuple[list[str], dict[str, AllocatorFactory]]:
    """Rule names and custom factories, from any of the accepted forms."""
    if isinstance(strategies, str):
        return resolve_strategies(strategies), {}
    if isinstance(strategies, Mapping):
        return [], {str(name): factory for name, factory in strategies.items()}
    if callable(strategies):
        return [], {"allocator": strategies}
    message = "strategies: give 'all', rule names, an allocator factory or a mapping of them, got "
    if hasattr(strategies, "prices") or isinstance(strategies, pd.DataFrame):
        raise UsageError(
            message + f"{type(strategies).__name__}: the data comes second, as in "
            "backtest('all', data)"
        )
    if not isinstance(strategies, Iterable):
        raise UsageError(message + f"{type(strategies).__name__} {str(strategies)[:40]}")
    items = list(strategies)
    if not items or not all(isinstance(item, str) for item in items):
        raise UsageError(message + repr(items)[:80])
    return resolve_strategies(items), {}


def _rebalance(value: str | int | None) -> str | int | None:
    return None if value is None else parse_rebalance(value)


def _date(value: DateLike, option: str) -> pd.Timestamp | None:
    """A date argument as a timestamp, or a :class:`UsageError` naming the argument."""
    if value is None:
        return None
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError):
        raise UsageError(f"{option}: not a date (YYYY-MM-DD): '{value}'") from None


def _native(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def backtest_period(
    dates: pd.DatetimeIndex,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    window: int,
    names: Mapping[str, str] = NAMES,
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first decision date and the last date of the backtest.

    Raises:
        InsufficientHistoryError: the data has fewer than ``window + 2`` dates (a window of
            returns, then a decision, then one day that earns its return).
        UsageError: ``start``/``end`` leave no date or start before a full window.
    """
    if len(dates) < window + 2:
        raise InsufficientHistoryError(
            f"the strategies' window is {window} rows but the data has only {len(dates)} dates "
            f"({dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}); a backtest needs at least "
            f"{window + 2} (a full window, a decision, a day after it): use a shorter "
            f"{names['window']} or more data"
        )
    earliest = dates[window]
    first: pd.Timestamp | None = earliest
    if start is not None:
        first = dates[int(dates.searchsorted(start))] if start <= dates[-1] else None
    last = dates[-1]
    if end is not None:
        last = dates[max(int(dates.searchsorted(end, side="right")) - 1, 0)]
    if first is None or first >= last:
        given = " and ".join(
            f"{names[key]} {value:%Y-%m-%d}"
            for key, value in (("start", start), ("end", end))
            if value is not None
        )
        raise UsageError(
            f"empty period: {given} leave no date to backtest; the data runs from "
            f"{dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d} and the first decision with a full "
            f"{window}-row window is on {earliest:%Y-%m-%d}"
        )
    if first < earliest:
        raise UsageError(
            f"{names['start']} {first:%Y-%m-%d} leaves {dates.searchsorted(first)} days of "
            f"history; the strategies need {window} (their window) before the first decision, "
            f"so start on or after {earliest:%Y-%m-%d}"
        )
    return first, last
