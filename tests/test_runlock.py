"""One search per run directory, no reader while it runs: the lock, with real processes."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evofolio import load_champion
from evofolio.cli import app
from evofolio.errors import SearchRunningError
from evofolio.run_layout import SEARCH_LOCK
from evofolio.runlock import check_not_running, holder_of, search_lock, worker_lock
from lock_holders import Holder, holding
from synthetic import random_prices

runner = CliRunner()


def error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.output
    assert len([line for line in lines if line.startswith("error: ")]) == 1, result.stderr
    return lines[-1]


def test_a_second_search_is_refused_up_front_naming_the_holder(tmp_path: Path) -> None:
    run = tmp_path / "run"
    source = tmp_path / "prices.csv"
    random_prices(n_days=300, n_assets=3).to_csv(source)
    with holding(run) as holder:
        started = time.monotonic()
        for command in ("evolve", "run"):
            line = error_line(
                runner.invoke(app, [command, "--data", str(source), "--out", str(run)])
            )
            assert line.startswith(f"error: run directory {run.resolve()} is in use"), line
            assert f"pid {holder.pid}" in line and f"host {socket.gethostname()}" in line
            assert "started 20" in line  # the holder's start time, UTC
        assert time.monotonic() - started < 20  # before the data load and the panel
        assert sorted(p.name for p in run.iterdir()) == [SEARCH_LOCK]  # nothing written
    with search_lock(run):  # the holder is gone: the directory is free again
        info = json.loads((run / SEARCH_LOCK).read_text())
        assert info["pid"] != holder.pid and info["host"] == socket.gethostname()


def test_readers_refuse_in_one_line_while_a_search_holds_the_directory(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with holding(run) as holder:
        line = error_line(runner.invoke(app, ["report", str(run)]))
        assert line.startswith(f"error: {run}: a search (pid {holder.pid}, host ")
        assert "is running in this run directory" in line and "wait until it ends" in line
        line = error_line(runner.invoke(app, ["allocate", "--run", str(run)]))
        assert f"a search (pid {holder.pid}" in line
        with pytest.raises(SearchRunningError, match=f"pid {holder.pid}"):
            load_champion(run)
    # once it has ended the same calls read the directory (here: no finished run in it)
    line = error_line(runner.invoke(app, ["report", str(run)]))
    assert "is running" not in line
    with pytest.raises(Exception) as raised:
        load_champion(run)
    assert not isinstance(raised.value, SearchRunningError)


def test_a_crashed_holder_never_blocks(tmp_path: Path) -> None:
    run = tmp_path / "run"
    holder = Holder(run)
    assert holder_of(run) is not None
    holder.crash()  # SIGKILL: its lock file stays, naming a dead process
    assert json.loads((run / SEARCH_LOCK).read_text())["pid"] == holder.pid
    assert holder_of(run) is None
    check_not_running(run, "the report")  # no error
    with search_lock(run):
        assert json.loads((run / SEARCH_LOCK).read_text())["pid"] != holder.pid


def test_workers_join_each_other_and_the_search_but_readers_wait(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with holding(run, "worker"), holding(run, "worker"):
        holder = holder_of(run)
        assert holder is not None and holder.role == "worker"
        with pytest.raises(SearchRunningError, match=r"a search worker \(--worker-only\)"):
            check_not_running(run, "the report")
        with search_lock(run):  # the coordinator may start beside its workers
            pass
        with worker_lock(run):  # and another worker in this process
            pass


def test_this_process_reads_what_it_holds(tmp_path: Path) -> None:
    """`evofolio run` writes its own report while it holds the lock."""
    run = tmp_path / "run"
    with search_lock(run):
        assert holder_of(run) is None
        check_not_running(run, "the report")
        with search_lock(run):  # re-entered by the pipeline inside evofolio.run
            pass
    assert holder_of(run) is None and (run / SEARCH_LOCK).is_file()


def test_a_refused_start_leaves_no_directory_it_created(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with pytest.raises(ValueError), search_lock(run):  # e.g. bad data, found after the lock
        raise ValueError("bad data")
    assert not run.exists()


def test_a_failed_search_keeps_a_directory_it_wrote_into(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with pytest.raises(RuntimeError), search_lock(run):
        (run / "search.db").write_text("x")
        raise RuntimeError("stopped")
    assert (run / "search.db").is_file()
