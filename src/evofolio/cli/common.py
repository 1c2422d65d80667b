"""Shared pieces of the commands: consoles, options, error handling, logging, progress.

User errors (bad data, bad config, bad paths) arrive as :class:`EvofolioError`; they are
printed as one line starting with ``error:`` on stderr and the process exits with code 2,
without a traceback and without a half-written output directory.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from evofolio.errors import EvofolioError
from evofolio.logs import OnceFilter, report_repeats

if TYPE_CHECKING:
    from evofolio.allocators.classic_compute import RuleProgress
    from evofolio.config import RunConfig
    from evofolio.data import MarketData

# Nothing here imports torch, pandas or optuna at module level: `evofolio --help`,
# `--version` and every command's `--help` start without them (the commands import what
# they use when they run; tests/cli/test_cli_startup.py holds that).

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
        help="Price source: 'sp500' (embedded, default), 'factors' (embedded), 'ftse100' or "
        "'nasdaq' (downloaded once by skfolio), a .csv/.parquet path (wide, long or saved "
        "from yfinance.download), or 'yahoo:AAPL,MSFT,...' (needs the yahoo extra).",
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
        help="Market series for beta, PATH[:COLUMN]. Default: the S&P 500 index for sp500 "
        "and factors, else the equal-weight average of the assets.",
    ),
]
TimezoneOpt = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        help="IANA time zone of the market (e.g. Europe/Berlin): stamps with a UTC offset "
        "are dated in it. Default: the date in the stamp's own offset.",
    ),
]
SuspectJumpOpt = Annotated[
    str | None,
    typer.Option(
        "--on-suspect-jump",
        help="One-day jumps like an unadjusted split or a x100 unit switch: warn (default), "
        "error or ignore. Prices are never changed.",
    ),
]
PriceColumnOpt = Annotated[
    str | None,
    typer.Option(
        "--price-column",
        help="The price column of a long file, or the field of a file with several per "
        "asset (Close, Adj Close...). Default: the adjusted close when there is one.",
    ),
]
DeviceOpt = Annotated[
    str | None,
    typer.Option(
        "--device",
        help="Where the networks train: auto (CUDA when present, the default), cpu or cuda "
        "(training.device).",
    ),
]
RaggedOpt = Annotated[
    bool | None,
    typer.Option(
        "--ragged/--rectangular",
        help="Read prices point in time (each asset lives from its first to its last price, "
        "delisting returns booked) or as a rectangle (assets missing too much are dropped). "
        "Default (data.ragged unset): point in time when an asset starts or ends more than "
        "max_ffill_days dates after the first or before the last price.",
        show_default=False,
    ),
]
UniverseOpt = Annotated[
    str | None,
    typer.Option(
        "--universe",
        help="Membership file (data.universe): rows of asset, start, end (optional "
        "delisting_return) or a wide 0/1 table by date; implies --ragged.",
    ),
]
DelistingOpt = Annotated[
    float | None,
    typer.Option(
        "--delisting-return",
        help="Return booked when an asset's prices end before the data's last date "
        "(data.delisting_return; default -0.30, Shumway 1997; 0 for mergers).",
    ),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors.")]


SEARCH_COMMANDS = frozenset({"run_command", "evolve_command", "validate_command"})
"""The commands whose run directory a second call resumes (named by their functions)."""


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn user errors into ``error: ...`` on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except EvofolioError as error:
            _report_repeats()
            message = " ".join(str(error).split())
            err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            resumes = command.__name__ in SEARCH_COMMANDS
            err_console.print(
                "error: interrupted"
                + (
                    "; the same command resumes the search (its finished trials are kept)"
                    if resumes
                    else ""
                ),
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(130) from None
        finally:
            _report_repeats()

    return wrapper


def _report_repeats() -> None:
    """The count of each warning the command's log handler showed once (see
    :mod:`evofolio.logs`); the handler's count starts afresh."""
    for handler in logging.getLogger().handlers:
        for found in list(handler.filters):
            if isinstance(found, OnceFilter):
                handler.removeFilter(found)
                report_repeats(found, logging.getLogger("evofolio"))
                handler.addFilter(OnceFilter())


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
    handler.addFilter(OnceFilter())  # each warning once; the repeats counted at the end
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("evofolio").setLevel(level)
    import optuna

    optuna.logging.disable_default_handler()  # its records reach the handler above
    optuna.logging.set_verbosity(logging.DEBUG if verbose else logging.WARNING)


def progress_bar() -> Progress:
    """The progress display used by long commands (on stderr; off when stderr is not a
    terminal, where the work logs its progress as lines instead and a transient display
    would only leave an empty line behind)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


def clock(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``) of a duration; ``?`` when unknown."""
    if seconds is None:
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ClassicProgress:
    """Shows the classic rules' progress (:class:`RuleProgress`: rule, date k of K, elapsed,
    remaining) as one line of a rich ``Progress``, hidden while no rule is being computed.

    ``status_column``: the progress has a ``{task.fields[status]}`` column for the times;
    otherwise they go into the description. When ``progress`` is not live (a search display
    that has closed), the line is shown on a progress bar of its own while a rule runs.
    """

    def __init__(
        self, progress: Progress | Callable[[], Progress], *, status_column: bool = False
    ) -> None:
        self.progress = progress if callable(progress) else (lambda: progress)
        self.status_column = status_column
        self.own: Progress | None = None
        self.tasks: dict[int, TaskID] = {}

    def _target(self) -> tuple[Progress, bool]:
        current = self.progress()
        if current.live.is_started:
            return current, self.status_column
        if self.own is None:
            self.own = progress_bar()
            self.own.start()
        return self.own, False

    def __call__(self, step: RuleProgress) -> None:
        progress, status_column = self._target()
        text = f"classic rule {step.rule}: dates"
        status = f"{clock(step.elapsed)} elapsed · ~{clock(step.remaining)} left"
        task = self.tasks.get(id(progress))
        if task is None:
            task = progress.add_task(text, total=step.total, status=status)
            self.tasks[id(progress)] = task
        progress.update(
            task,
            description=text if status_column else f"{text} ({status})",
            total=step.total,
            completed=step.done,
            status=status,
            visible=step.done < step.total,
        )
        if self.own is not None and step.done >= step.total:
            self.own.stop()
            self.tasks.pop(id(self.own), None)
            self.own = None


@contextlib.contextmanager
def classic_progress(
    progress: Progress | Callable[[], Progress],
    jobs: int | None = 1,
    *,
    status_column: bool = False,
) -> Iterator[None]:
    """Within the block the classic rules fit with ``jobs`` processes and show their
    progress on ``progress``, or on what it returns when called (a display that changes);
    see :func:`evofolio.allocators.classic_compute.classic_compute`.

    When stderr is not a terminal (``2>log``, a CI job) rich's transient progress draws
    nothing, so no callback is given and the core logs "classic rule X: k of K dates, ...
    about N s left" every few seconds instead."""
    from evofolio.allocators.classic_compute import classic_compute

    callback = ClassicProgress(progress, status_column=status_column)
    with classic_compute(jobs or 1, callback if err_console.is_terminal else None):
        yield


def resolve_config(
    config_path: Path | None,
    data: str | None,
    fmt: str | None,
    market: str | None,
    *,
    timezone: str | None = None,
    on_suspect_jump: str | None = None,
    preset: str | None = None,
    price_column: str | None = None,
    families: bool = True,
    device: str | None = None,
    ragged: bool | None = None,
    universe: str | None = None,
    delisting_return: float | None = None,
) -> RunConfig:
    """The file's configuration (or, without a file, the named ``preset``, else the
    defaults) with the data options of the command line on top.

    ``families=False`` (``evofolio data``, which reads ``[data]`` only) checks every section
    as :mod:`evofolio.config` does but not ``[model]`` against its family's own parameters,
    which needs the model families and so torch."""
    from evofolio.config import override

    if families:
        from evofolio.api.config import load_config, load_preset
    else:
        from evofolio.config import load_config, load_preset

    if config_path is None and preset is not None:
        config = load_preset(preset)
    else:
        config = load_config(config_path)
    config = override(config, "training", device=device)
    return override(
        config,
        "data",
        source=data,
        format=fmt,
        market=market,
        timezone=timezone,
        on_suspect_jump=on_suspect_jump,
        price_column=price_column,
        ragged=ragged,
        universe=universe,
        delisting_return=delisting_return,
    )


def load_market_data(config: RunConfig) -> MarketData:
    """Load and validate the configured prices (every setting of ``[data]``)."""
    from evofolio.data import load_from_config

    return load_from_config(config.data)
