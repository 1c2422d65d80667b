"""The report's pieces: the genome in words, the search summaries, and the command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from typer.testing import CliRunner

from evofolio.cli.report_cmd import report_command
from evofolio.report import search_stats, text
from evofolio.report.html import build_report
from evofolio.report.rundir import read_run_dir

runner = CliRunner()


def figure_count(page: str) -> int:
    return page.count('class="plotly-graph-div"')


def cli_app() -> typer.Typer:
    """A local app (the lead registers the command on the real one)."""
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def root() -> None:
        """evofolio (test)."""

    app.command("report")(report_command)
    return app


def test_genome_in_words_follows_the_family() -> None:
    genome = {
        "family": "asset",
        "encoder": "shared",
        "layers": 2,
        "hidden": 64,
        "dropout": 0.1,
        "lr": 0.001,
        "weight_decay": 1e-5,
        "seq_len": 60,
        "chunk_len": 20,
        "objective": "sortino",
        "cost_bps": 5.0,
        "max_weight": 0.25,
        "mode": "select",
        "feature_ret_1": True,
        "feature_vol_21": True,
        "feature_macd": False,
        "strategy_hrp": True,
    }
    words = " ".join(text.genome_sentences(genome, "asset"))
    assert "Model 1" in words and "shared encoder" in words and "2 LSTM layer(s) of 64" in words
    assert "ret_1, vol_21" in words and "macd" not in words and "hrp" not in words
    assert "Sortino" in words and "capped at 25%" in words
    words = " ".join(text.genome_sentences(genome | {"max_weight": 1.0}, "portfolio"))
    assert "Model 2" in words and "selects the strategy" in words and "hrp" in words
    assert "ret_1" not in words and "cap" not in words  # Model 2 blends strategies: no cap
    words = " ".join(text.genome_sentences(genome | {"heads": 4, "width": 32}, "asset_attention"))
    assert "Transformer" in words and "width 32 with 4 head(s)" in words
    assert "last 60 days" in words and "ret_1, vol_21" in words and "capped at 25%" in words
    assert "LSTM" not in words and "encoder" not in words and "hrp" not in words
    assert text.genome_sentences({}, "asset")  # missing genes never raise


def test_reading_sentences() -> None:
    dsr = {"dsr": 0.9, "sr_star": 0.05, "n_trials": 40}
    assert "best of 40 trials" in text.dsr_sentence(dsr)
    assert f"{0.05 * math.sqrt(252):.2f}" in text.dsr_sentence(dsr)
    assert "this run has 1" in text.pbo_sentence(None, 1)
    assert "70 ways" in text.pbo_sentence({"pbo": 0.2, "n_combinations": 70}, 5)
    assert text.rebalance_text("21") == "every 21 trading days"
    assert "survivor" in text.dataset_note("sp500")
    assert "prices.csv" in text.dataset_note("prices.csv")


def trials_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "number": range(6),
            "generation": [0, 0, 0, 1, 1, 1],
            "state": ["COMPLETE", "FAIL", "COMPLETE", "COMPLETE", "COMPLETE", "PRUNED"],
            "fitness": [0.2, np.nan, 0.6, 0.9, 0.5, np.nan],
            "values_0": [1.0, np.nan, 2.0, 1.5, 0.5, np.nan],
            "values_1": [0.3, np.nan, 0.2, 0.1, 0.4, np.nan],
            "error": [None, "ValueError: diverged\nmore", None, None, None, None],
            "param_family": ["asset", "asset", "portfolio", "asset", "portfolio", "asset"],
            "param_feature_ret_1": [True, True, False, True, False, False],
            "param_feature_vol_21": [False, True, True, False, True, None],
        }
    )


def test_search_summaries() -> None:
    trials = trials_frame()
    summary = search_stats.generation_summary(trials)
    assert summary["best"].tolist() == [0.6, 0.9]
    assert summary["median"].tolist() == [0.4, 0.7]
    counts = search_stats.state_counts(trials)
    assert list(counts.columns) == ["COMPLETE", "PRUNED", "FAIL"]
    assert search_stats.error_counts(trials) == [("ValueError: diverged", 1)]
    final = search_stats.feature_frequency(trials)
    assert final is not None and final.family_only and final.size == 1
    assert final.shares.to_dict() == {"vol_21": 0.0, "ret_1": 1.0}


def test_scores_fall_back_to_the_first_objective() -> None:
    trials = trials_frame().assign(fitness=np.nan)
    assert search_stats.score_label(trials) == "validation Sharpe ratio"
    assert search_stats.completed(trials)["score"].tolist() == [1.0, 2.0, 1.5, 0.5]


def test_pareto_mask() -> None:
    # Sharpe up, drawdown down: (2.0, 0.2) and (1.5, 0.1) are non-dominated.
    done = search_stats.completed(trials_frame())
    assert search_stats.pareto_mask(done).tolist() == [False, True, True, False]
    assert not search_stats.pareto_mask(done.drop(columns=["values_0", "values_1"])).any()


def test_report_command(run_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli_app(), ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output and (run_dir / "report.html").is_file()
    missing = runner.invoke(cli_app(), ["report", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    assert missing.stderr.strip().startswith("error: run directory not found")
    (run_dir / "holdout" / "held.parquet").unlink()
    broken = runner.invoke(cli_app(), ["report", str(run_dir)])
    assert broken.exit_code == 2 and "holdout/held.parquet" in broken.stderr
    assert "Traceback" not in broken.output


def test_trials_table_spelled_by_the_search_is_understood(run_dir: Path) -> None:
    """``params_<gene>``, named objectives and a nullable generation read as documented."""
    path = run_dir / "trials.parquet"
    raw = pd.read_parquet(path)
    raw = raw.rename(columns={c: "params_" + c[6:] for c in raw if c.startswith("param_")})
    raw = raw.rename(columns={"values_0": "sharpe", "values_1": "max_drawdown"})
    raw = raw.rename(columns={"values_2": "turnover"}).drop(columns=["fitness"])
    raw["generation"] = raw["generation"].astype("Int64")
    raw.to_parquet(path)
    meta_path = run_dir / "champion" / "metrics.json"
    meta = json.loads(meta_path.read_text())
    meta["genome"] = {f"params_{k}": v for k, v in meta["genome"].items()}
    meta_path.write_text(json.dumps(meta))
    record = read_run_dir(run_dir)
    assert record.champion.genome["family"] in ("asset", "portfolio")
    trials = record.trials
    assert {"param_family", "values_0", "values_1", "values_2"} <= set(trials.columns)
    assert trials["generation"].dtype.kind == "i"
    assert figure_count(build_report(run_dir).read_text(encoding="utf-8")) == 14
