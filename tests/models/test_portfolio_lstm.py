"""Model 2's network: simplex over strategies, logits, streaming, config, registry, CE loss."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest
import torch
from torch.nn import functional

from evofolio.allocators.registry import FAMILIES
from evofolio.config import TrainingConfig
from evofolio.models.asset_lstm import AssetLSTM, AssetLSTMConfig
from evofolio.models.portfolio_lstm import PortfolioLSTM, PortfolioLSTMConfig
from evofolio.training import load_checkpoint, save_checkpoint, selection_loss, train
from evofolio.training.chunks import make_chunks
from evofolio.training.losses import cross_entropy


@pytest.mark.parametrize("encoder", ["shared", "joint"])
@pytest.mark.parametrize("n_strategies", [2, 7])
@pytest.mark.parametrize("mode", ["blend", "select"])
def test_weights_on_the_simplex_and_logits_match(
    encoder: Literal["shared", "joint"], n_strategies: int, mode: Literal["blend", "select"]
) -> None:
    torch.manual_seed(0)
    cfg = PortfolioLSTMConfig(n_strategies, 5, encoder=encoder, layers=2, hidden=8, mode=mode)
    model = PortfolioLSTM(cfg).eval()
    x = torch.randn(3, 12, n_strategies, 5) * 3
    w, (h, c) = model(x)
    assert w.shape == (3, 12, n_strategies)
    assert (w >= 0).all()
    assert torch.allclose(w.sum(-1), torch.ones(3, 12), atol=1e-6)
    logits, _ = model.logits(x)
    assert torch.allclose(torch.softmax(logits, -1), w, atol=1e-7)
    assert h.shape == c.shape == (2, 3 * n_strategies if encoder == "shared" else 3, 8)


def test_temperature_sharpens_the_distribution() -> None:
    torch.manual_seed(1)
    model = PortfolioLSTM(PortfolioLSTMConfig(4, 3, hidden=8)).eval()
    cold = PortfolioLSTM(PortfolioLSTMConfig(4, 3, hidden=8, temperature=0.1)).eval()
    cold.load_state_dict(model.state_dict())
    x = torch.randn(1, 6, 4, 3)
    assert (cold(x)[0].amax(-1) >= model(x)[0].amax(-1) - 1e-6).all()


@pytest.mark.parametrize("encoder", ["shared", "joint"])
def test_streaming_with_state_equals_one_pass(encoder: Literal["shared", "joint"]) -> None:
    torch.manual_seed(2)
    model = PortfolioLSTM(PortfolioLSTMConfig(3, 5, encoder=encoder, hidden=8)).eval()
    x = torch.randn(2, 30, 3, 5)
    whole, _ = model(x)
    first, state = model(x[:, :13])
    second, _ = model(x[:, 13:], state)
    assert torch.allclose(torch.cat([first, second], 1), whole, atol=1e-6)


def test_model1_scores_are_its_pre_head_outputs() -> None:
    torch.manual_seed(3)
    model = AssetLSTM(AssetLSTMConfig(4, 2, hidden=8, max_weight=0.5)).eval()
    x = torch.randn(2, 7, 4, 2)
    scores, _ = model.scores(x)
    assert torch.equal(model.head(scores), model(x)[0])


@pytest.mark.parametrize(
    "change",
    [{"n_strategies": 1}, {"mode": "vote"}, {"hidden": 4}, {"encoder": "both"}, {"dropout": 1.0}],
)
def test_config_validation(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        PortfolioLSTMConfig(**{"n_strategies": 3, "n_features": 5, **change})


def test_registered_and_round_trips_through_a_checkpoint(tmp_path: Path) -> None:
    assert FAMILIES["portfolio"].network_cls is PortfolioLSTM
    assert FAMILIES["portfolio"].family == "portfolio"
    torch.manual_seed(4)
    cfg = PortfolioLSTMConfig(3, 5, hidden=8, mode="select", temperature=0.5)
    model = PortfolioLSTM(cfg).eval()
    path = save_checkpoint(
        tmp_path / "m.pt", "portfolio", model, dataclasses.asdict(cfg), ["f"] * 5, {}
    )
    networks = {name: family.network_cls for name, family in FAMILIES.items()}
    loaded, payload = load_checkpoint(path, networks)
    assert payload["model"] == "portfolio"
    assert isinstance(loaded, PortfolioLSTM) and loaded.config == cfg
    x = torch.randn(1, 9, 3, 5)
    assert torch.equal(loaded(x)[0], model(x)[0])


def test_cross_entropy_skips_unlabelled_rows() -> None:
    logits = torch.randn(6, 3, requires_grad=True)
    targets = torch.zeros(6, 3)
    targets[[0, 2, 5], [1, 0, 2]] = 1.0
    expected = functional.cross_entropy(logits[[0, 2, 5]], torch.tensor([1, 0, 2]))
    assert torch.allclose(cross_entropy(logits, targets), expected)
    empty = cross_entropy(logits, torch.zeros(6, 3))
    empty.backward()
    assert float(empty.detach()) == 0.0 and logits.grad is not None


def test_selection_loss_needs_logits() -> None:
    model = AssetLSTM(AssetLSTMConfig(2, 1, hidden=8))
    chunks = make_chunks(torch.zeros(20, 2, 1), 0, 20, 10, 2, torch.zeros(20, 2))
    with pytest.raises(TypeError, match="logits"):
        selection_loss(model, chunks, slice(None))


def test_select_training_learns_labels_and_repeats() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((600, 2, 1)).astype(np.float32)
    labels = np.eye(2, dtype=np.float32)[(x[:, 0, 0] > x[:, 1, 0]).astype(int)]
    cfg = TrainingConfig(epochs=8, seq_len=5, chunk_len=40, batch_size=4, lr=2e-2, patience=None)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = PortfolioLSTM(PortfolioLSTMConfig(2, 1, hidden=8, mode="select"))
        result = train(model, x, labels, cfg, loss=selection_loss)
        runs.append((result.history, model(torch.as_tensor(x)[None])[0][0].detach()))
    assert runs[0][0] == runs[1][0] and torch.equal(runs[0][1], runs[1][1])
    accuracy = (runs[0][1].argmax(-1).numpy() == labels.argmax(-1)).mean()
    assert runs[0][0][-1][1] < runs[0][0][0][1] and accuracy > 0.9
