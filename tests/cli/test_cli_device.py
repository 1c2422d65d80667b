"""`--device` on run, evolve and validate, as on train (issue 23); checked before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from evofolio.cli import app
from evofolio.cli.common import resolve_config

runner = CliRunner()


@pytest.mark.parametrize("command", ["run", "evolve", "validate", "train"])
def test_every_training_command_takes_a_device(command: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    # a data file that does not exist: the device must be refused first, before any load
    missing = str(tmp_path / "missing.csv")
    result = runner.invoke(app, [command, "--device", "gpu", "--data", missing, "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("error: command line: invalid value for 'training.device'")
    )
    assert not out.exists()


def test_the_device_reaches_the_configuration() -> None:
    assert resolve_config(None, None, None, None, preset="quick", device="cpu").training.device == (
        "cpu"
    )
    assert resolve_config(None, None, None, None, device="cuda:1").training.device == "cuda:1"
    assert resolve_config(None, None, None, None).training.device == "auto"
