"""A full disk stops the search in one line and is no genome's fault: the interrupted trial
is re-queued (or, if the storage could not even record that, recovered on resume) and
evaluated when the search runs again; nothing counts it as a failed genome."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from search_helpers import DiskFullEvaluator, StubEvaluator, search_config

from evofolio.errors import OutputError
from evofolio.search.engine.records import trials_frame
from evofolio.search.engine.storage import default_storage_url
from evofolio.search.engine.trial_record import count_trials
from evofolio.search.plan import SINGLE_OBJECTIVE, run_search

NAMES = (SINGLE_OBJECTIVE,)


@pytest.fixture(autouse=True)
def _quiet_optuna() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def study_of(run_dir: Path) -> optuna.Study:
    return optuna.load_study(study_name="evofolio", storage=default_storage_url(run_dir))


def test_a_full_disk_stops_the_search_and_the_trial_is_evaluated_on_resume(
    tmp_path: Path,
) -> None:
    config = search_config(population=4, generations=1)
    with pytest.raises(OutputError) as raised:
        run_search(config, tmp_path, functools.partial(DiskFullEvaluator, at=2))
    model = tmp_path / "trials" / "00002" / "model.pt"
    assert str(raised.value) == f"cannot write {model}: no space left on device"
    study = study_of(tmp_path)
    assert [t.state for t in study.trials[:3]] == [TrialState.COMPLETE] * 2 + [TrialState.FAIL]
    assert study.trials[2].user_attrs["failure"] == "interrupted"  # not "error"
    assert count_trials(study.trials).failed == 0  # not an evaluated genome
    waiting = study.get_trials(states=(TrialState.WAITING,))
    assert [t.params for t in waiting] == [study.trials[2].params]
    assert len(study.trials) == 4  # it stopped at once: no trial after the full disk

    result = run_search(config, tmp_path, StubEvaluator)  # space is back
    frame = trials_frame(result.study, NAMES)
    assert result.counts.complete == 4 and result.counts.failed == 0
    retry = frame[frame["retry_of"] == 2]
    assert list(retry["state"]) == ["COMPLETE"]
    assert retry["params_" + next(iter(study.trials[2].params))].item() == next(
        iter(study.trials[2].params.values())
    )


def test_a_full_disk_in_a_worker_process_stops_every_worker(tmp_path: Path) -> None:
    """Trial 0 meets the full disk; the other worker is stopped, not left to go on."""
    config = search_config(population=4, generations=3, heartbeat=2)
    factory = functools.partial(DiskFullEvaluator, at=0, delay=1.0)
    with pytest.raises(OutputError, match=r"00000/model\.pt: no space left on device$"):
        run_search(config, tmp_path, factory, jobs=2, poll_seconds=0.2)
    trials = study_of(tmp_path).trials
    counts = count_trials(trials)
    assert counts.failed == 0 and counts.running == 0
    assert counts.complete <= 3  # of 12: the other worker stopped within a trial or two
    assert trials[0].user_attrs["failure"] == "interrupted"


KILLED = textwrap.dedent(
    """
    import sys, os, signal
    sys.path.insert(0, sys.argv[2])
    from pathlib import Path
    import optuna
    from search_helpers import search_config
    from evofolio.search.engine.storage import default_storage_url, make_storage, quiet_optuna
    from evofolio.search.plan import search_plan

    config = search_config(population=4, generations=1)
    plan = search_plan(config, Path(sys.argv[1]))
    storage = make_storage(default_storage_url(Path(sys.argv[1])), config.search)
    study = plan.open(storage, "evofolio")
    with quiet_optuna():
        study.ask()  # a trial left running: no heartbeat, no worker: as a full sqlite leaves it
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_an_exclusive_search_recovers_trials_left_running_at_once(tmp_path: Path) -> None:
    """The run directory's own SQLite file under its lock: no need to wait for staleness."""
    done = subprocess.run(
        [sys.executable, "-c", KILLED, str(tmp_path), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert [t.state for t in study_of(tmp_path).trials] == [TrialState.RUNNING]
    config = search_config(population=4, generations=1)  # an orphan after 60 s otherwise
    started = time.monotonic()
    result = run_search(config, tmp_path, StubEvaluator, exclusive=True, poll_seconds=0.1)
    assert time.monotonic() - started < 30
    first = result.study.trials[0]
    assert first.state == TrialState.FAIL and first.user_attrs["failure"] == "interrupted"
    assert result.counts.complete == 4 and result.counts.failed == 0
    frame = trials_frame(result.study, NAMES)
    assert list(frame.loc[frame["retry_of"] == 0, "state"]) == ["COMPLETE"]
    assert os.path.exists(tmp_path / "trials.parquet")
