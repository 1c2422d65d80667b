"""`evofolio allocate`: the champion's target weights for the next trading day."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

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
    setup_logging,
)
from evofolio.errors import UsageError
from evofolio.outdir import atomic_file
from evofolio.run_layout import ALLOCATION


@handle_errors
def allocate_command(
    run: Annotated[Path, typer.Option("--run", "-r", help="A run directory (evolve or run).")],
    storage: Annotated[
        str | None,
        typer.Option(
            help="With --artifacts: fetch the champion of the shared study into --run first "
            "(any machine; the run directory may be empty)."
        ),
    ] = None,
    artifacts: Annotated[
        str | None, typer.Option(help="The shared study's store (directory or s3://...).")
    ] = None,
    study: Annotated[str, typer.Option("--study", help="Study name.")] = "evofolio",
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
    if (storage is None) != (artifacts is None):
        raise UsageError("give --storage and --artifacts together (or neither)")
    from evofolio.api.champion import load_champion  # torch: only when the command runs

    champion = load_champion(run, storage=storage, artifacts=artifacts, study=study)
    loaded = champion.data(
        source=data, format=fmt, market=market, timezone=timezone, on_suspect_jump=on_suspect_jump
    )
    weights_frame = champion.allocate(loaded)
    last = weights_frame.index
    weights = weights_frame.iloc[0]
    seeds = champion.seeds
    payload = {
        "decided_at_close_of": f"{last[0]:%Y-%m-%d}",
        "family": champion.family,
        "seeds": seeds,
        "source": loaded.source,
        "weights": {str(asset): float(w) for asset, w in weights.items()},
    }
    text = json.dumps(payload, indent=2)
    with atomic_file(run / ALLOCATION) as partial:
        partial.write_text(text + "\n", encoding="utf-8")
    if as_json:
        console.print_json(text)
        return
    console.print(
        f"target weights decided at the close of {last[0]:%Y-%m-%d} "
        f"({champion.family} champion, "
        + (f"the average of {len(seeds)} seeds' weights" if len(seeds) > 1 else "one seed")
        + "), to hold from the next trading day"
    )
    table = Table()
    table.add_column("Asset", style="bold")
    table.add_column("Weight", justify="right")
    for asset, weight in weights.sort_values(ascending=False).items():
        table.add_row(str(asset), f"{100 * weight:.2f}%")
    console.print(table)
    console.print_json(text)
    console.print(f"wrote {run / ALLOCATION}")
