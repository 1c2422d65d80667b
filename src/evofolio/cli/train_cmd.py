"""`evofolio train`: walk-forward training of one model on the development period."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evofolio.cli.common import (
    ConfigOpt,
    DataOpt,
    FormatOpt,
    MarketOpt,
    PriceColumnOpt,
    QuietOpt,
    SuspectJumpOpt,
    TimezoneOpt,
    VerboseOpt,
    handle_errors,
    setup_logging,
)
from evofolio.config import preset_names


@handle_errors
def train_command(
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="A registered model family: asset (Model 1), portfolio (Model 2) or "
            "asset_attention; default from the config (asset).",
        ),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(help=f"A shipped configuration by name: {', '.join(preset_names())}."),
    ] = None,
    config: ConfigOpt = None,
    data: DataOpt = None,
    fmt: FormatOpt = None,
    market: MarketOpt = None,
    timezone: TimezoneOpt = None,
    on_suspect_jump: SuspectJumpOpt = None,
    price_column: PriceColumnOpt = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default from config: 0).")] = None,
    epochs: Annotated[int | None, typer.Option(help="Maximum epochs per fit.")] = None,
    device: Annotated[
        str | None, typer.Option(help="auto (CUDA when present, default), cpu or cuda.")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "runs/train"
    ),
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train a model walk-forward on the development period and report it out of sample.

    Retrains every `walk_forward.retrain_years` calendar years on all data to date (or a
    rolling window) and decides the following years; the holdout period is never touched.
    Writes weights.parquet, held.parquet, returns.parquet and metrics.json (model and equal
    weight over the same dates, like `backtest`) and model.pt, the last fit.
    """
    setup_logging(verbose, quiet)
    from evofolio.cli.train_job import train_job  # torch: only when the command runs

    train_job(
        model,
        preset,
        config,
        data,
        fmt,
        market,
        timezone,
        on_suspect_jump,
        price_column,
        seed,
        epochs,
        device,
        out,
    )
