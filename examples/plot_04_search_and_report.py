"""
A search, its champion and its report
=====================================

:func:`evofolio.run` is ``evofolio run`` in Python: a genetic search over the model families
on the development period, each family's champion refit and traded once over the holdout
next to every classic rule, the verdict's tests, and ``report.html``. The budget here is a
toy one (two families, 2 genomes each, 1 epoch per fit) so that the page builds in about a
minute: a search this small decides nothing. ``ev.run(quick=True)`` is the demonstration
budget and ``ev.run()`` the default one (see :doc:`/guide/verdict`).
"""

# %%
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.express as px

import evofolio as ev

rng = np.random.default_rng(7)
dates = pd.bdate_range("2004-01-01", periods=1400, name="date")
steps = rng.normal(0.0003, 0.012, size=(1400, 3))
prices = pd.DataFrame(
    100 * np.exp(np.cumsum(steps, axis=0)), index=dates, columns=["AAA", "BBB", "CCC"]
)

# %%
# The configuration
# -----------------
# Any key of a ``--config`` file (see the configuration reference), as a dict.
config = ev.RunConfig.model_validate(
    {
        "seed": 3,
        "strategies": {"window": 60},
        "training": {"epochs": 1, "device": "cpu", "threads": 1},
        "search": {
            "families": ["asset", "portfolio"],
            "population": 2,
            "generations": 1,
            "folds": 2,
            "min_test_days": 100,
        },
        "champion": {"seeds": 1},
        "evaluation": {"n_boot": 200},
    }
)

# %%
# The run
# -------
# Everything it writes goes to one run directory (here a temporary one).
out = Path(tempfile.mkdtemp()) / "run"
result = ev.run(config, prices, out=out)
result.holdout[["sharpe", "max_drawdown", "annual_turnover"]].round(3)

# %%
# The verdict, as the report's first line states it:
print(result.verdict["verdict"]["text"])

# %%
# The search's trials
# -------------------
# ``trials.parquet`` holds one row per trial: its genes (``params_*``), its fitness, its
# state (completed, pruned or failed) and its timing.
trials = pd.read_parquet(result.run_dir / "trials.parquet")
trials[["number", "params_family", "state", "fitness", "duration_s"]]

# %%
fig = px.strip(
    trials[trials["state"] == "COMPLETE"],
    x="params_family",
    y="fitness",
    labels={"params_family": "family", "fitness": "validation fitness"},
)
fig.update_layout(height=320, margin={"t": 30})
fig

# %%
# The report and the champion
# ---------------------------
# ``report.html`` is one self-contained file (open it in a browser, offline); the champion's
# weights for the next day come from :func:`evofolio.load_champion`.
print(result.report.name, f"{result.report.stat().st_size / 1e6:.1f} MB")
champion = ev.load_champion(result.run_dir)
champion.allocate(prices).round(3)
