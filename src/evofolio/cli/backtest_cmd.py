"""`evofolio backtest`: the classic strategies, out of sample, after costs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from evofolio.allocators.strategy_panel import build_strategy_panel, default_cache_dir, save_panel
from evofolio.backtest import TradingRules, parse_rebalance
from evofolio.cli.common import (
    ConfigOpt,
    DataOpt,
    FormatOpt,
    MarketOpt,
    QuietOpt,
    SuspectJumpOpt,
    TimezoneOpt,
    VerboseOpt,
    console,
    handle_errors,
    load_market_data,
    parse_date,
    progress_bar,
    resolve_config,
    setup_logging,
)
from evofolio.config import override
from evofolio.errors import InsufficientHistoryError, UsageError
from evofolio.outdir import staged_output, write_json
from evofolio.report.tables import TABLE_COLUMNS, format_metric, metrics_table
from evofolio.strategies import STRATEGIES, resolve_strategies


@handle_errors
def backtest_command(
    strategy: Annotated[
        str,
        typer.Option(
            "--strategy",
            "-s",
            help=f"A classic rule, a comma-separated list, or 'all': {', '.join(STRATEGIES)}.",
        ),
    ] = "all",
    config: ConfigOpt = None,
    data: DataOpt = None,
    fmt: FormatOpt = None,
    market: MarketOpt = None,
    timezone: TimezoneOpt = None,
    on_suspect_jump: SuspectJumpOpt = None,
    start: Annotated[
        str | None,
        typer.Option(help="First decision date (default: first date with a full window)."),
    ] = None,
    end: Annotated[str | None, typer.Option(help="Last date (default: the last price).")] = None,
    rebalance: Annotated[
        str | None,
        typer.Option(help="daily, weekly, monthly (default) or every N trading days."),
    ] = None,
    cost_bps: Annotated[
        float | None,
        typer.Option("--cost-bps", help="Cost in basis points of the traded amount (default 10)."),
    ] = None,
    window: Annotated[
        int | None, typer.Option(help="Trailing days each rule is refit on (default 252).")
    ] = None,
    vol_target: Annotated[
        float | None,
        typer.Option("--vol-target", help="Annualised per-asset volatility target, e.g. 0.10."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "runs/backtest"
    ),
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Backtest classic strategies and print their metrics; write weights.parquet,
    held.parquet, returns.parquet, fallbacks.parquet and metrics.json to the output directory.

    Weights are decided at the close of each rebalance date from the trailing window of
    returns up to that date, and earn the returns of the following days, after costs. An asset
    with zero variance in the window (a cash line) gets weight 0 from the rules that use risk.
    The Fallbacks column counts the decisions where a rule could not be applied (its optimiser
    failed) and held its previous weights instead.
    """
    setup_logging(verbose, quiet)
    names = resolve_strategies(strategy)
    rule = parse_rebalance(rebalance) if rebalance is not None else None
    run_config = override(
        resolve_config(
            config, data, fmt, market, timezone=timezone, on_suspect_jump=on_suspect_jump
        ),
        "backtest",
        rebalance=rule,
        cost_bps=cost_bps,
        vol_target=vol_target,
    )
    run_config = override(run_config, "strategies", window=window)
    start_ts, end_ts = parse_date(start, "--start"), parse_date(end, "--end")
    loaded = load_market_data(run_config)
    prices = loaded.prices
    settings = run_config.backtest
    rules = TradingRules.from_config(settings)
    win = run_config.strategies.window
    first, last = _period(pd.DatetimeIndex(prices.index), start_ts, end_ts, win)
    with progress_bar() as progress:
        task = progress.add_task("strategies", total=len(names))
        panel = build_strategy_panel(
            prices,
            names,
            window=win,
            rules=rules,
            start=first,
            end=last,
            cache_dir=default_cache_dir(),
            on_step=lambda _: progress.advance(task),
        )
    rows = {}
    for name, result in panel.results.items():
        metrics = result.metrics()
        metrics["gross_sharpe"] = result.metrics(net=False)["sharpe"]
        metrics["decisions"] = len(result.weights)
        metrics["fallbacks"] = result.fallback_count
        rows[name] = metrics
    meta = {
        "source": loaded.source,
        "market": loaded.market_source,
        "start": f"{first:%Y-%m-%d}",
        "end": f"{last:%Y-%m-%d}",
        "rebalance": settings.rebalance,
        "cost_bps": settings.cost_bps,
        "vol_target": settings.vol_target,
        "window": win,
        "returns": "net of costs",
    }
    with staged_output(out) as staging:
        save_panel(panel, staging)
        write_json(staging / "metrics.json", {"settings": meta, "metrics": rows})
    title = (
        f"{loaded.source}: {first:%Y-%m-%d} to {last:%Y-%m-%d}, rebalance "
        f"{settings.rebalance}, {settings.cost_bps:g} bps (net of costs)"
    )
    console.print(_table(rows, title))
    console.print(
        f"wrote {out}/weights.parquet, held.parquet, returns.parquet, fallbacks.parquet, "
        "metrics.json"
    )


def _table(rows: Mapping[str, Mapping[str, float]], title: str) -> Table:
    """The metrics table with a Gross Sharpe column and a Fallbacks column (``n/decisions``)."""
    extra = {"gross_sharpe": "Gross Sharpe"}
    table = metrics_table({}, title, extra=extra)
    table.add_column("Fallbacks", justify="right")
    for name, metrics in rows.items():
        cells = [format_metric(key, metrics.get(key, math.nan)) for key in [*TABLE_COLUMNS, *extra]]
        table.add_row(name, *cells, f"{metrics['fallbacks']:.0f}/{metrics['decisions']:.0f}")
    return table


def _period(
    dates: pd.DatetimeIndex, start: pd.Timestamp | None, end: pd.Timestamp | None, window: int
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first decision date and the last date of the backtest.

    Raises:
        InsufficientHistoryError: the data has fewer than ``window + 2`` dates (a window of
            returns, then a decision, then one day that earns its return).
        UsageError: ``--start``/``--end`` leave no date or start before a full window.
    """
    if len(dates) < window + 2:
        raise InsufficientHistoryError(
            f"the strategies' window is {window} rows but the data has only {len(dates)} dates "
            f"({dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}); a backtest needs at least "
            f"{window + 2} (a full window, a decision, a day after it): use a shorter --window "
            "(or [strategies] window in the config) or more data"
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
            f"{option} {value:%Y-%m-%d}"
            for option, value in (("--start", start), ("--end", end))
            if value is not None
        )
        raise UsageError(
            f"empty period: {given} leave no date to backtest; the data runs from "
            f"{dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d} and the first decision with a full "
            f"{window}-row window is on {earliest:%Y-%m-%d}"
        )
    if first < earliest:
        raise UsageError(
            f"--start {first:%Y-%m-%d} leaves {dates.searchsorted(first)} days of history; the "
            f"strategies need {window} (their window) before the first decision, so start on "
            f"or after {earliest:%Y-%m-%d}"
        )
    return first, last
