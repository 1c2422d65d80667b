"""`evofolio allocate`: the champion's target weights for the next trading day."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from evofolio.allocators.ensemble import SeedEnsembleAllocator
from evofolio.allocators.factory import member_loader
from evofolio.cli.common import (
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
    setup_logging,
)
from evofolio.config import RunConfig, override
from evofolio.errors import DataError, UsageError
from evofolio.search.writers import MODELS_DIR


def read_json(path: Path) -> dict[str, Any]:
    """A JSON file of the run directory, or a user error naming it."""
    if not path.is_file():
        raise UsageError(f"{path} not found: is this the directory of a finished run?")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(payload, dict):
        raise DataError(f"{path}: expected a JSON object")
    return payload


@handle_errors
def allocate_command(
    run: Annotated[Path, typer.Option("--run", "-r", help="A run directory (evolve or run).")],
    data: DataOpt = None,
    fmt: FormatOpt = None,
    market: MarketOpt = None,
    timezone: TimezoneOpt = None,
    on_suspect_jump: SuspectJumpOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only the JSON (for scripts).")
    ] = False,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """The weights the champion would hold from the next trading day on, decided at the close
    of the latest price date (from the run's data source, or --data with the same assets).
    Prints a table and the JSON, and writes it to RUN/allocation.json."""
    setup_logging(verbose, quiet)
    config = RunConfig.model_validate(read_json(run / "champion" / "config.json"))
    config = override(
        config,
        "data",
        source=data,
        format=fmt,
        market=market,
        timezone=timezone,
        on_suspect_jump=on_suspect_jump,
    )
    loaded = load_market_data(config)
    prices = loaded.prices
    models = run / "champion" / MODELS_DIR
    allocator = SeedEnsembleAllocator.load(models, member_loader(config, prices, loaded.market))
    last = pd.DatetimeIndex([prices.index[-1]])
    weights = allocator.allocate(prices, last).iloc[0]
    payload = {
        "decided_at_close_of": f"{last[0]:%Y-%m-%d}",
        "family": config.model.family,
        "seeds": allocator.seeds,
        "source": loaded.source,
        "weights": {str(asset): float(w) for asset, w in weights.items()},
    }
    text = json.dumps(payload, indent=2)
    (run / "allocation.json").write_text(text + "\n", encoding="utf-8")
    if as_json:
        console.print_json(text)
        return
    console.print(
        f"target weights decided at the close of {last[0]:%Y-%m-%d} "
        f"({config.model.family} champion, the average of {len(allocator.seeds)} seeds' "
        "weights), to hold from the next trading day"
    )
    table = Table()
    table.add_column("Asset", style="bold")
    table.add_column("Weight", justify="right")
    for asset, weight in weights.sort_values(ascending=False).items():
        table.add_row(str(asset), f"{100 * weight:.2f}%")
    console.print(table)
    console.print_json(text)
    console.print(f"wrote {run / 'allocation.json'}")
