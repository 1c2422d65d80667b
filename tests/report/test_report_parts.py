"""The report's pieces: the genome in words, the search summaries, and the command."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from optuna.trial import TrialState
from typer.testing import CliRunner

from evofolio.cli.report_cmd import report_command
from evofolio.report import search_stats, text
from evofolio.report.rundir import read_run_dir
from evofolio.search.engine import records
from evofolio.search.plan import objective_names
from hand_study import MULTI, Hand, hand_study

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


def hand_trials(multi: bool = False) -> pd.DataFrame:
    """The table the search writes (:func:`evofolio.search.engine.records.trials_frame`) for six
    hand-made trials: generation 0 has fitness 0.2, a failure, 0.6; generation 1 has 0.9, 0.5
    and a pruned trial. In multi-objective mode the Sharpe ratios are 1.0, 2.0, 1.5, 0.5."""
    ret_1 = {"feature_ret_1": True}
    vol_21 = {"feature_vol_21": True}
    off = {"feature_ret_1": False, "feature_vol_21": False}
    rows: list[tuple[int, float | None, float | None, dict[str, Any]]] = [
        (0, 0.2, 1.0, {"family": "asset"} | ret_1 | {"feature_vol_21": False}),
        (0, None, None, {"family": "asset"}),
        (0, 0.6, 2.0, {"family": "portfolio"} | off | vol_21),
        (1, 0.9, 1.5, {"family": "asset"} | off | ret_1),
        (1, 0.5, 0.5, {"family": "portfolio"} | off | vol_21),
        (1, None, None, {"family": "asset"}),
    ]
    hands = []
    for number, (generation, fitness, sharpe, genes) in enumerate(rows):
        values: list[float] | None = None
        if fitness is not None and sharpe is not None:
            values = [sharpe, 0.1, 1.0] if multi else [fitness]
        state = TrialState.COMPLETE if values else TrialState.FAIL
        if number == 5:
            state = TrialState.PRUNED
        error = "ValueError: diverged\nmore" if number == 1 else None
        hands.append(Hand(generation, values, state, genes, error))
    study = hand_study(hands, MULTI if multi else ("maximize",))
    return records.trials_frame(study, objective_names(multi))


def test_search_summaries() -> None:
    trials = hand_trials()
    summary = search_stats.generation_summary(trials)
    assert summary["best"].tolist() == [0.6, 0.9]
    assert summary["median"].tolist() == [0.4, 0.7]  # (0.2 + 0.6) / 2, (0.9 + 0.5) / 2
    assert summary["count"].tolist() == [2, 2]
    counts = search_stats.state_counts(trials)
    assert list(counts.columns) == ["COMPLETE", "PRUNED", "FAIL"]
    assert counts.to_numpy().tolist() == [[2, 0, 1], [2, 1, 0]]
    assert search_stats.error_counts(trials) == [("ValueError: diverged", 1)]
    final = search_stats.feature_frequency(trials)
    # generation 1's completed asset genomes: trial 3 only (ret_1 on, vol_21 off)
    assert final is not None and final.family_only and final.size == 1
    assert final.generation == 1
    assert final.shares.to_dict() == {"vol_21": 0.0, "ret_1": 1.0}
    assert search_stats.score_label(trials).startswith("fitness")


def test_scores_fall_back_to_the_first_objective() -> None:
    trials = hand_trials(multi=True)
    assert "fitness" not in trials.columns
    assert search_stats.score_label(trials) == "validation Sharpe ratio"
    assert search_stats.completed(trials)["score"].tolist() == [1.0, 2.0, 1.5, 0.5]
    # the front by hand: equal drawdown and turnover everywhere, so the best Sharpe alone
    assert trials["pareto"].tolist() == [False, False, True, False, False, False]


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


def test_the_report_reads_the_trials_table_as_the_search_wrote_it(multi_run: Path) -> None:
    written = pd.read_parquet(multi_run / "trials.parquet")
    record = read_run_dir(multi_run)
    pd.testing.assert_frame_equal(record.trials, written)  # no renaming layer
    assert {"pareto", "sharpe", "max_drawdown", "turnover", "params_family"} <= set(written)
    champion = written.loc[written["number"] == record.champion.trial].iloc[0]
    assert bool(champion["pareto"])  # the multi-objective champion is on Optuna's front
    genes = {str(k): v for k, v in champion.items()}
    # an island's genome holds its family's genes: the other columns are empty in its row
    genome = {
        k.removeprefix("params_"): v
        for k, v in genes.items()
        if k.startswith("params_") and not (v is None or (isinstance(v, float) and v != v))
    }
    assert record.champion.genome == genome
