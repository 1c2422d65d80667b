"""Stub evaluators for the search-engine tests (no training), and a search runner script.

The stub's fitness is a deterministic function of the genome. Every evaluation appends
``start`` and then ``done`` to ``evaluations.log`` in its trial directory, so a test can
count how many times each trial was evaluated. A genome with ``cost_bps == PLANTED_COST``
raises :class:`PlantedError`; one with ``cost_bps == NAN_COST`` scores NaN; one with
``cost_bps == PRUNE_COST`` is pruned after reporting a first value.

Run as a script, it runs a search with the stub (used by the SIGKILL test)::

    python search_helpers.py RUN_DIR POPULATION GENERATIONS DELAY_S HEARTBEAT_S [JOBS]
"""

from __future__ import annotations

import errno
import functools
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import optuna

from evofolio.config import RunConfig, parse_config
from evofolio.search.engine.evaluator import TrialContext, TrialOutcome
from evofolio.search.plan import run_search
from evofolio.search.space import Genome

LOG = "evaluations.log"
PLANTED_COST = 7.25
NAN_COST = 3.5
PRUNE_COST = 4.5


class PlantedError(RuntimeError):
    """The error a planted genome raises."""


def stub_fitness(genome: Genome) -> float:
    score = -abs(math.log10(genome.lr) + 2.5) + 0.1 * genome.layers - 0.5 * genome.dropout
    return score + 0.01 * len(genome.features) + (0.2 if genome.family == "portfolio" else 0.0)


class StubEvaluator:
    """Sleeps ``delay`` seconds, then scores the genome (see the module docstring)."""

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.delay, self.fail = delay, fail

    def __call__(self, trial: optuna.Trial, genome: Genome, context: TrialContext) -> TrialOutcome:
        log = context.trial_dir / LOG
        with log.open("a") as handle:
            handle.write(f"start {os.getpid()}\n")
        time.sleep(self.delay)
        if self.fail or genome.cost_bps == PLANTED_COST:
            raise PlantedError(f"planted failure in trial {context.number}")
        if genome.cost_bps == PRUNE_COST and context.can_prune:
            trial.report(-1.0, 0)
            raise optuna.TrialPruned
        value = math.nan if genome.cost_bps == NAN_COST else stub_fitness(genome)
        with log.open("a") as handle:
            handle.write("done\n")
        attrs: dict[str, Any] = {"fold_sharpe": [value, value / 2], "family": genome.family}
        if context.multi_objective:
            return TrialOutcome((value, 0.1 * genome.layers, genome.dropout), attrs)
        return TrialOutcome((value,), attrs)


class InterruptingEvaluator(StubEvaluator):
    """Raises ``KeyboardInterrupt`` (Ctrl-C) in trial number ``at``."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def __call__(self, trial: optuna.Trial, genome: Genome, context: TrialContext) -> TrialOutcome:
        if context.number == self.at:
            raise KeyboardInterrupt
        return super().__call__(trial, genome, context)


class DiskFullEvaluator(StubEvaluator):
    """Its trial number ``at`` (every trial if None) meets a full disk writing its model
    file, as the kernel reports it (``OSError`` ENOSPC naming the file)."""

    def __init__(self, at: int | None = None, delay: float = 0.0) -> None:
        super().__init__(delay=delay)
        self.at = at

    def __call__(self, trial: optuna.Trial, genome: Genome, context: TrialContext) -> TrialOutcome:
        if self.at is None or context.number == self.at:
            path = context.trial_dir / "model.pt"
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return super().__call__(trial, genome, context)


def evaluations(trial_dir: Path) -> tuple[int, int]:
    """(starts, completions) recorded in a trial directory."""
    path = trial_dir / LOG
    lines = path.read_text().splitlines() if path.is_file() else []
    return sum(line.startswith("start") for line in lines), lines.count("done")


def search_config(
    population: int = 4, generations: int = 2, heartbeat: int = 1, **search: Any
) -> RunConfig:
    """A run config for a quick search: one mixed population unless ``islands=True`` is
    passed (the engine's single-population mechanics; tests/search/test_islands.py tests the
    islands)."""
    values = {
        "islands": False,
        "population": population,
        "generations": generations,
        "heartbeat_seconds": heartbeat,
        **search,
    }
    return parse_config({"seed": 3, "search": values})


def main(argv: list[str]) -> None:
    run_dir, population, generations, delay, heartbeat = argv[:5]
    jobs = int(argv[5]) if len(argv) > 5 else 1
    config = search_config(int(population), int(generations), int(heartbeat))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    factory = functools.partial(StubEvaluator, float(delay))
    result = run_search(config, Path(run_dir), factory, jobs=jobs, poll_seconds=0.2)
    print(f"complete={result.counts.complete}")


if __name__ == "__main__":
    main(sys.argv[1:])
