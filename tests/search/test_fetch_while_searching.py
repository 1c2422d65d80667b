"""A shared study read from another machine (`report`/`allocate`/`load_champion` with
--storage and --artifacts) while its search runs: refused in one line, with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import optuna
import pytest

from evofolio import load_champion
from evofolio.config import SearchConfig
from evofolio.errors import SearchRunningError
from evofolio.search.engine.optuna_private import live_running_trials
from evofolio.search.engine.storage import make_storage
from evofolio.search.jobs.handoff import fetch_champion, publish_champion

WORKER = textwrap.dedent(
    """
    import sys
    from evofolio.config import SearchConfig
    from evofolio.search.engine.recovery import Heartbeat
    from evofolio.search.engine.storage import make_storage, quiet_optuna
    from evofolio.search.engine.trial_record import WORKER_ATTR
    from evofolio.search.engine.workers import worker_name
    import optuna

    storage = make_storage(sys.argv[1], SearchConfig(heartbeat_seconds=1))
    study = optuna.load_study(study_name="shared", storage=storage)
    with quiet_optuna():
        trial = study.ask()
    trial.set_user_attr(WORKER_ATTR, worker_name())
    with Heartbeat(storage, trial, 1):
        print("running", flush=True)
        sys.stdin.read()
    """
)


def finished_study(tmp_path: Path) -> tuple[str, str, optuna.Study]:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    store = str(tmp_path / "store")
    search = SearchConfig(artifacts=store, heartbeat_seconds=1)
    study = optuna.create_study(storage=make_storage(url, search), study_name="shared")
    study.add_trial(optuna.trial.create_trial(params={}, distributions={}, value=1.0))
    coordinator = tmp_path / "coordinator"
    (coordinator / "champion").mkdir(parents=True)
    (coordinator / "champion" / "config.json").write_text("{}")
    assert publish_champion(search, study, coordinator)
    return url, store, study


def test_a_running_shared_search_is_refused_from_any_machine(tmp_path: Path) -> None:
    url, store, _ = finished_study(tmp_path)
    reader = tmp_path / "reader"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None and worker.stderr is not None
        line = worker.stdout.readline()
        assert line.strip() == "running", line or worker.stderr.read()
        with pytest.raises(SearchRunningError) as raised:
            load_champion(reader, storage=url, artifacts=store, study="shared")
        message = str(raised.value)
        assert message.startswith("study 'shared': a search is running (1 trials running, on ")
        assert f":{worker.pid}" in message  # the worker's host:pid
        assert not reader.exists()  # nothing fetched
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    # its heartbeat goes stale (after 2 x heartbeat_seconds): a dead worker blocks nobody.
    # Polled up to a deadline: on a loaded machine the last beat may land late.
    storage = make_storage(url, SearchConfig(heartbeat_seconds=1))
    deadline = time.monotonic() + 30.0
    live = live_running_trials(optuna.load_study(study_name="shared", storage=storage))
    while live and time.monotonic() < deadline:
        time.sleep(0.5)
        live = live_running_trials(optuna.load_study(study_name="shared", storage=storage))
    assert live == []


def test_a_resumed_study_is_refused_until_its_new_champion_is_published(
    tmp_path: Path,
) -> None:
    url, store, study = finished_study(tmp_path)
    study.add_trial(optuna.trial.create_trial(params={}, distributions={}, value=2.0))
    with pytest.raises(SearchRunningError, match="holds 2 completed trials but its published"):
        fetch_champion(url, "shared", store, tmp_path / "reader")
    search = SearchConfig(artifacts=store)
    assert publish_champion(search, study, tmp_path / "coordinator")
    fetch_champion(url, "shared", store, tmp_path / "reader")
