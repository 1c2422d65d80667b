"""The search's worker processes train networks on data the caller prepared: they never load
the classic rules' optimisers (skfolio, cvxpy, scikit-learn, plotly) nor the statistics'
bootstrap (arch), about 0.1 GB a process that every worker of a 500-asset search paid."""

from __future__ import annotations

import functools
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

from evofolio import load_data
from evofolio.config import parse_config
from evofolio.search.fitness import build_context, make_evaluator
from synthetic import random_prices

HEAVY = ("skfolio", "cvxpy", "sklearn", "plotly", "arch", "statsmodels")

# What a spawned worker does: import the pool's entry point, unpickle the evaluator's
# factory, build the evaluator, then train and trade one genome of each family.
WORKER = textwrap.dedent(
    """
    import pickle, sys
    import evofolio.search.engine.pool
    from evofolio.config import ModelConfig
    from evofolio.search.fitness import evaluate

    factory = pickle.load(open(sys.argv[1], "rb"))
    evaluator = factory()
    for family in ("asset", "asset_attention", "portfolio"):
        config = evaluator.base.model_copy(update={"model": ModelConfig(family=family)})
        assert evaluate(config, evaluator.shared).values
    print(" ".join(sorted(m for m in HEAVY if m in sys.modules)) or "none")
    """
)


def test_a_search_worker_trains_every_family_without_the_rules_or_bootstrap_libraries(
    tmp_path: Path,
) -> None:
    source = tmp_path / "prices.csv"
    random_prices(n_days=1300, n_assets=4, seed=7).to_csv(source)
    config = parse_config(
        {"training": {"epochs": 1}, "search": {"folds": 2}, "data": {"holdout_start": None}}
    )
    context = build_context(config, load_data(source))  # the panel: the caller's work
    assert context.panel is not None
    factory = tmp_path / "factory.pkl"
    factory.write_bytes(pickle.dumps(functools.partial(make_evaluator, context, config)))
    code = f"HEAVY = {HEAVY!r}\n{WORKER}"
    done = subprocess.run(
        [sys.executable, "-c", code, str(factory)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["none"], done.stdout
