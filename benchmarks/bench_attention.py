"""``asset_attention`` next to Model 1: training time and validation Sharpe on sp500.

Both families are trained as the search trains one genome: the default model and training
settings, the search's compute budget per fit (``search.fit_gflop``), on the S&P 500
development period (20 stocks, before 2018-01-01), the default features, the equal-weight
index as the market series. The validation slice is the training loop's (the last
``training.val_frac`` of the rows); its Sharpe ratio (annualised, gross) is printed next to
equal weight's on the same days. Target (issue 21): ``asset_attention``'s cost per fit within
2x Model 1's, without a lower validation Sharpe.

Each family is first fitted once for one epoch on a short slice (not timed): the first fit
of a process imports parts of torch (``torch._dynamo``, about 2 s, through the optimiser),
which would otherwise be charged to whichever family runs first. The families then
alternate seed by seed, so a change in the machine's load reaches both alike. Printed per
family: the median fit time, the epochs run (early stopping) and the epochs the compute
budget allows, the seconds per epoch, the validation Sharpe; then the ratios.

Run: ``.venv/bin/python benchmarks/bench_attention.py --seeds 2 --threads 2``
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np
import pandas as pd
import torch
from skfolio.datasets import load_sp500_dataset

from evofolio.allocators.registry import estimator_for
from evofolio.config import RunConfig
from evofolio.data import AllocationData
from evofolio.data.returns import equal_weight_index
from evofolio.metrics.performance import sharpe_ratio
from evofolio.search.fitness import budgeted
from evofolio.training.chunks import make_chunks
from evofolio.training.loop import budget_epochs, validation_start

DEV_END = "2018-01-01"


def validation_sharpe(weights: pd.DataFrame, prices: pd.DataFrame, val_frac: float) -> float:
    """Annualised gross Sharpe of ``weights`` over the last ``val_frac`` of their dates."""
    dates = weights.index[:-1]
    dates = dates[len(dates) - round(val_frac * len(dates)) :]
    rows = prices.index.get_indexer(dates)
    close = prices.to_numpy(dtype=np.float64)
    nxt = close[rows + 1] / close[rows] - 1.0
    return float(sharpe_ratio((weights.loc[dates].to_numpy() * nxt).sum(axis=1)))


def fitted(name: str, seed: int, threads: int, data: AllocationData) -> tuple[Any, RunConfig]:
    """``name``'s estimator for ``seed``, fitted on ``data`` as a search trial fits it."""
    config = RunConfig.model_validate(
        {"seed": seed, "model": {"family": name}, "training": {"threads": threads}}
    )
    config = budgeted(config)
    allocator = estimator_for(config)
    allocator.fit(data)
    return allocator, config


def budget_epochs_of(allocator: Any, config: RunConfig, data: AllocationData) -> int:
    """The epochs the compute budget (``training.max_gflop``) allows the fit just made."""
    training = config.training
    rows = len(allocator._panel(data).dates) - 1  # the rows it trained on (panel.values[:-1])
    cfg = allocator.network_config_
    features = torch.zeros(rows, cfg.n_assets, cfg.n_features)
    val_start = validation_start(rows, training.val_frac)
    train_chunks = make_chunks(
        features, training.seq_len, val_start, training.chunk_len, training.seq_len
    )
    val_chunks = make_chunks(features, val_start, rows, training.chunk_len, training.seq_len)
    return budget_epochs(allocator.network_, training, train_chunks, val_chunks).epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--families", nargs="+", default=["asset", "asset_attention"])
    args = parser.parse_args()
    prices = load_sp500_dataset()
    prices = prices.loc[prices.index < DEV_END]
    data = AllocationData(prices, equal_weight_index(prices))
    equal = pd.DataFrame(1.0 / prices.shape[1], index=prices.index, columns=prices.columns)
    print(f"sp500 development fold: {len(prices)} days x {prices.shape[1]} assets")
    warm = AllocationData(prices.iloc[:600], equal_weight_index(prices.iloc[:600]))
    for name in args.families:  # untimed: the first fit's imports (see the docstring)
        config = RunConfig.model_validate(
            {"model": {"family": name}, "training": {"threads": args.threads, "epochs": 1}}
        )
        estimator_for(config).fit(warm)
    runs: dict[str, list[tuple[float, float, int, int]]] = {name: [] for name in args.families}
    caps: dict[str, int] = {}
    ew = float("nan")
    for seed in range(args.seeds):
        for name in args.families:
            started = time.perf_counter()
            allocator, config = fitted(name, seed, args.threads, data)
            seconds = time.perf_counter() - started
            frame = allocator.weights_frame(data)
            sharpe = validation_sharpe(frame, prices, config.training.val_frac)
            result = allocator.result_
            runs[name].append((seconds, sharpe, result.epochs_run, result.best_epoch))
            caps[name] = budget_epochs_of(allocator, config, data)
            ew = validation_sharpe(equal.loc[frame.index], prices, config.training.val_frac)
    medians = {}
    for name, rows in runs.items():
        seconds = statistics.median(r[0] for r in rows)
        per_epoch = statistics.median(r[0] / r[2] for r in rows)
        sharpe = statistics.median(r[1] for r in rows)
        medians[name] = (seconds, per_epoch, sharpe)
        print(
            f"{name:16s} fit {seconds:6.1f} s (median of {len(rows)}), {per_epoch:5.2f} s/epoch; "
            f"epochs {[r[2] for r in rows]} (best {[r[3] for r in rows]}, budget allows "
            f"{caps[name]}); validation Sharpe {sharpe:.2f} "
            f"(seeds {', '.join(f'{r[1]:.2f}' for r in rows)}; equal weight {ew:.2f})"
        )
    if "asset" in medians:
        base = medians["asset"]
        for name, (seconds, per_epoch, sharpe) in medians.items():
            if name != "asset":
                print(
                    f"{name} / asset: {seconds / base[0]:.2f}x per fit, "
                    f"{per_epoch / base[1]:.2f}x per epoch; validation Sharpe "
                    f"{sharpe:.2f} vs {base[2]:.2f}"
                )


if __name__ == "__main__":
    main()
