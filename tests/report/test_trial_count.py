"""One trial count in the report, its parts explained where it is shown (issue 23: one report
gave 72 / 67 / 60 + 12 / 55 + 12 without saying why)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from evofolio.report.html import build_report
from evofolio.report.search_stats import trial_count_sentence, trial_counts


def test_every_trial_is_counted_once_in_its_part() -> None:
    trials = pd.DataFrame(
        {
            "number": range(9),
            "state": ["COMPLETE"] * 4 + ["PRUNED"] * 2 + ["FAIL"] * 2 + ["RUNNING"],
            "duplicate_of": [np.nan, np.nan, np.nan, 1.0, np.nan, np.nan, np.nan, np.nan, np.nan],
            "failure": [None] * 6 + ["error", "released", None],
        }
    )
    counts = trial_counts(trials)
    assert counts == {
        "tried": 5,  # 3 own completed + 2 pruned: the DSR's N
        "spent": 6,  # the budget counts the clone
        "own": 3,
        "clones": 1,
        "pruned": 2,
        "failed": 1,
        "lost": 1,
        "other": 1,
        "total": 9,
    }
    sentence = trial_count_sentence(trials)
    assert sentence.startswith(
        "N = 5 configurations tried on validation data (3 completed + 2 pruned)"
    )
    assert "1 more completed trials were clones" in sentence
    assert "1 failed while evaluated" in sentence and "1 were never evaluated" in sentence
    assert sentence.endswith("The study holds 9 trials in all.")


def test_the_report_states_the_n_the_verdict_uses(multi_run: Path, tmp_path: Path) -> None:
    metrics = json.loads((multi_run / "champion" / "metrics.json").read_text())
    n = metrics["search_statistics"]["n_evaluated"]
    text = html.unescape(build_report(multi_run).read_text())
    said = re.search(r"N = (\d+) configurations tried on validation data", text)
    assert said is not None and int(said.group(1)) == n
    trials = pd.read_parquet(multi_run / "trials.parquet")
    assert trial_counts(trials)["tried"] == n
