"""The work of `evofolio train` (imported when the command runs, so that `evofolio --help`
and `evofolio train --help` start without torch): the configuration from the options, the
walk-forward fits, the baselines over the same dates, the files."""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

import pandas as pd

from evofolio.allocators.base import clone
from evofolio.allocators.classic import ClassicAllocator, EqualBlendAllocator
from evofolio.allocators.neural_base import NeuralAllocator
from evofolio.allocators.registry import (
    FAMILIES,
    check_model,
    check_model_keys,
    estimator_for,
    family_of,
)
from evofolio.allocators.strategy_panel import (
    StrategyPanel,
    save_panel,
    strategy_panel_into,
)
from evofolio.backtesting import (
    BacktestResult,
    Fold,
    TradingRules,
    run_folds,
    split_periods,
    walk_forward_years,
)
from evofolio.cli.common import (
    classic_progress,
    console,
    load_market_data,
    progress_bar,
)
from evofolio.config import (
    RunConfig,
    load_config,
    load_preset,
    override,
    parse_config,
)
from evofolio.data import AllocationData
from evofolio.errors import ConfigError, UsageError
from evofolio.outdir import staged_output, write_json
from evofolio.report.tables import metrics_table
from evofolio.strategies import resolve_strategies


def train_config(
    config_path: Path | None,
    preset: str | None,
    family: str | None,
    data: str | None,
    fmt: str | None,
    market: str | None,
    seed: int | None,
    epochs: int | None,
    device: str | None,
    **data_extra: str | None,
) -> RunConfig:
    """The preset or config file, with the command-line options on top (``data_extra``: more
    keys of ``[data]``, e.g. ``timezone``)."""
    if preset is not None and config_path is not None:
        raise UsageError("give --preset or --config, not both")
    config = load_preset(preset) if preset is not None else load_config(config_path)
    keys = config.model.model_fields_set  # the file's [model] keys, checked for --model's family
    file_family = config.model.family
    config = override(config, "data", source=data, format=fmt, market=market, **data_extra)
    config = override(config, "model", family=family)
    source = f"preset {preset}" if preset is not None else str(config_path or "config")
    try:
        check_model_keys(config, source, keys)
    except ConfigError as error:
        if family is None or family == file_family:
            raise
        raise ConfigError(
            f"{error} (--model {family} overrode the file's family '{file_family}': drop "
            "--model or use a config for that family)"
        ) from None
    config = check_model(override(config, "training", epochs=epochs, device=device), source)
    if seed is not None:  # validated like the file's seed (>= 0)
        config = parse_config({**config.model_dump(by_alias=True), "seed": seed}, "--seed")
    return config


def _count(n: int, noun: str) -> str:
    """``"1 fold"``, ``"3 folds"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def strategy_panel_for(config: RunConfig, data: AllocationData) -> StrategyPanel:
    """Model 2's input: the classic strategies over ``data``'s prices (cached on disk), kept
    in ``data.derived`` for the folds' fits."""
    names = resolve_strategies(config.model.get("strategies") or config.strategies.names)
    if len(names) < 2:
        raise UsageError("Model 2 needs at least 2 strategies (model.strategies)")
    section = config.strategies
    return strategy_panel_into(data, section.window, config.backtest.cost_bps, section.covariance)


def baselines(
    config: RunConfig,
    prices: pd.DataFrame | AllocationData,
    folds: list[Fold],
    rules: TradingRules,
    panel: StrategyPanel | None,
) -> dict[str, BacktestResult]:
    """What the model is compared with over the same dates and rules: equal weight, and for
    Model 2 each of its strategies and their equal-weight blend (``prices``: a frame, or the
    ``AllocationData`` of a ragged universe)."""
    out = {
        "equal_weight": run_folds(lambda: ClassicAllocator("equal_weight", 1), prices, folds, rules)
    }
    if panel is not None:
        names = list(config.model.get("strategies") or panel.names)
        window, covariance = config.strategies.window, config.strategies.covariance
        for name in names:
            if name != "equal_weight":
                factory = functools.partial(ClassicAllocator, name, window, covariance=covariance)
                out[name] = run_folds(factory, prices, folds, rules)
        out["equal_blend"] = run_folds(
            lambda: EqualBlendAllocator(names, window, covariance=covariance), prices, folds, rules
        )
    return out


def train_job(
    model: str | None,
    preset: str | None,
    config: Path | None,
    data: str | None,
    fmt: str | None,
    market: str | None,
    timezone: str | None,
    on_suspect_jump: str | None,
    price_column: str | None,
    seed: int | None,
    epochs: int | None,
    device: str | None,
    out: Path,
) -> None:
    """`evofolio train` with its options (see :func:`evofolio.cli.train_cmd.train_command`)."""
    if model is not None and model not in FAMILIES:
        raise UsageError(f"--model must be one of {', '.join(FAMILIES)}, got '{model}'")
    run_config = train_config(
        config,
        preset,
        model,
        data,
        fmt,
        market,
        seed,
        epochs,
        device,
        timezone=timezone,
        on_suspect_jump=on_suspect_jump,
        price_column=price_column,
    )
    loaded = load_market_data(run_config)
    periods = split_periods(
        pd.DatetimeIndex(loaded.prices.index), run_config.data.holdout_start, source=loaded.source
    )
    prices = loaded.prices.loc[periods.development]
    universe = None if loaded.universe is None else loaded.universe.on(periods.development)
    inputs = AllocationData(prices, loaded.market.loc[periods.development], universe=universe)
    walk = run_config.walk_forward
    folds = walk_forward_years(
        pd.DatetimeIndex(prices.index),
        every_years=walk.retrain_years,
        min_train=walk.min_train_days,
        train_years=walk.train_years,
        purge=walk.purge_days,
    )
    rules = TradingRules.from_config(run_config.backtest)
    jobs = run_config.search.jobs
    panel = None
    if family_of(run_config.model.family).reads_strategies:
        with progress_bar() as progress, classic_progress(progress, jobs):
            panel = strategy_panel_for(run_config, inputs)
    fitted: list[NeuralAllocator] = []
    started = time.perf_counter()
    with progress_bar() as progress:
        fold_task = progress.add_task("folds", total=len(folds))
        epoch_task = progress.add_task("epochs", total=run_config.training.epochs)

        def on_epoch(epoch: int, train_loss: float, val_loss: float) -> None:
            progress.update(
                epoch_task, completed=epoch + 1, description=f"epochs (val loss {val_loss:.3f})"
            )

        prototype = estimator_for(run_config, on_epoch=on_epoch)

        def factory() -> NeuralAllocator:
            progress.reset(epoch_task, total=run_config.training.epochs, description="epochs")
            fitted.append(clone(prototype))
            return fitted[-1]

        def on_fold(fold: Fold) -> None:
            progress.advance(fold_task)

        result = run_folds(factory, inputs, folds, rules, on_fold=on_fold)
    seconds = time.perf_counter() - started
    label = f"model_{run_config.model.family}"
    with progress_bar() as progress, classic_progress(progress, jobs):
        classic = baselines(run_config, inputs, folds, rules, panel)
    results = {label: result, **classic}
    _write(out, results, fitted[-1], run_config, loaded.source, folds, seconds)
    rows = {name: r.metrics() for name, r in results.items()}
    first, last = result.gross.index[0], result.gross.index[-1]
    console.print(
        metrics_table(
            rows,
            f"{loaded.source}: walk-forward out of sample {first:%Y-%m-%d} to {last:%Y-%m-%d}, "
            f"{_count(len(folds), 'fold')}, rebalance {rules.rebalance}, {rules.cost_bps:g} bps "
            "(net)",
        )
    )
    console.print(
        f"trained {_count(len(folds), 'model')} in {seconds:.1f} s; wrote {out}/model.pt, "
        "weights.parquet, held.parquet, returns.parquet, metrics.json"
    )


def _write(
    out: Path,
    results: dict[str, BacktestResult],
    last_fit: NeuralAllocator,
    config: RunConfig,
    source: str,
    folds: list[Fold],
    seconds: float,
) -> None:
    settings: dict[str, Any] = {
        "source": source,
        "start": f"{results['equal_weight'].gross.index[0]:%Y-%m-%d}",
        "end": f"{results['equal_weight'].gross.index[-1]:%Y-%m-%d}",
        "folds": [
            {
                "train": [f"{f.train[0]:%Y-%m-%d}", f"{f.train[-1]:%Y-%m-%d}"],
                "test": [f"{f.test[0]:%Y-%m-%d}", f"{f.test[-1]:%Y-%m-%d}"],
            }
            for f in folds
        ],
        "seed": config.seed,
        "backtest": config.backtest.model_dump(),
        "model": config.model.model_dump(),
        "training": config.training.model_dump(),
        "walk_forward": config.walk_forward.model_dump(),
        "training_seconds": seconds,
        "returns": "net of costs",
    }
    with staged_output(out) as staging:
        save_panel(StrategyPanel(results), staging)
        last_fit.save(staging / "model.pt", {"source": source})
        metrics = {name: r.metrics() for name, r in results.items()}
        for name, r in results.items():
            metrics[name]["gross_sharpe"] = r.metrics(net=False)["sharpe"]
        write_json(staging / "metrics.json", {"settings": settings, "metrics": metrics})
