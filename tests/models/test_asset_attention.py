"""asset_attention: its encoder computes what ``nn.TransformerEncoder`` with the banded ALiBi
mask computes (only on the rows that are used), causally; and it trains in checkpointed groups
of sequences above a size: same outputs and gradients as one pass (without dropout), memory
bounded whatever the number of assets."""

from __future__ import annotations

import pytest
import torch

import evofolio.models.asset_attention as module
import evofolio.models.groups as groups
from evofolio.models.asset_attention import (
    AssetAttention,
    AssetAttentionConfig,
    banded_alibi_mask,
)
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
    sizes = _encoded_sizes(model, monkeypatch)
    monkeypatch.setattr(module, "CHECKPOINT_SEQUENCES", 4)
    with torch.no_grad():
        grouped, grouped_state = model(x)
    assert sizes == [4, 4, 4, 3]
    # the same up to round-off of other batch sizes (4 sequences or 15): see tolerance.py
    assert_close_scaled(grouped, whole, rtol=1e-5, msg="weights")
    torch.testing.assert_close(grouped_state, state)


def reference(
    model: AssetAttention, x: torch.Tensor, state: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The weights as the model's documented computation gives them: PyTorch's own
    ``TransformerEncoder`` (the same weights) over the state and the new rows with the
    banded ALiBi mask, every row encoded, the new rows' encodings projected."""
    b, t, n, f = x.shape
    embedded = model.embed(x.permute(0, 2, 1, 3).reshape(b * n, t, f))
    if state is not None:
        embedded = torch.cat([state, embedded], dim=1)
    rows = int(embedded.shape[1])
    mask = banded_alibi_mask(rows, model.config.context)
    encoded = model.encoder(embedded, mask=mask)[:, rows - t :]
    scores = model.proj(encoded).reshape(b, n, t).transpose(1, 2)
    return model.head(scores), embedded[:, max(0, rows - model.config.memory) :].detach()


@pytest.mark.parametrize(
    ("layers", "context", "rows"),
    [(1, 50, 100), (1, 1, 6), (2, 5, 3), (2, 4, 17), (3, 3, 12), (3, 20, 9)],
)
def test_the_encoder_computes_the_banded_transformer_on_the_rows_used(
    layers: int, context: int, rows: int
) -> None:
    """The same weights and gradients as the full encoder with the mask, whole or streamed
    after a state (contexts longer and shorter than the call), in training mode."""
    torch.manual_seed(layers * 100 + context)
    config = AssetAttentionConfig(
        n_assets=3, n_features=2, context=context, layers=layers, width=8, heads=2
    )
    model = AssetAttention(config).train()
    first, then = torch.randn(2, 2 * context + 3, 3, 2), torch.randn(2, rows, 3, 2)
    weights = torch.randn(2, rows, 3)

    def run(forward: object) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        model.zero_grad()
        _, state = forward(first, None)  # type: ignore[operator]
        out, new_state = forward(then, state)  # type: ignore[operator]
        (out * weights).sum().backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        return out.detach(), new_state, grads

    got, got_state, got_grads = run(model)
    want, want_state, want_grads = run(lambda x, s: reference(model, x, s))
    assert_close_scaled(got, want, rtol=1e-5, msg="weights")
    torch.testing.assert_close(got_state, want_state)
    assert got_grads.keys() == want_grads.keys()
    scale = max_abs(want_grads.values())
    for name, expected in want_grads.items():
        assert_close_scaled(got_grads[name], expected, rtol=1e-5, scale=scale, msg=name)


def test_weights_are_causal_and_see_only_their_context() -> None:
    """Row t's weights do not move when rows after t change, nor when rows at or before
    t - layers · context change (beyond what ``layers`` banded layers reach); they do move when
    a row inside that reach changes."""
    config = AssetAttentionConfig(n_assets=4, n_features=3, context=5, layers=2, width=8)
    model = AssetAttention(config).eval()
    x = torch.randn(1, 30, 4, 3)
    t = 20
    with torch.no_grad():
        base, _ = model(x)
        future = x.clone()
        future[:, t + 1 :] += 10.0
        far_past = x.clone()
        far_past[:, : t - 2 * 4] += 10.0  # rows <= t - 9: out of the reach of 2 layers
        near = x.clone()
        near[:, t - 2 * 4] += 10.0  # row t - 8: the farthest row still reached
        moved = [model(y)[0][:, t] for y in (future, far_past, near)]
    weights = base[:, t]
    assert torch.all(weights >= 0)
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(1))
    assert_close_scaled(moved[0], weights, rtol=1e-5, msg="future rows")
    assert_close_scaled(moved[1], weights, rtol=1e-5, msg="rows beyond the context")
    assert (moved[2] - weights).abs().max() > 1e-4


def test_the_burn_in_warm_up_is_the_last_row_of_a_call() -> None:
    """``warm_up`` (what a chunk's burn-in runs) gives the last row's weights and the state of
    the full call, and the chunks' weights are then those of the full call."""
    from evofolio.training.chunks import run_chunks

    config = AssetAttentionConfig(n_assets=4, n_features=3, context=6, layers=2, width=8)
    model = AssetAttention(config).eval()
    x = torch.randn(3, 11, 4, 3)
    with torch.no_grad():
        weights, state = model(x)
        last, warm_state = model.warm_up(x)
        chunk, prev = run_chunks(model, x, 6, grad=False)
        burn, burn_state = model(x[:, :6])
        plain, _ = model(x[:, 6:], burn_state)
    assert_close_scaled(last, weights[:, -1], rtol=1e-5, msg="last row")
    torch.testing.assert_close(warm_state, state)
    assert prev is not None
    assert_close_scaled(prev, burn[:, -1], rtol=1e-5, msg="the weights before the chunk")
    assert_close_scaled(chunk, plain, rtol=1e-5, msg="chunk")


def test_a_long_context_is_grouped_by_its_scores_below_the_sequences_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Scores grow as rows²: 15 sequences of 9 rows and 2 heads (162 scores each) run in
    groups of CHECKPOINT_SCORES // 162 sequences although they are under the sequences
    limit, with the weights of one pass; within the scores limit, one pass."""
    model = AssetAttention(AssetAttentionConfig(n_assets=5, n_features=2, layers=2)).eval()
    assert model.config.heads == 2
    x = torch.randn(3, 9, 5, 2)  # 15 sequences
    with torch.no_grad():
        whole, _ = model(x)
    sizes = _encoded_sizes(model, monkeypatch)
    monkeypatch.setattr(module, "CHECKPOINT_SCORES", 15 * 162)
    with torch.no_grad():
        model(x)
    assert sizes == [15]  # at the limit: one pass
    sizes.clear()
    monkeypatch.setattr(module, "CHECKPOINT_SCORES", 4 * 162 + 100)
    with torch.no_grad():
        grouped, _ = model(x)
    assert sizes == [4, 4, 4, 3]
    assert_close_scaled(grouped, whole, rtol=1e-5, msg="weights")


def _encoded_sizes(model: AssetAttention, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of sequences of each call of ``model._encode`` (recorded from now on)."""
    sizes: list[int] = []
    encode = model._encode

    def counted(embedded: torch.Tensor, start: int) -> torch.Tensor:
        sizes.append(int(embedded.shape[0]))
        return encode(embedded, start)

    monkeypatch.setattr(model, "_encode", counted)
    return sizes
