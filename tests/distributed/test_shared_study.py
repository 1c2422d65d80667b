"""A search shared by machines, against a real PostgreSQL server and a shared artifact store.

Three processes stand in for three machines: two ``evolve --worker-only`` workers and the
``run`` coordinator, each with its own ``--out``, one study in PostgreSQL and one artifact
directory. The first worker is SIGKILLed while it trains a trial.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from typer.testing import CliRunner

from evofolio.cli import app
from evofolio.runlock import holder_of
from synthetic import random_prices

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
POPULATION, GENERATIONS = 3, 2
ISLANDS = ("asset", "portfolio")  # one population per family (search.islands, the default)
TINY = f"""
seed = 2
[data]
holdout_start = 2007-01-01
[training]
epochs = 1
[search]
population = {POPULATION}
generations = {GENERATIONS}
folds = 2
heartbeat_seconds = 1
families = ["asset", "portfolio"]
[champion]
seeds = 1
[evaluation]
n_boot = 100
"""


def _inputs(folder: Path) -> tuple[Path, Path]:
    source = folder / "prices.csv"
    random_prices(n_days=2100, n_assets=3, seed=5, start="2000-01-03").to_csv(source)
    config = folder / "tiny.toml"
    config.write_text(TINY)
    return source, config


def _evofolio(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    with log.open("wb") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "evofolio", *args],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
        )


def _trials(url: str, study: str) -> list[optuna.trial.FrozenTrial]:
    try:
        return optuna.load_study(
            study_name=study, storage=url.replace("postgresql://", "postgresql+psycopg://")
        ).trials
    except KeyError:
        return []


def _wait_for_training(url: str, study: str, pid: int, out: Path, timeout: float) -> int:
    """The number of the trial process ``pid`` is training (its directory exists)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for trial in _trials(url, study):
            worker = str(trial.user_attrs.get("worker", ""))
            mine = trial.state == TrialState.RUNNING and worker.endswith(f":{pid}")
            if mine and (out / "trials" / f"{trial.number:05d}").is_dir():
                return trial.number
        time.sleep(0.3)
    raise AssertionError(f"process {pid} started no trial in {timeout} s")


def test_coordinator_and_two_workers_share_one_study(tmp_path: Path, postgres_url: str) -> None:
    source, config = _inputs(tmp_path)
    artifacts, study = tmp_path / "artifacts", "shared"
    common = ["--config", str(config), "--data", str(source), "--storage", postgres_url]
    common += ["--study", study, "--artifacts", str(artifacts)]
    out_a, out_b, out_c = (tmp_path / name for name in ("worker-a", "worker-b", "coordinator"))
    a = _evofolio(["evolve", "--worker-only", *common, "--out", str(out_a)], tmp_path / "a.log")
    try:
        killed = _wait_for_training(postgres_url, study, a.pid, out_a, timeout=120)
        holder = holder_of(out_a)  # a reader of the worker's directory sees a search running
        assert holder is not None and holder.role == "worker"
    finally:
        os.kill(a.pid, signal.SIGKILL)
        a.wait()
    b = _evofolio(["evolve", "--worker-only", *common, "--out", str(out_b)], tmp_path / "b.log")
    coordinator = _evofolio(["run", *common, "--out", str(out_c)], tmp_path / "c.log")
    assert coordinator.wait(timeout=600) == 0, (tmp_path / "c.log").read_text()[-3000:]
    assert b.wait(timeout=120) == 0, (tmp_path / "b.log").read_text()[-3000:]

    trials = {t.number: t for t in _trials(postgres_url, study)}
    complete = [t for t in trials.values() if t.state == TrialState.COMPLETE]
    # the budget counts evaluated genomes, pruned ones included
    spent = [t for t in trials.values() if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    # each island's target, not one more
    assert Counter(t.params["family"] for t in spent) == dict.fromkeys(
        ISLANDS, POPULATION * GENERATIONS
    )
    # the killed trial failed; a copy of its genome was queued and completed elsewhere
    assert trials[killed].state == TrialState.FAIL
    retries = [t for t in complete if t.system_attrs.get("failed_trial") == killed]
    assert len(retries) == 1 and retries[0].params == trials[killed].params
    assert not retries[0].user_attrs["worker"].endswith(f":{a.pid}")
    # no completed genome was trained twice (a clone reuses its twin: duplicate_of)
    trained = [t for t in complete if "duplicate_of" not in t.user_attrs]
    assert len({json.dumps(t.params, sort_keys=True) for t in trained}) == len(trained)
    # both live processes did work, and every trained trial has its files in the store
    workers = Counter(t.user_attrs["worker"].rsplit(":", 1)[1] for t in complete)
    assert set(workers) <= {str(b.pid), str(coordinator.pid)}
    assert str(b.pid) in workers, workers
    for trial in trained:
        names = sorted(
            json.loads(v)["filename"]
            for k, v in trial.system_attrs.items()
            if k.startswith("artifacts:")
        )
        assert names == ["metrics.json", "model.pt", "returns.parquet"], trial.number
    # generations stayed whole in each island: each holds exactly its population of
    # evaluated genomes (complete or pruned)
    generations = Counter(
        (t.system_attrs["evofolio:island"], t.system_attrs["NSGAIISampler:generation"])
        for t in spent
    )
    assert generations == {(i, g): POPULATION for i in ISLANDS for g in range(GENERATIONS)}
    assert all(t.params["family"] == t.system_attrs["evofolio:island"] for t in spent)
    # the coordinator's statistics count every completed trial, whoever ran it
    metrics = json.loads((out_c / "champion" / "metrics.json").read_text())
    assert metrics["search_statistics"]["n_completed"] == len(trained)
    assert [row["family"] for row in metrics["families"]["families"]] == list(ISLANDS)
    assert metrics["pbo"] is None or metrics["pbo"]["n_configs"] == len(trained)
    for trial in trained:
        assert (out_c / "trials" / f"{trial.number:05d}" / "returns.parquet").is_file()
    assert (out_c / "report.html").is_file()

    # a fourth machine: an empty directory, the URL and the store
    fourth = tmp_path / "fourth"
    fourth.mkdir()
    result = runner.invoke(
        app,
        [
            "allocate",
            "--run",
            str(fourth),
            "--storage",
            postgres_url,
            "--study",
            study,
            "--artifacts",
            str(artifacts),
            "--data",
            str(source),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    weights = json.loads((fourth / "allocation.json").read_text())["weights"]
    # the networks decide in float32: a sum within a few float32 epsilons of 1
    assert abs(sum(weights.values()) - 1.0) < 1e-6
    here = json.loads((out_c / "champion" / "config.json").read_text())
    assert json.loads((fourth / "champion" / "config.json").read_text()) == here

    # and a fifth rebuilds the report from the URL and the store alone
    fifth = tmp_path / "fifth"
    fifth.mkdir()
    shared = ["--storage", postgres_url, "--study", study, "--artifacts", str(artifacts)]
    result = runner.invoke(app, ["report", str(fifth), *shared])
    assert result.exit_code == 0, result.output
    page = (fifth / "report.html").read_text()
    assert json.loads((fifth / "champion" / "metrics.json").read_text()) == metrics
    assert "Verdict" in page and not (fifth / "search.db").exists()


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (lambda url: url.replace("s3cret-pw", "wrong-pw"), "password authentication failed"),
        (lambda url: url.rsplit(":", 1)[0] + ":1/evofolio", "127.0.0.1"),
    ],
    ids=["unauthorised", "unreachable"],
)
def test_bad_storage_url_is_one_line_with_the_password_masked(
    tmp_path: Path, postgres_url: str, change: object, shown: str
) -> None:
    source, config = _inputs(tmp_path)
    url = change(postgres_url)  # type: ignore[operator]
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "evolve",
            "--config",
            str(config),
            "--data",
            str(source),
            "--storage",
            url,
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith("error: search.storage: cannot open"), lines
    assert "***" in lines[0] and "pw" not in lines[0].replace("***", "")
    assert shown in lines[0]
    assert not out.exists()
