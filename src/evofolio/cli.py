"""The command-line interface: parse, load the config, call the library, print.

User errors (bad data, bad config, bad paths) arrive as :class:`EvofolioError`; they are
printed as one line starting with ``error:`` on stderr and the process exits with code 2,
without a traceback and without a half-written output directory.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from evofolio import __version__
from evofolio.allocators.strategy_panel import build_strategy_panel, default_cache_dir, save_panel
from evofolio.backtest import TradingRules, parse_rebalance, split_periods
from evofolio.config import RunConfig, load_config, override
from evofolio.data import MarketData, MissingPolicy, load_data
from evofolio.errors import EvofolioError, UsageError
from evofolio.outdir import staged_output
from evofolio.report.tables import metrics_table, records_table
from evofolio.strategies import STRATEGIES, resolve_strategies

app = typer.Typer(
    name="evofolio",
    help="LSTM portfolio allocators searched by a genetic algorithm, judged out of sample.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
# Not a terminal (a pipe, a file, CI): wide enough for the metrics table to stay readable.
console = Console() if sys.stdout.isatty() else Console(width=180)
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML run configuration (see configs/).")
]
DataOpt = Annotated[
    str | None,
    typer.Option(
        "--data",
        "-d",
        help="Price source: 'sp500' (embedded, default), a .csv/.parquet path (wide or long), "
        "or 'yahoo:AAPL,MSFT,...' (needs the yahoo extra).",
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option("--format", help="Layout of a price file: auto (default), wide or long."),
]
MarketOpt = Annotated[
    str | None,
    typer.Option(
        "--market",
        help="Market series for beta, PATH[:COLUMN]. Default: the S&P 500 index for sp500, "
        "else the equal-weight average of the assets.",
    ),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors.")]


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn user errors into ``error: ...`` on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except EvofolioError as error:
            message = " ".join(str(error).split())
            err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print("error: interrupted", markup=False, highlight=False)
            raise typer.Exit(130) from None

    return wrapper


class ConsoleLogHandler(logging.Handler):
    """One unwrapped ``level: message`` line per record on stderr (above any progress bar)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = f"{record.levelname.lower()}: {record.getMessage()}"
            err_console.print(text, markup=False, highlight=False, soft_wrap=True)
        except Exception:  # logging must never crash the command
            self.handleError(record)


def setup_logging(verbose: bool = False, quiet: bool = False) -> None:
    """Library logs go to stderr; evofolio's at INFO unless asked otherwise."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = ConsoleLogHandler()
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("evofolio").setLevel(level)


def progress_bar() -> Progress:
    """The progress display used by long commands (on stderr, hidden when not a terminal)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def resolve_config(
    config_path: Path | None, data: str | None, fmt: str | None, market: str | None
) -> RunConfig:
    """The file's configuration with the data options of the command line on top."""
    config = load_config(config_path)
    return override(config, "data", source=data, format=fmt, market=market)


def load_market_data(config: RunConfig) -> MarketData:
    """Load and validate the configured prices."""
    section = config.data
    policy = MissingPolicy(section.max_ffill_days, section.max_missing_frac)
    return load_data(section.source, fmt=section.format, market=section.market, policy=policy)


def parse_date(value: str | None, option: str) -> pd.Timestamp | None:
    """A ``YYYY-MM-DD`` option as a timestamp, or a :class:`UsageError` naming the option."""
    if value is None:
        return None
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError):
        raise UsageError(f"{option}: not a date (YYYY-MM-DD): '{value}'") from None


def write_json(path: Path, payload: Any) -> None:
    """Pretty JSON with NaN written as null."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and value != value:
            return None
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    path.write_text(json.dumps(clean(payload), indent=2, default=str) + "\n", encoding="utf-8")


def _version(value: bool) -> None:
    if value:
        console.print(f"evofolio {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """evofolio: build portfolios with LSTM networks, find the best with a genetic algorithm,
    and judge everything out of sample, after costs, against the classic rules."""


@app.command("data")
@handle_errors
def data_command(
    config: ConfigOpt = None,
    data: DataOpt = None,
    fmt: FormatOpt = None,
    market: MarketOpt = None,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Show the assets, the date range, the periods and the missing-data report of a source."""
    setup_logging(verbose, quiet)
    run_config = resolve_config(config, data, fmt, market)
    loaded = load_market_data(run_config)
    prices = loaded.prices
    periods = split_periods(
        pd.DatetimeIndex(prices.index), run_config.data.holdout_start, source=loaded.source
    )
    console.print(f"source:      {loaded.source}")
    console.print(f"assets ({prices.shape[1]}): {', '.join(loaded.assets)}")
    console.print(
        f"dates:       {len(prices)} from {prices.index[0]:%Y-%m-%d} to {prices.index[-1]:%Y-%m-%d}"
    )
    console.print(
        f"development: {periods.development[0]:%Y-%m-%d} to {periods.development[-1]:%Y-%m-%d}"
        f" ({len(periods.development)} dates)"
    )
    console.print(
        f"holdout:     {periods.holdout[0]:%Y-%m-%d} to {periods.holdout[-1]:%Y-%m-%d}"
        f" ({len(periods.holdout)} dates)"
    )
    console.print(f"market:      {loaded.market_source}")
    console.print(f"missing:     {loaded.report.summary()}")
    console.print(records_table(loaded.report.rows(), "Missing-data report"))


@app.command("backtest")
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
    held.parquet, returns.parquet and metrics.json to the output directory.

    Weights are decided at the close of each rebalance date from the trailing window of
    returns up to that date, and earn the returns of the following days, after costs.
    """
    setup_logging(verbose, quiet)
    names = resolve_strategies(strategy)
    rule = parse_rebalance(rebalance) if rebalance is not None else None
    run_config = override(
        resolve_config(config, data, fmt, market),
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
    rules = TradingRules(
        settings.rebalance, settings.cost_bps, settings.vol_target, settings.vol_span
    )
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
    console.print(metrics_table(rows, title, extra={"gross_sharpe": "Gross Sharpe"}))
    console.print(f"wrote {out}/weights.parquet, held.parquet, returns.parquet, metrics.json")


def _period(
    dates: pd.DatetimeIndex, start: pd.Timestamp | None, end: pd.Timestamp | None, window: int
) -> tuple[pd.Timestamp, pd.Timestamp]:
    earliest = dates[min(window, len(dates) - 1)]
    first: pd.Timestamp | None = earliest
    if start is not None:
        first = dates[int(dates.searchsorted(start))] if start <= dates[-1] else None
    last = dates[-1]
    if end is not None:
        last = dates[max(int(dates.searchsorted(end, side="right")) - 1, 0)]
    if first is None or first >= last:
        raise UsageError(
            f"empty period: --start/--end select no dates between {dates[0]:%Y-%m-%d} and "
            f"{dates[-1]:%Y-%m-%d}"
        )
    if first < earliest:
        raise UsageError(
            f"--start {first:%Y-%m-%d} leaves {dates.searchsorted(first)} days of history; the "
            f"strategies need {window} (their window) before the first decision, so start on "
            f"or after {earliest:%Y-%m-%d}"
        )
    return first, last


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
