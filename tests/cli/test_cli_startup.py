"""`evofolio --help`, `--version`, every command's `--help` and `evofolio data` start without
importing torch (issue 23: they took 6-8 s because the CLI imported torch for every command).

Each command runs in a fresh interpreter (``sys.modules`` of this test process already holds
torch), through the console script's own entry point, and reports which heavy modules it
imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

PROBE = """
import json, sys
sys.argv = ["evofolio", *json.loads(sys.argv[1])]
from evofolio.cli import main
try:
    main()
except SystemExit as exit:
    code = exit.code
heavy = [name for name in ("torch", "optuna.samplers", "plotly") if name in sys.modules]
print("HEAVY=" + json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def probe(args: list[str]) -> tuple[int, list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("HEAVY="))
    found = json.loads(line.removeprefix("HEAVY="))
    return found["code"], found["heavy"], done.stdout


COMMANDS = ["run", "data", "backtest", "train", "evolve", "report", "allocate", "validate"]


@pytest.mark.parametrize("args", [["--version"], ["--help"], *[[c, "--help"] for c in COMMANDS]])
def test_help_and_version_do_not_import_torch(args: list[str]) -> None:
    code, heavy, stdout = probe(args)
    assert code in (0, None)
    assert heavy == []
    assert ("evofolio" in stdout) if args == ["--version"] else ("Usage" in stdout)


def test_data_on_a_file_does_not_import_torch(tmp_path: Path, prices: pd.DataFrame) -> None:
    path = tmp_path / "prices.csv"
    prices.to_csv(path)
    code, heavy, stdout = probe(["data", "--data", str(path)])
    assert code in (0, None)
    assert "torch" not in heavy
    assert f"assets ({prices.shape[1]})" in stdout
