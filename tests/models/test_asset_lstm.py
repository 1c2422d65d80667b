"""Model 1: shapes, simplex output, cap, streaming state, config validation, registry line."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import pytest
import torch

from evofolio.models.asset_lstm import AssetLSTM, AssetLSTMConfig
from tolerance import assert_close_scaled, max_abs


@pytest.mark.parametrize("encoder", ["shared", "joint"])
@pytest.mark.parametrize("n_assets", [1, 3, 20])
@pytest.mark.parametrize("max_weight", [None, 0.4])
def test_weights_on_the_simplex(
    encoder: Literal["shared", "joint"], n_assets: int, max_weight: float | None
) -> None:
    if max_weight is not None and max_weight * n_assets < 1:
        max_weight = 1.0
    torch.manual_seed(0)
    cfg = AssetLSTMConfig(n_assets, 3, encoder=encoder, layers=2, hidden=8, max_weight=max_weight)
    model = AssetLSTM(cfg)
    x = torch.randn(4, 11, n_assets, 3) * 3
    w, (h, c) = model(x)
    assert w.shape == (4, 11, n_assets)
    assert (w >= 0).all()
    assert torch.allclose(w.sum(-1), torch.ones(4, 11), atol=1e-6)
    if max_weight is not None:
        assert (w <= max_weight + 1e-6).all()
    sequences = 4 * n_assets if encoder == "shared" else 4
    assert h.shape == c.shape == (2, sequences, 8)
    assert torch.equal(model.last_weights(x), w[:, -1])


@pytest.mark.parametrize("encoder", ["shared", "joint"])
def test_streaming_with_state_equals_one_pass(encoder: Literal["shared", "joint"]) -> None:
    torch.manual_seed(1)
    model = AssetLSTM(AssetLSTMConfig(5, 2, encoder=encoder, hidden=8)).eval()
    x = torch.randn(2, 30, 5, 2)
    whole, _ = model(x)
    first, state = model(x[:, :17])
    second, _ = model(x[:, 17:], state)
    assert torch.allclose(torch.cat([first, second], 1), whole, atol=1e-6)


def test_shared_encoder_is_permutation_equivariant() -> None:
    torch.manual_seed(2)
    model = AssetLSTM(AssetLSTMConfig(6, 2, encoder="shared", hidden=8)).eval()
    x = torch.randn(1, 9, 6, 2)
    perm = torch.randperm(6)
    w, _ = model(x)
    wp, _ = model(x[:, :, perm])
    assert torch.allclose(wp, w[:, :, perm], atol=1e-6)


def test_input_shape_checked() -> None:
    model = AssetLSTM(AssetLSTMConfig(4, 2))
    with pytest.raises(ValueError, match="expects"):
        model(torch.randn(1, 5, 3, 2))
    with pytest.raises(ValueError, match="batch, time"):
        model(torch.randn(5, 4, 2))


@pytest.mark.parametrize(
    "change",
    [
        {"encoder": "both"},
        {"layers": 4},
        {"hidden": 4},
        {"dropout": 1.0},
        {"temperature": 0.0},
        {"max_weight": 0.1},
        {"n_assets": 0},
    ],
)
def test_config_validation(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(AssetLSTMConfig(5, 2), **change)


def test_the_family_registry_names_this_network() -> None:
    from evofolio.allocators.registry import FAMILIES

    assert FAMILIES["asset"].network_cls is AssetLSTM
    assert AssetLSTM.config_cls is AssetLSTMConfig


def test_checkpointed_training_gives_the_same_outputs_and_gradients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import evofolio.models.asset_lstm as module

    torch.manual_seed(0)
    # Without dropout the groups compute exactly what one pass does (with dropout the masks
    # are drawn group by group: the same distribution, other draws).
    config = AssetLSTMConfig(n_assets=6, n_features=3, layers=2, hidden=8)
    x = torch.randn(4, 7, 6, 3)  # 24 sequences

    def run(limit: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        monkeypatch.setattr(module, "CHECKPOINT_SEQUENCES", limit)
        torch.manual_seed(1)
        model = AssetLSTM(config)
        model.train()
        weights, _ = model(x)
        (weights[..., 0] * torch.arange(7.0)).sum().backward()
        return weights.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}

    plain, plain_grads = run(10_000)
    grouped, grouped_grads = run(5)  # 5 groups of at most 5 sequences, each checkpointed
    # Equal up to round-off, which differs between BLAS kernels (batches of 5 or 24
    # sequences): tolerances follow the scale of the tensors (see tolerance.py). The
    # gradients share one scale, the whole gradient's: proj.bias's is mathematically zero
    # (the softmax over assets ignores a score shift), the round-off of terms of that scale.
    assert_close_scaled(grouped, plain, rtol=1e-5, msg="weights")
    assert grouped_grads.keys() == plain_grads.keys()
    scale = max_abs(plain_grads.values())
    for name, expected in plain_grads.items():
        assert_close_scaled(grouped_grads[name], expected, rtol=1e-5, scale=scale, msg=name)


def _lstm_sizes(model: AssetLSTM, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of sequences of each call of ``model.lstm`` (recorded from now on)."""
    sizes: list[int] = []
    forward = model.lstm.forward

    def counted(seq: torch.Tensor, *args: object, **kwargs: object) -> object:
        sizes.append(int(seq.shape[0]))
        return forward(seq, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(model.lstm, "forward", counted)
    return sizes


def test_long_wide_deep_sequences_are_grouped_by_units_not_only_by_sequences(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A group holds at most CHECKPOINT_UNITS time steps x hidden units x layers (a 256-unit,
    3-layer LSTM on 370-row chunks at 500 assets took 8.7 GB in one 1,024-sequence group),
    and at least one sequence whatever the units."""
    import evofolio.models.asset_lstm as module

    model = AssetLSTM(AssetLSTMConfig(n_assets=6, n_features=3, layers=2, hidden=8))
    monkeypatch.setattr(module, "CHECKPOINT_SEQUENCES", 5)
    monkeypatch.setattr(module, "CHECKPOINT_UNITS", 7 * 8 * 2 * 3)  # 3 sequences of 7 rows
    assert model.group_sequences(7) == 3
    assert model.group_sequences(1) == 5  # the sequences limit still applies
    assert model.group_sequences(10_000) == 1
    x = torch.randn(4, 7, 6, 3)  # 24 sequences
    sizes = _lstm_sizes(model, monkeypatch)
    model.train()
    weights, _ = model(x)
    weights.sum().backward()
    # 8 checkpointed groups of 3 forward, then each recomputed in the backward pass
    assert sizes[:8] == [3] * 8 and sorted(sizes[8:]) == [3] * 8


def test_inference_above_the_limit_runs_in_groups_with_the_same_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without gradients nothing is checkpointed, but the encoder still takes one group of
    sequences at a time (with its projection: the hidden outputs of every sequence at once
    took gigabytes), with the same weights and state as one pass."""
    import evofolio.models.asset_lstm as module

    model = AssetLSTM(AssetLSTMConfig(n_assets=5, n_features=2, layers=2, hidden=8)).eval()
    x = torch.randn(3, 9, 5, 2)  # 15 sequences
    with torch.no_grad():
        whole, state = model(x)
        streamed, streamed_state = model(x, state)  # a second call from the first's state
    import evofolio.models.groups as groups

    calls: list[int] = []
    monkeypatch.setattr(groups, "checkpoint", lambda *a, **k: calls.append(1))
    sizes = _lstm_sizes(model, monkeypatch)
    monkeypatch.setattr(module, "CHECKPOINT_SEQUENCES", 4)
    with torch.no_grad():
        grouped, grouped_state = model(x, state)
        again, _ = model(x)
    assert sizes == [4, 4, 4, 3, 4, 4, 4, 3] and calls == []
    # the same up to round-off of other batch sizes (4 sequences or 15), which differs
    # between BLAS kernels: tolerances follow each tensor's scale (a fixed atol=1e-7 was
    # about one float32 step of the cell state c, near 1: 6e-8 below 1, 1.2e-7 above)
    assert_close_scaled(again, whole, rtol=1e-5, msg="weights")
    assert_close_scaled(grouped, streamed, rtol=1e-5, msg="weights from a state")
    for name, got, expected in zip("hc", grouped_state, streamed_state, strict=True):
        assert_close_scaled(got, expected, rtol=1e-5, msg=f"state {name}")


def test_a_call_of_many_units_is_grouped_below_the_sequences_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One chunk of a ragged 500-asset universe is fewer sequences than CHECKPOINT_SEQUENCES
    but tens of millions of units: above CHECKPOINT_CALL_UNITS a call runs in groups (of
    group_sequences) with the weights of one pass; at or below it, in one pass."""
    import evofolio.models.asset_lstm as module

    model = AssetLSTM(AssetLSTMConfig(n_assets=6, n_features=3, layers=2, hidden=8)).eval()
    x = torch.randn(4, 7, 6, 3)  # 24 sequences of 7 rows: 24 x 7 x 8 x 2 = 2,688 units
    with torch.no_grad():
        whole, _ = model(x)
    sizes = _lstm_sizes(model, monkeypatch)
    monkeypatch.setattr(module, "CHECKPOINT_UNITS", 7 * 8 * 2 * 10)  # groups of 10
    monkeypatch.setattr(module, "CHECKPOINT_CALL_UNITS", 2_688)
    with torch.no_grad():
        model(x)
    assert sizes == [24]
    sizes.clear()
    monkeypatch.setattr(module, "CHECKPOINT_CALL_UNITS", 2_687)
    with torch.no_grad():
        grouped, _ = model(x)
    assert sizes == [10, 10, 4]
    assert_close_scaled(grouped, whole, rtol=1e-5, msg="weights")
