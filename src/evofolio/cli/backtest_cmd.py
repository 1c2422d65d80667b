"""`evofolio backtest`: the classic strategies, out of sample, after costs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from evofolio.backtesting import residual_note
from evofolio.cli.common import (
    ConfigOpt,
    DataOpt,
    DelistingOpt,
    FormatOpt,
    MarketOpt,
    PriceColumnOpt,
    QuietOpt,
    RaggedOpt,
    SuspectJumpOpt,
    TimezoneOpt,
    UniverseOpt,
    VerboseOpt,
    classic_progress,
    console,
    handle_errors,
    progress_bar,
    resolve_config,
    setup_logging,
)
from evofolio.strategies import STRATEGIES, resolve_strategies

OPTION_NAMES = {
    "start": "--start",
    "end": "--end",
    "window": "--window (or [strategies] window in the config)",
}


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
    price_column: PriceColumnOpt = None,
    ragged: RaggedOpt = None,
    universe: UniverseOpt = None,
    delisting_return: DelistingOpt = None,
    survivors_only: Annotated[
        bool,
        typer.Option(
            "--survivors-only",
            help="Also run the rules on the assets alive at the last date only, beside the "
            "point-in-time result: the survivorship bias, measured (needs a ragged universe: a "
            "file whose assets list or delist, --ragged or --universe).",
        ),
    ] = False,
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
    covariance: Annotated[
        str | None,
        typer.Option(
            help="Covariance estimator of the rules: auto (default: the sample covariance, or "
            "Ledoit-Wolf shrinkage with more assets than 0.1 x window), empirical, ledoit_wolf, "
            "oas, shrunk, denoise or gerber."
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            help="Processes fitting the rules' dates in parallel (default 1; the number of "
            "cores for a large universe).",
        ),
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
    from evofolio.api.backtest import backtest_named  # heavy: only when the command runs

    names = resolve_strategies(strategy)
    run_config = resolve_config(
        config,
        data,
        fmt,
        market,
        timezone=timezone,
        on_suspect_jump=on_suspect_jump,
        price_column=price_column,
        ragged=ragged,
        universe=universe,
        delisting_return=delisting_return,
    )
    with progress_bar() as progress, classic_progress(progress, jobs):
        steps = len(names) * (2 if survivors_only else 1)
        task = progress.add_task("strategies", total=steps)
        result = backtest_named(
            OPTION_NAMES,
            names,
            config=run_config,
            rebalance=rebalance,
            cost_bps=cost_bps,
            window=window,
            vol_target=vol_target,
            covariance=covariance,
            start=start,
            end=end,
            on_step=lambda _: progress.advance(task),
            survivors_only=survivors_only,
        )
    result.save(out)
    meta = result.settings
    rows = result.rows()
    title = (
        f"{meta['source']}: {meta['start']} to {meta['end']}, rebalance "
        f"{meta['rebalance']}, {meta['cost_bps']:g} bps (net of costs)"
    )
    console.print(_table(rows, title))
    lives = meta.get("universe")
    if lives:
        applied = sum(lives["delistings_applied"].values())
        residual = sum(lives.get("delistings_residual", {}).values())
        tracks = len(lives["delistings_applied"])
        entries = "entry" if lives["entries"] == 1 else "entries"
        exits = "exit" if lives["exits"] == 1 else "exits"
        console.print(
            f"universe: {lives['assets']} assets, {lives['entries']} {entries}, "
            f"{lives['exits']} {exits}; {applied} delisting(s) applied to held positions in "
            f"{tracks} backtest{'' if tracks == 1 else 's'}{residual_note(residual)} (each "
            "logged with -v)"
        )
    bias = meta.get("survivorship_bias")
    if bias:
        console.print(
            f"survivorship bias (Sharpe, survivors only minus point in time; "
            f"{len(meta['survivors'])} survivors): "
            + ", ".join(f"{name} {value:+.2f}" for name, value in bias.items())
        )
    console.print(
        f"wrote {out}/weights.parquet, held.parquet, returns.parquet, fallbacks.parquet, "
        "metrics.json"
    )


def _table(rows: Mapping[str, Mapping[str, float]], title: str) -> Table:
    """The metrics table with a Gross Sharpe column and a Fallbacks column (``n/decisions``)."""
    from evofolio.report.tables import TABLE_COLUMNS, format_metric, metrics_table

    extra = {"gross_sharpe": "Gross Sharpe"}
    table = metrics_table({}, title, extra=extra)
    table.add_column("Fallbacks", justify="right")
    for name, metrics in rows.items():
        cells = [format_metric(key, metrics.get(key, math.nan)) for key in [*TABLE_COLUMNS, *extra]]
        table.add_row(name, *cells, f"{metrics['fallbacks']:.0f}/{metrics['decisions']:.0f}")
    return table
