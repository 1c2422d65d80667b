"""Checkpoints: round trip with identical outputs, safe types only, clear errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from training_helpers import fresh_model

from evofolio.errors import DataError
from evofolio.models.asset_lstm import AssetLSTM, AssetLSTMConfig
from evofolio.models.portfolio_lstm import PortfolioLSTM
from evofolio.training import load_checkpoint, save_checkpoint
from evofolio.training.checkpoint import decode_value, encode_value

NETWORKS = {"asset": AssetLSTM}


def test_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    model = fresh_model(assets=5, features=2, encoder="joint", max_weight=0.5).eval()
    scale = np.array([1.5, 2.5])
    scaler = {"mean": [0.1, 0.2], "scale": scale, "clip": 5.0}
    extra = {"fold": ("1990-01-02", "2017-12-29"), "sharpe": np.float64(1.25), "n": 3}
    path = save_checkpoint(
        tmp_path / "sub" / "m.pt",
        "asset",
        model,
        dataclasses.asdict(model.config),
        ["norm_price", "ret_1"],
        scaler,
        extra,
    )
    assert not path.with_name("m.pt.tmp").exists()
    loaded, payload = load_checkpoint(path, NETWORKS)
    assert isinstance(loaded, AssetLSTM) and loaded.config == model.config
    x = torch.randn(2, 12, 5, 2)
    assert torch.equal(loaded(x)[0], model(x)[0])
    assert payload["model"] == "asset"
    assert payload["feature_names"] == ["norm_price", "ret_1"]
    assert isinstance(payload["scaler_state"]["scale"], np.ndarray)
    assert np.array_equal(payload["scaler_state"]["scale"], scale)
    assert payload["extra"] == {"fold": ("1990-01-02", "2017-12-29"), "sharpe": 1.25, "n": 3}
    assert "state_dict" not in payload
    raw = torch.load(path, weights_only=True)
    assert raw["model_config"]["encoder"] == "joint"


def test_unsafe_values_are_refused(tmp_path: Path) -> None:
    model = fresh_model()
    with pytest.raises(TypeError, match=r"extra\.when"):
        save_checkpoint(tmp_path / "m.pt", "asset", model, {}, [], {}, {"when": object()})


def test_values_are_encoded_as_tensors_and_plain_values() -> None:
    value = {"a": np.arange(3.0), "b": (np.int64(2), [np.float32(0.5), "x", None])}
    encoded = encode_value(value, "extra")
    assert isinstance(encoded["a"]["__ndarray__"], torch.Tensor)
    assert type(encoded["b"][0]) is int and type(encoded["b"][1][0]) is float
    decoded = decode_value(encoded)
    assert isinstance(decoded["a"], np.ndarray) and np.array_equal(decoded["a"], np.arange(3.0))
    assert decoded["b"] == (2, [0.5, "x", None])


def test_bad_files_raise_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt", NETWORKS)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="cannot be read"):
        load_checkpoint(junk, NETWORKS)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(DataError, match="not an evofolio checkpoint"):
        load_checkpoint(other, NETWORKS)
    model = fresh_model()
    saved = save_checkpoint(
        tmp_path / "asset.pt", "asset", model, dataclasses.asdict(model.config), ["f"], {}
    )
    networks = {"portfolio": PortfolioLSTM, "asset_attention": AssetLSTM}
    with pytest.raises(
        DataError, match="holds a 'asset' network, not a portfolio / asset_attention"
    ):
        load_checkpoint(saved, networks)
    broken = save_checkpoint(tmp_path / "broken.pt", "asset", model, {"hidden": 8}, ["f"], {})
    with pytest.raises(DataError, match="invalid model_config"):
        load_checkpoint(broken, NETWORKS)


def test_a_checkpoint_from_another_writer_or_mixed_up_is_one_error(tmp_path: Path) -> None:
    model = fresh_model()
    config = dataclasses.asdict(model.config)
    path = save_checkpoint(tmp_path / "m.pt", "asset", model, config, ["f"], {})
    payload = torch.load(path, weights_only=True)
    older = dict(payload)
    del older["scaler_state"]  # an older writer kept no scaler state
    torch.save(older, tmp_path / "older.pt")
    with pytest.raises(DataError, match="no 'scaler_state' \\(written by another version"):
        load_checkpoint(tmp_path / "older.pt", NETWORKS)
    other = AssetLSTM(AssetLSTMConfig(4, 1, hidden=16))  # another size than the config says
    mixed = {**payload, "state_dict": other.state_dict()}
    torch.save(mixed, tmp_path / "mixed.pt")
    with pytest.raises(DataError, match="weights do not fit .*size mismatch"):
        load_checkpoint(tmp_path / "mixed.pt", NETWORKS)


class _RunsCode:
    """Unpickling this would create ``marker``: it must never run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_a_checkpoint_names_its_format_and_writer(tmp_path: Path) -> None:
    from evofolio.version import __version__

    model = fresh_model()
    path = save_checkpoint(
        tmp_path / "m.pt", "asset", model, dataclasses.asdict(model.config), [], {}
    )
    payload = torch.load(path, weights_only=True)
    assert payload["format_version"] == 1 and payload["writer"] == f"evofolio {__version__}"
    for version, advice in ((2, "upgrade evofolio"), (0, "train the model again")):
        torch.save({**payload, "format_version": version, "writer": "evofolio 9.9"}, path)
        with pytest.raises(DataError) as caught:
            load_checkpoint(path, NETWORKS)
        message = str(caught.value)
        assert f"checkpoint format {version}, written by evofolio 9.9" in message
        assert f"evofolio {__version__} reads format 1 only" in message and advice in message


def _variants(good: Path, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    data = good.read_bytes()
    payload = torch.load(good, weights_only=True)
    files: dict[str, tuple[Path, str]] = {}

    def write(name: str, content: bytes | str | object, expect: str) -> None:
        path = tmp_path / f"{name}.pt"
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content)
        else:
            torch.save(content, path)
        files[name] = (path, expect)

    write("lfs", "version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n", "Git LFS")
    write("truncated", data[: len(data) // 2], "truncated or damaged")
    write("empty", b"", "empty file")
    write("text", "hidden,layers\n8,1\n", "not a PyTorch model file")
    write("pickle", {"format_version": 1, "model": _RunsCode(tmp_path / "RAN")}, "pickled Python")
    write("tensor", torch.zeros(3), "not an evofolio checkpoint (a Tensor")
    write("foreign", {"weights": torch.zeros(3)}, "not an evofolio checkpoint (a table without")
    write("no_version", {k: v for k, v in payload.items() if k != "format_version"}, "without")
    write("listed", {**payload, "state_dict": [torch.zeros(3)]}, "not a table of tensors")
    write("model_list", {**payload, "model": ["asset"]}, "holds a ['asset'] network")
    write("config_text", {**payload, "model_config": "hidden=8"}, "invalid model_config")
    (tmp_path / "folder.pt").mkdir()
    files["folder"] = (tmp_path / "folder.pt", "a directory")
    return files


def test_every_unreadable_or_foreign_file_is_one_error_naming_it(tmp_path: Path) -> None:
    model = fresh_model()
    good = save_checkpoint(
        tmp_path / "good.pt", "asset", model, dataclasses.asdict(model.config), [], {}
    )
    for name, (path, expect) in _variants(good, tmp_path).items():
        with pytest.raises(DataError) as caught:
            load_checkpoint(path, NETWORKS)
        message = str(caught.value)
        assert message.startswith(f"checkpoint {path}: "), (name, message)
        assert "\n" not in message and len(message) < 400, (name, message)
        assert expect in message, (name, message)
    assert not (tmp_path / "RAN").exists(), "a pickle's code ran"
