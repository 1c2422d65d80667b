"""``asset_attention`` next to Model 1: training time and validation Sharpe on sp500.

Both families are trained as the search trains one genome: the default model and training
settings, the search's compute budget per fit (``search.fit_gflop``), on the S&P 500
development period (20 stocks, before 2018-01-01), the default features, the equal-weight
index as the market series. The validation slice is the training loop's (the last
``training.val_frac`` of the rows); its Sharpe ratio (annualised, gross) is printed next to
equal weight's on the same days. Target: ``asset_attention`` within 3x Model 1's time.

Run: ``.venv/bin/python benchmarks/bench_attention.py --seeds 2 --threads 2``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd
from skfolio.datasets import load_sp500_dataset

from evofolio.allocators.registry import estimator_for
from evofolio.config import RunConfig
from evofolio.data import AllocationData
from evofolio.data.returns import equal_weight_index
from evofolio.metrics.performance import sharpe_ratio
from evofolio.search.fitness import budgeted

DEV_END = "2018-01-01"


def validation_sharpe(weights: pd.DataFrame, prices: pd.DataFrame, val_frac: float) -> float:
    """Annualised gross Sharpe of ``weights`` over the last ``val_frac`` of their dates."""
    dates = weights.index[:-1]
    dates = dates[len(dates) - round(val_frac * len(dates)) :]
    rows = prices.index.get_indexer(dates)
    close = prices.to_numpy(dtype=np.float64)
    nxt = close[rows + 1] / close[rows] - 1.0
    return float(sharpe_ratio((weights.loc[dates].to_numpy() * nxt).sum(axis=1)))


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
    for name in args.families:
        seconds, sharpes, epochs = [], [], []
        for seed in range(args.seeds):
            config = RunConfig.model_validate(
                {"seed": seed, "model": {"family": name}, "training": {"threads": args.threads}}
            )
            config = budgeted(config)
            allocator = estimator_for(config)
            started = time.perf_counter()
            allocator.fit(data)
            seconds.append(time.perf_counter() - started)
            frame = allocator.weights_frame(data)  # type: ignore[attr-defined]
            sharpes.append(validation_sharpe(frame, prices, config.training.val_frac))
            epochs.append(allocator.result_.epochs_run)  # type: ignore[attr-defined]
        ew = validation_sharpe(equal.loc[frame.index], prices, config.training.val_frac)
        print(
            f"{name:16s} fit {statistics.median(seconds):6.1f} s (median of {args.seeds}; "
            f"epochs {epochs}), validation Sharpe {statistics.median(sharpes):.2f} "
            f"(seeds {', '.join(f'{s:.2f}' for s in sharpes)}; equal weight {ew:.2f})"
        )


if __name__ == "__main__":
    main()
