"""
Validate the procedure, not one champion
========================================

One holdout is one draw. :func:`evofolio.validate` (``evofolio validate``) asks the question
you face before trading: *if I run this search on the data I have and trade its champion, do
I beat the classic rules?* It repeats the whole search on the dates before each outer period,
trades that search's champion over the period, and tests the stitched out-of-sample track
with the verdict's statistics. The budget here is a toy one (one family, 2 genomes, 1 epoch,
two one-year outer periods) so that the page builds in about a minute; see
:doc:`/guide/validate` for what a real budget found on the S&P 500 data.
"""

# %%
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.express as px

import evofolio as ev

rng = np.random.default_rng(5)
dates = pd.bdate_range("2002-01-01", periods=1800, name="date")
prices = pd.DataFrame(
    100 * np.exp(np.cumsum(rng.normal(0.0003, 0.011, (1800, 3)), axis=0)),
    index=dates,
    columns=["AAA", "BBB", "CCC"],
)

config = ev.RunConfig.model_validate(
    {
        "seed": 1,
        "strategies": {"window": 60},
        "training": {"epochs": 1, "device": "cpu", "threads": 1},
        "search": {
            "families": ["asset"],
            "population": 2,
            "generations": 1,
            "folds": 2,
            "min_test_days": 100,
        },
        "champion": {"seeds": 1},
        "evaluation": {"n_boot": 200},
        "validate": {"outer_years": 1, "first_test": 2006, "generations_after_first": 1},
    }
)

# %%
# Only the development period is read (the holdout, here the last 20 % of the dates, stays
# unseen); each outer search is resumable, like a run.
result = ev.validate(config, prices, out=Path(tempfile.mkdtemp()) / "validate")
print(result.summary["verdict"]["text"])

# %%
# Per outer period: the search's champion next to the classic rules.
pd.DataFrame(result.periods).drop(columns=["genome"], errors="ignore").head()

# %%
# The stitched track of the procedure against equal weight:
growth = pd.DataFrame(
    {name: (1 + result.track[name].net).cumprod() for name in ("champion", "equal_weight")}
)
fig = px.line(growth, labels={"value": "growth of 1, net", "variable": "portfolio"})
fig.update_layout(height=340, margin={"t": 30})
fig
