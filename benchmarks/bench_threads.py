"""A search trial's time and its epochs' times by torch thread count, on shared cores.

Issue 21 saw a Model 2 trial spend ~7.7 s an epoch inside a search against 0.24 s alone. This
evaluates that genome (``portfolio``, ``select``, 3 layers of 15 units, ``seq_len`` 68,
``chunk_len`` 170) as a search trial does (:func:`evofolio.search.fitness.evaluate`: the
search's folds, the compute budget, the per-epoch progress notes), on 6 sp500 stocks over
8.7 years (offline), once per thread count in turn, ``--rounds`` times. The trial's note
callback timestamps every epoch, so the printout has the trial's time, the median and the
longest epoch, and how many epochs took over 5x the one-thread median.

``--busy N`` starts N CPU-bound processes beside it (another worker, another program): with
more torch threads than the cores left free, OpenMP's threads wait on each other at every
parallel region. Without ``--busy`` the machine's own load counts; the load average is
printed before each run.

Run: ``.venv/bin/python benchmarks/bench_threads.py --threads 1 2 --rounds 2 --busy 1``
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import multiprocessing
import os
import statistics
import time
from multiprocessing.process import BaseProcess

import torch

from evofolio.compute import usable_cores
from evofolio.config import RunConfig
from evofolio.data.load import load_data
from evofolio.search.fitness import SearchContext, build_context, evaluate

GENOME = {
    "seed": 0,
    "model": {"family": "portfolio", "mode": "select", "layers": 3, "hidden": 15},
    "training": {"seq_len": 68, "chunk_len": 170, "epochs": 60, "patience": 10},
    "search": {"fit_gflop": 150.0, "folds": 3},
}


def spin() -> None:
    while True:
        pass


def trial(config: RunConfig, context: SearchContext) -> tuple[float, list[float]]:
    """The trial's seconds and its epochs' seconds (the first epoch of each fold left out:
    it includes the fold's set-up)."""
    stamps: list[tuple[float, str]] = []

    def note(text: str, *, now: bool = False) -> None:
        stamps.append((time.perf_counter(), text))

    started = time.perf_counter()
    evaluate(config, context, None, None, note)
    seconds = time.perf_counter() - started
    epochs = [
        b[0] - a[0] for a, b in itertools.pairwise(stamps) if "epoch" in a[1] and "epoch" in b[1]
    ]
    return seconds, epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes beside it")
    args = parser.parse_args()
    data = load_data("sp500", on_suspect_jump="ignore")
    keep = data.prices.index >= "2009-04-01"
    data = dataclasses.replace(
        data, prices=data.prices.loc[keep].iloc[:, :6], market=data.market.loc[keep]
    )
    config = RunConfig.model_validate(GENOME)
    context = build_context(config, data)
    print(
        f"{data.prices.shape[1]} assets x {len(data.prices)} days, {len(context.folds)} folds; "
        f"usable cores {usable_cores()}, {args.busy} busy process(es) beside"
    )
    torch.set_num_threads(1)
    trial(config, context)  # untimed: the first fit's imports
    busy: list[BaseProcess] = []
    for _ in range(args.busy):
        process = multiprocessing.get_context("spawn").Process(target=spin, daemon=True)
        process.start()
        busy.append(process)
    results: dict[int, list[tuple[float, list[float]]]] = {n: [] for n in args.threads}
    try:
        for _ in range(args.rounds):
            for threads in args.threads:
                torch.set_num_threads(threads)
                load = os.getloadavg()[0]
                seconds, epochs = trial(config, context)
                results[threads].append((seconds, epochs))
                print(
                    f"  {threads} thread(s): trial {seconds:6.1f} s, "
                    f"{len(epochs)} epochs, median {statistics.median(epochs):.3f} s, "
                    f"longest {max(epochs):.2f} s (load average {load:.1f})"
                )
    finally:
        for process in busy:
            process.terminate()
            process.join()
    base = statistics.median(e for _, epochs in results[min(args.threads)] for e in epochs)
    for threads, runs in results.items():
        epochs = [e for _, run in runs for e in run]
        slow = sum(e > 5 * base for e in epochs)
        print(
            f"{threads} thread(s): trial median {statistics.median(s for s, _ in runs):.1f} s, "
            f"epoch median {statistics.median(epochs):.3f} s, longest {max(epochs):.2f} s "
            f"({max(epochs) / base:.0f}x the {min(args.threads)}-thread median); "
            f"{slow} of {len(epochs)} epochs over 5x"
        )


if __name__ == "__main__":
    main()
