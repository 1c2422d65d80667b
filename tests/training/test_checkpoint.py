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
