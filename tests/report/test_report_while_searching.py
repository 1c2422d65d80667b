"""`report`, `allocate` and `load_champion` on a finished run directory whose search has been
resumed by another process (a larger budget): refused in one line while it runs, as before
once it has stopped (even killed)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evofolio import load_champion
from evofolio.cli import app
from evofolio.errors import SearchRunningError
from evofolio.runlock import holder_of

runner = CliRunner()

RESUME = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path[:0] = [sys.argv[3], sys.argv[4]]
    from evofolio.data import load_data
    from evofolio.search.jobs.run import run_pipeline
    from real_run import tiny_run_config

    source, run_dir = Path(sys.argv[1]), Path(sys.argv[2])
    config = tiny_run_config(source, multi_objective=False, families=["asset"])
    bigger = config.search.model_copy(update={"generations": 50})
    run_pipeline(config.model_copy(update={"search": bigger}), load_data(str(source)), run_dir)
    """
)


@pytest.mark.slow
def test_readers_refuse_while_a_resumed_search_runs(single_run: Path, tmp_path: Path) -> None:
    run = Path(shutil.copytree(single_run, tmp_path / "single"))
    source = single_run.parent / "single.csv"
    here = Path(__file__).parent
    search = subprocess.Popen(
        [sys.executable, "-c", RESUME, str(source), str(run), str(here), str(here.parent)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while holder_of(run) is None:
            assert search.poll() is None, search.stderr.read() if search.stderr else ""
            assert time.monotonic() < deadline, "the resumed search never took its lock"
            time.sleep(0.2)
        holder = holder_of(run)
        assert holder is not None and holder.pid == search.pid
        for args in (["report", str(run)], ["allocate", "--run", str(run)]):
            result = runner.invoke(app, args)
            assert result.exit_code == 2, result.output
            assert "Traceback" not in result.output
            line = result.stderr.strip().splitlines()[-1]
            assert line.startswith(f"error: {run}: a search (pid {search.pid}, host "), line
        with pytest.raises(SearchRunningError, match=f"pid {search.pid}"):
            load_champion(run)
    finally:
        os.kill(search.pid, signal.SIGKILL)  # a crash: its lock must not outlive it
        search.wait(timeout=30)
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert load_champion(run).family == "asset"
