"""Seconds per GFLOP of the compute budget, per genome: does ``search.fit_gflop`` bind on time?

Fits a few genomes of Model 1 and ``asset_attention`` for 3 epochs each (no early stopping, no
budget, one torch thread) on the S&P 500 data up to 2010 and prints, per genome, the seconds
per epoch, the budget's GFLOP per epoch (:func:`evofolio.training.loop.epoch_gflop`: the
models' ``step_flops`` / ``chunk_flops``) and their ratio. Equal ratios mean the budget is a
time budget across those genomes.

    python benchmarks/bench_budget_rates.py
"""

from __future__ import annotations

import time

import torch
from skfolio.datasets import load_sp500_dataset

from evofolio.allocators.registry import estimator_for
from evofolio.config import RunConfig
from evofolio.data import AllocationData
from evofolio.data.returns import equal_weight_index
from evofolio.training.chunks import make_chunks
from evofolio.training.loop import epoch_gflop, validation_start

EPOCHS = 3
GENOMES = {
    "asset (Model 1), default": {"family": "asset"},
    "asset_attention, 1 head, width 64, 2 layers, dropout 0.2": {
        "family": "asset_attention",
        "heads": 1,
        "width": 64,
        "layers": 2,
        "dropout": 0.2,
    },
    "asset_attention, 4 heads, width 16, 3 layers, dropout 0.2": {
        "family": "asset_attention",
        "heads": 4,
        "width": 16,
        "layers": 3,
        "dropout": 0.2,
    },
    "asset_attention, 4 heads, width 16, 3 layers, no dropout": {
        "family": "asset_attention",
        "heads": 4,
        "width": 16,
        "layers": 3,
        "dropout": 0.0,
    },
}


def main() -> None:
    torch.set_num_threads(1)
    prices = load_sp500_dataset().loc[:"2010-01-01"]
    data = AllocationData(prices, equal_weight_index(prices))
    training = {"threads": 1, "epochs": EPOCHS, "patience": 100, "seq_len": 28, "chunk_len": 179}
    for name, model in GENOMES.items():
        config = RunConfig.model_validate({"seed": 0, "model": model, "training": training})
        allocator = estimator_for(config)
        started = time.perf_counter()
        allocator.fit(data)
        seconds = (time.perf_counter() - started) / EPOCHS
        rows = len(allocator._panel(data).dates) - 1
        shape = allocator.network_config_
        features = torch.zeros(rows, shape.n_assets, shape.n_features)
        cut = validation_start(rows, config.training.val_frac)
        seq, chunk = config.training.seq_len, config.training.chunk_len
        gflop = epoch_gflop(
            allocator.network_,
            make_chunks(features, seq, cut, chunk, seq),
            make_chunks(features, cut, rows, chunk, seq),
        )
        print(
            f"{name}: {seconds:.2f} s/epoch, {gflop:.1f} GFLOP/epoch, "
            f"{1000 * seconds / gflop:.0f} ms per GFLOP"
        )


if __name__ == "__main__":
    main()
