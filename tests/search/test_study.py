"""The search engine with stub evaluators: completes, resumes, survives SIGKILL, runs in
parallel without losing or duplicating trials, and keeps failures as data."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState
from search_helpers import (
    NAN_COST,
    PLANTED_COST,
    PRUNE_COST,
    InterruptingEvaluator,
    StubEvaluator,
    evaluations,
    search_config,
)

from evofolio.features import FEATURES
from evofolio.search.engine.progress import SearchEvent
from evofolio.search.engine.records import trials_frame
from evofolio.search.engine.recovery import fail_stale
from evofolio.search.engine.samplers import TrialSeededNSGAIISampler
from evofolio.search.engine.storage import (
    default_storage_url,
    make_storage,
    open_study,
    quiet_optuna,
)
from evofolio.search.engine.trial_record import GENERATION_KEY
from evofolio.search.engine.workers import trial_directory
from evofolio.search.plan import SINGLE_OBJECTIVE, enqueue_genomes, run_search
from evofolio.search.space import encode, suggest_genome
from evofolio.strategies import STRATEGIES

HELPERS = Path(__file__).with_name("search_helpers.py")
NAMES = (SINGLE_OBJECTIVE,)


@pytest.fixture(autouse=True)
def _quiet_optuna() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def trial_dir(run_dir: Path, number: int) -> Path:
    return run_dir / "trials" / f"{number:05d}"


def assert_each_complete_trial_evaluated_once(
    run_dir: Path, frame: pd.DataFrame, *, parallel: bool = False
) -> None:
    done = frame[frame["state"] == "COMPLETE"]
    for number, twin in zip(done["number"], done["duplicate_of"], strict=True):
        if pd.isna(twin):
            assert evaluations(trial_dir(run_dir, number)) == (1, 1), number
        else:  # a clone of a completed genome: its outcome was reused, not trained again
            assert not trial_dir(run_dir, number).exists()
    genomes = done[done["duplicate_of"].isna()].filter(like="params_").astype(str)
    if not parallel:  # in parallel, a clone may start while its twin still runs
        assert not genomes.duplicated().any()


def test_tiny_search_completes_with_every_family(tmp_path: Path) -> None:
    events: list[SearchEvent] = []
    config = search_config(population=4, generations=2)
    result = run_search(config, tmp_path, StubEvaluator, on_event=events.append)
    frame = pd.read_parquet(result.trials_path)
    assert result.reached_target and result.counts.complete == 8
    assert list(frame["state"]) == ["COMPLETE"] * 8
    assert set(frame["generation"]) == {0, 1}
    assert TrialSeededNSGAIISampler._get_generation_key() == GENERATION_KEY
    assert set(frame["params_family"]) == set(config.search.families)  # every family tried
    for column in ("number", "fitness", "duration_s", "error", "attr_fold_sharpe", "worker"):
        assert column in frame.columns
    assert frame["attr_fold_sharpe"].map(len).eq(2).all()
    assert_each_complete_trial_evaluated_once(tmp_path, frame)
    assert events[-1].finished and events[-1].counts.complete == 8
    assert events[-1].best == frame["fitness"].max() and events[-1].eta_s == 0.0
    complete = [e.counts.complete for e in events[:-1]]  # also between trials (each poll)
    assert complete == sorted(complete) and set(complete) == set(range(9))

    again = run_search(config, tmp_path, StubEvaluator)  # resume: nothing left to do
    assert again.counts == result.counts
    assert_each_complete_trial_evaluated_once(tmp_path, pd.read_parquet(again.trials_path))

    twin_dir = tmp_path.parent / "twin"  # the same seed gives the same genomes
    twin = run_search(config, twin_dir, StubEvaluator)
    assert (
        trials_frame(twin.study, NAMES).filter(like="params_").equals(frame.filter(like="params_"))
    )


def test_resume_with_more_generations_continues(tmp_path: Path) -> None:
    run_search(search_config(population=4, generations=1), tmp_path, StubEvaluator)
    result = run_search(search_config(population=4, generations=2), tmp_path, StubEvaluator)
    frame = trials_frame(result.study, NAMES)
    assert result.counts.complete == 8 and set(frame["generation"]) == {0, 1}
    assert_each_complete_trial_evaluated_once(tmp_path, frame)


def test_planted_failures_become_failed_trials_and_the_search_goes_on(tmp_path: Path) -> None:
    config = search_config(population=4, generations=1)
    known = {**encode(config), "weight_decay": 1e-4}  # the default 0.0 is off the log scale
    planted = {**known, "cost_bps": PLANTED_COST}
    diverging = {**known, "cost_bps": NAN_COST}  # the stub returns NaN
    hopeless = {**known, "cost_bps": PRUNE_COST}  # the stub prunes it
    assert enqueue_genomes(config, tmp_path, [planted, diverging, hopeless]) == 3
    result = run_search(config, tmp_path, StubEvaluator)
    frame = pd.read_parquet(tmp_path / "trials.parquet")
    failed = frame[frame["state"] == "FAIL"].set_index("number")
    assert list(failed.index) == [0, 1]
    assert failed.loc[0, "error"] == "PlantedError: planted failure in trial 0"
    assert "not finite" in failed.loc[1, "error"]
    assert set(failed["failure"]) == {"error"}
    assert frame.loc[2, "state"] == "PRUNED"
    # the pruned genome was evaluated: it spends one of the generation's 4 places
    assert result.counts.complete == 3 and result.counts.failed == 2
    assert result.counts.pruned == 1 and result.counts.spent == 4
    assert frame.loc[frame["state"] == "COMPLETE", "error"].isna().all()


def test_a_generation_is_population_evaluated_genomes_pruned_ones_included(
    tmp_path: Path,
) -> None:
    """Issue 23: "2 generations of 4 genomes" evaluated 16 trials because pruned trials did
    not count. Two hopeless genomes pruned in generation 0 take two of its 4 places, NSGA-II
    starts generation 1 after 4 evaluated trials, and the search stops at 8."""
    config = search_config(population=4, generations=2)
    known = {**encode(config), "weight_decay": 1e-4}
    hopeless = [{**known, "cost_bps": PRUNE_COST, "lr": lr} for lr in (1e-3, 2e-3)]
    assert enqueue_genomes(config, tmp_path, hopeless) == 2
    result = run_search(config, tmp_path, StubEvaluator)
    frame = trials_frame(result.study, NAMES)
    assert len(frame) == 8 and result.counts.spent == 8 and result.counts.pruned == 2
    per_generation = frame.groupby("generation")["state"].agg(list).to_dict()
    assert sorted(per_generation) == [0, 1]
    assert sorted(per_generation[0]) == ["COMPLETE", "COMPLETE", "PRUNED", "PRUNED"]
    assert per_generation[1] == ["COMPLETE"] * 4


def test_a_search_where_everything_fails_stops_at_the_cap(tmp_path: Path) -> None:
    config = search_config(population=4, generations=2, max_trials=5)
    result = run_search(config, tmp_path, functools.partial(StubEvaluator, fail=True))
    assert not result.reached_target
    assert result.counts.failed == 5 and result.counts.complete == 0


def test_ctrl_c_marks_the_trial_and_requeues_its_genome(tmp_path: Path) -> None:
    config = search_config(population=4, generations=1)
    with pytest.raises(KeyboardInterrupt):
        run_search(config, tmp_path, functools.partial(InterruptingEvaluator, at=2))
    study = optuna.load_study(study_name="evofolio", storage=default_storage_url(tmp_path))
    interrupted = study.trials[2]
    assert interrupted.state == TrialState.FAIL
    assert interrupted.user_attrs["failure"] == "interrupted"
    waiting = study.get_trials(states=(TrialState.WAITING,))
    assert [t.params for t in waiting] == [interrupted.params]
    assert (tmp_path / "trials.parquet").is_file()

    result = run_search(config, tmp_path, StubEvaluator)
    frame = trials_frame(result.study, NAMES)
    assert result.counts.complete == 4
    retry = frame[frame["retry_of"] == 2]
    assert list(retry["state"]) == ["COMPLETE"]
    assert_each_complete_trial_evaluated_once(tmp_path, frame)


def test_orphan_trial_without_heartbeat_is_failed_and_requeued(tmp_path: Path) -> None:
    config = search_config(population=4, generations=1)
    storage = make_storage(default_storage_url(tmp_path), config.search)
    study = open_study(config.search, storage, "evofolio", seed=0, directions=["maximize"])
    with quiet_optuna():
        orphan = study.ask()  # as if its process died before the first heartbeat
    genes = suggest_genome(orphan, config.search, list(FEATURES), list(STRATEGIES)).params
    fail_stale(study, storage, max_retry=3, orphan_seconds=60.0)
    assert study.trials[0].state == TrialState.RUNNING  # too recent to be an orphan
    fail_stale(study, storage, max_retry=3, orphan_seconds=0.0)
    assert study.trials[0].state == TrialState.FAIL
    assert [t.params for t in study.get_trials(states=(TrialState.WAITING,))] == [genes]
    result = run_search(config, tmp_path, StubEvaluator)
    frame = trials_frame(result.study, NAMES)
    assert result.counts.complete == 4
    assert frame.loc[frame["retry_of"] == 0, "state"].tolist() == ["COMPLETE"]


def test_multi_objective_values_are_named(tmp_path: Path) -> None:
    config = search_config(population=4, generations=1, multi_objective=True)
    result = run_search(config, tmp_path, StubEvaluator)
    frame = pd.read_parquet(result.trials_path)
    assert {"sharpe", "max_drawdown", "turnover"} <= set(frame.columns)
    assert len(result.study.directions) == 3 and result.study.best_trials


def snapshot(run_dir: Path) -> list[optuna.trial.FrozenTrial]:
    storage = make_storage(default_storage_url(run_dir), search_config().search)
    return optuna.load_study(study_name="evofolio", storage=storage).get_trials()


def wait_for(condition: callable, timeout: float = 60.0) -> None:  # type: ignore[valid-type]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_sigkill_mid_generation_then_rerun_keeps_every_completed_trial(tmp_path: Path) -> None:
    # each stub trial takes 2 s, so the kill lands while the chosen trial is still running
    command = [sys.executable, str(HELPERS), str(tmp_path), "4", "2", "2.0", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed: list[int] = []

    def mid_trial() -> bool:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            trials = snapshot(tmp_path)
        except KeyError:  # the study is not created yet
            return False
        running = [t.number for t in trials if t.state == TrialState.RUNNING]
        done = sum(t.state == TrialState.COMPLETE for t in trials)
        if done >= 2 and running and evaluations(trial_dir(tmp_path, running[0]))[0] == 1:
            killed[:] = running
            return True
        return False

    wait_for(mid_trial)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    state = {t.number: t.state for t in snapshot(tmp_path)}
    assert state[killed[0]] == TrialState.RUNNING, "the kill must land mid-trial"
    before = {t.number: t for t in snapshot(tmp_path) if t.state == TrialState.COMPLETE}
    assert 2 <= len(before) < 4  # killed in the middle of generation 0

    subprocess.run(command, check=True, capture_output=True, timeout=120)
    after = {t.number: t for t in snapshot(tmp_path)}
    for number, trial in before.items():
        assert after[number].state == TrialState.COMPLETE
        assert after[number].values == trial.values and after[number].params == trial.params
    assert after[killed[0]].state == TrialState.FAIL
    assert evaluations(trial_dir(tmp_path, killed[0])) == (1, 0)
    retries = [t for t in after.values() if t.system_attrs.get("failed_trial") == killed[0]]
    assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE
    assert retries[0].params == after[killed[0]].params
    assert trial_directory(tmp_path, retries[0]).name == f"{retries[0].number:05d}"
    frame = pd.read_parquet(tmp_path / "trials.parquet")
    assert (frame["state"] == "COMPLETE").sum() == 8
    assert frame.loc[frame["number"] == killed[0], "failure"].item() == "stale"
    assert_each_complete_trial_evaluated_once(tmp_path, frame)


def test_two_workers_on_one_storage_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    config = search_config(population=4, generations=2, heartbeat=2)
    factory = functools.partial(StubEvaluator, delay=0.2)
    result = run_search(config, tmp_path, factory, jobs=2, poll_seconds=0.2)
    frame = trials_frame(result.study, NAMES)
    assert result.counts.complete == 8
    assert frame["number"].is_unique
    assert frame["worker"].nunique() == 2
    assert set(frame["state"]) <= {"COMPLETE", "FAIL"}
    assert set(frame["failure"].dropna()) <= {"released"}
    assert_each_complete_trial_evaluated_once(tmp_path, frame, parallel=True)


def test_two_commands_on_one_storage_share_the_study(tmp_path: Path) -> None:
    enqueue_genomes(search_config(), tmp_path, [])  # the study exists before both start
    command = [sys.executable, str(HELPERS), str(tmp_path), "4", "2", "0.3", "2"]
    runs = [subprocess.Popen(command, stdout=subprocess.DEVNULL) for _ in range(2)]
    assert [run.wait(timeout=120) for run in runs] == [0, 0]
    frame = trials_frame(
        optuna.load_study(study_name="evofolio", storage=default_storage_url(tmp_path)), NAMES
    )
    assert (frame["state"] == "COMPLETE").sum() == 8
    assert frame["worker"].nunique() == 2
    assert_each_complete_trial_evaluated_once(tmp_path, frame, parallel=True)


def test_ctrl_c_stops_every_worker_cleanly(tmp_path: Path) -> None:
    command = [sys.executable, str(HELPERS), str(tmp_path), "4", "2", "5.0", "2", "2"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a process group, as a terminal's Ctrl-C reaches it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )

    def both_running() -> bool:
        try:
            trials = snapshot(tmp_path)
        except KeyError:
            return False
        running = [t for t in trials if t.state == TrialState.RUNNING]
        return len(running) == 2 and all(
            evaluations(trial_dir(tmp_path, t.number))[0] == 1 for t in running
        )

    wait_for(both_running)
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) != 0
    trials = snapshot(tmp_path)
    interrupted = [t for t in trials if t.user_attrs.get("failure") == "interrupted"]
    waiting = [t for t in trials if t.state == TrialState.WAITING]
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    assert len(interrupted) == 2
    assert sorted(t.system_attrs["failed_trial"] for t in waiting) == sorted(
        t.number for t in interrupted
    )


def _worker_pids(run_dir: Path) -> set[int]:
    pids = set()
    for log in run_dir.glob("trials/*/evaluations.log"):
        pids |= {int(line.split()[1]) for line in log.read_text().splitlines() if "start" in line}
    return pids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_stop_when_the_search_command_is_killed(tmp_path: Path, how: int) -> None:
    """Killing the command (only its own process, not its group) leaves no worker behind."""
    # 40 stub trials of 3 s on 2 workers: a minute of work left when the command dies
    command = [sys.executable, str(HELPERS), str(tmp_path), "4", "10", "3.0", "30", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: len(_worker_pids(tmp_path)) >= 2)
    workers = _worker_pids(tmp_path)
    assert process.pid not in workers and all(_alive(pid) for pid in workers)
    os.kill(process.pid, how)
    process.wait(timeout=60)
    wait_for(lambda: not any(_alive(pid) for pid in workers), timeout=20)
