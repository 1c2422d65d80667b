"""asset_attention trains in checkpointed groups of sequences above a size: same outputs and
gradients as one pass (without dropout), memory bounded whatever the number of assets."""

from __future__ import annotations

import pytest
import torch

import evofolio.models.asset_attention as module
import evofolio.models.groups as groups
from evofolio.models.asset_attention import AssetAttention, AssetAttentionConfig
from tolerance import assert_close_scaled, max_abs


def test_checkpointed_training_gives_the_same_outputs_and_gradients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    torch.manual_seed(0)
    config = AssetAttentionConfig(n_assets=6, n_features=3, context=4, layers=2, width=8)
    first = torch.randn(4, 7, 6, 3)  # 24 sequences of 7 rows
    then = torch.randn(4, 5, 6, 3)  # streamed on: 5 new rows after the carried state
    calls: list[int] = []
    encode = torch.utils.checkpoint.checkpoint

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return encode(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(groups, "checkpoint", counted)

    def run(sequences: int, tokens: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        monkeypatch.setattr(module, "CHECKPOINT_SEQUENCES", sequences)
        monkeypatch.setattr(module, "CHECKPOINT_TOKENS", tokens)
        torch.manual_seed(1)
        model = AssetAttention(config)
        model.train()
        weights, state = model(first)
        more, _ = model(then, state)
        out = torch.cat([weights, more], dim=1)
        (out[..., 0] * torch.arange(12.0)).sum().backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        return out.detach(), grads

    plain, plain_grads = run(10_000, 10_000)
    assert calls == []
    grouped, grouped_grads = run(5, 5 * 11)  # rows 7, then 6 carried + 5: groups of 5 then 5
    assert len(calls) == 2 * 5  # 24 sequences in 5 groups, in each of the two calls
    # Equal up to round-off, which differs between BLAS kernels (batches of 5 or 24
    # sequences): tolerances follow the scale of the tensors (see tolerance.py). The
    # gradients share one scale, the whole gradient's (about 10 here, where a fixed atol=1e-6
    # is one float32 step): the last layer's linear2.bias and the proj.bias gradients are
    # mathematically zero (the softmax over assets ignores a score shift), round-off alone.
    assert_close_scaled(grouped, plain, rtol=1e-5, msg="weights")
    assert grouped_grads.keys() == plain_grads.keys()
    scale = max_abs(plain_grads.values())
    for name, expected in plain_grads.items():
        assert_close_scaled(grouped_grads[name], expected, rtol=1e-5, scale=scale, msg=name)


def test_no_checkpoint_without_gradients_or_at_or_below_the_sequences_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(groups, "checkpoint", lambda *a, **k: calls.append(1))
    model = AssetAttention(AssetAttentionConfig(n_assets=4, n_features=2))
    x = torch.randn(2, 6, 4, 2)  # 8 sequences
    monkeypatch.setattr(module, "CHECKPOINT_SEQUENCES", 8)
    model(x)  # at the limit: one pass
    monkeypatch.setattr(module, "CHECKPOINT_SEQUENCES", 2)
    with torch.no_grad():
        model(x)  # inference keeps no activations: nothing to recompute
    assert calls == []


def test_inference_above_the_limit_runs_in_groups_with_the_same_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without gradients nothing is checkpointed, but the encoder still sees one group of
    sequences at a time (its attention scores at 500 assets took gigabytes at once)."""
    model = AssetAttention(AssetAttentionConfig(n_assets=5, n_features=2, layers=2)).eval()
    x = torch.randn(3, 9, 5, 2)  # 15 sequences
    with torch.no_grad():
        whole, state = model(x)
    sizes: list[int] = []
    encoder = model.encoder.forward

    def counted(src: torch.Tensor, *args: object, **kwargs: object) -> torch.Tensor:
        sizes.append(int(src.shape[0]))
        return encoder(src, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(model.encoder, "forward", counted)
    monkeypatch.setattr(module, "CHECKPOINT_SEQUENCES", 4)
    with torch.no_grad():
        grouped, grouped_state = model(x)
    assert sizes == [4, 4, 4, 3]
    # the same up to round-off of other batch sizes (4 sequences or 15): see tolerance.py
    assert_close_scaled(grouped, whole, rtol=1e-5, msg="weights")
    torch.testing.assert_close(grouped_state, state)
