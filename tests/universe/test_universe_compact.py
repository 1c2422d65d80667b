"""A ragged universe's chunks keep only the assets each chunk can use (issue 22, scale): the
same weights, the same loss and gradients as on every column, and the compute budget counts
the kept columns."""

from __future__ import annotations

import copy

import pytest
import torch

from evofolio.models.asset_attention import AssetAttention, AssetAttentionConfig
from evofolio.models.asset_lstm import AssetLSTM, AssetLSTMConfig
from evofolio.objectives import get_objective
from evofolio.training.chunks import compact_chunks, make_chunks, predict_weights, run_chunks
from evofolio.training.loop import epoch_gflop
from evofolio.training.losses import objective_loss

N_ASSETS, N_FEATURES, ROWS, CHUNK, BURN = 12, 3, 120, 20, 10


def _ragged_inputs(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``(rows, assets, features + 1)`` masked inputs and next returns: assets 0-3 live
    throughout, 4-7 only from row 70 on, 8-11 only in the first 50 rows (so a chunk that
    reads 8-11 in its burn-in only must keep them: its first row sells them)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(ROWS, N_ASSETS, N_FEATURES + 1, generator=gen)
    alive = torch.zeros(ROWS, N_ASSETS, dtype=torch.bool)
    alive[:, :4] = True
    alive[70:, 4:8] = True
    alive[:50, 8:] = True
    x[..., :-1] = torch.where(alive[..., None], x[..., :-1], torch.zeros(()))
    x[..., -1] = alive.float()
    returns = 0.01 * torch.randn(ROWS, N_ASSETS, generator=gen)
    return x, returns


def _models() -> list[torch.nn.Module]:
    torch.manual_seed(3)
    lstm = AssetLSTM(AssetLSTMConfig(N_ASSETS, N_FEATURES, hidden=8, layers=2, masked=True))
    attention = AssetAttention(
        AssetAttentionConfig(N_ASSETS, N_FEATURES, context=8, width=8, heads=2, masked=True)
    )
    return [lstm.double(), attention.double()]


def test_each_chunk_keeps_its_available_assets_first_in_order() -> None:
    x, returns = _ragged_inputs()
    chunks = make_chunks(x, BURN, ROWS, CHUNK, BURN, returns)
    compact, index = compact_chunks(chunks)
    assert index is not None
    # chunk rows: chunk k reads rows [BURN + 20k - BURN, BURN + 20k + 20)
    # chunk 0 (rows 0-29): assets 0-3 and 8-11; chunk 2 (rows 40-69): the same, 8-11 in its
    # burn-in only; chunk 3 (rows 60-89): 0-7; the widest chunk has 8 columns
    assert compact.inputs.shape == (chunks.n_chunks, BURN + CHUNK, 8, N_FEATURES + 1)
    assert index[0].tolist() == [0, 1, 2, 3, 8, 9, 10, 11]
    assert index[2].tolist() == [0, 1, 2, 3, 8, 9, 10, 11]
    assert index[3].tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    for c in range(chunks.n_chunks):
        torch.testing.assert_close(compact.inputs[c], chunks.inputs[c][:, index[c]])
        assert compact.returns is not None and chunks.returns is not None
        torch.testing.assert_close(compact.returns[c], chunks.returns[c][:, index[c]])
        dropped = sorted(set(range(N_ASSETS)) - set(index[c].tolist()))
        assert chunks.inputs[c][:, dropped, -1].eq(0).all()  # never available in the chunk


def test_chunks_cut_compact_equal_the_full_chunks_compacted() -> None:
    """``make_chunks(compact=True)`` gathers the kept columns straight from the series (no
    full copy first): the same chunks as compacting the full ones."""
    x, returns = _ragged_inputs()
    for start, stop in ((BURN, 90), (90, ROWS), (0, ROWS)):
        full, index = compact_chunks(make_chunks(x, start, stop, CHUNK, BURN, returns))
        direct = make_chunks(x, start, stop, CHUNK, BURN, returns, compact=True)
        assert index is not None and direct.index is not None
        torch.testing.assert_close(direct.index, index, rtol=0, atol=0)
        torch.testing.assert_close(direct.inputs, full.inputs, rtol=0, atol=0)
        torch.testing.assert_close(direct.returns, full.returns, rtol=0, atol=0)
        torch.testing.assert_close(direct.mask, full.mask, rtol=0, atol=0)


def test_a_rectangle_is_left_as_it_is() -> None:
    x, returns = _ragged_inputs()
    x[..., -1] = 1.0
    chunks = make_chunks(x, BURN, ROWS, CHUNK, BURN, returns)
    same, index = compact_chunks(chunks)
    assert index is None and same is chunks
    direct = make_chunks(x, BURN, ROWS, CHUNK, BURN, returns, compact=True)
    assert direct.index is None
    torch.testing.assert_close(direct.inputs, chunks.inputs, rtol=0, atol=0)


@pytest.mark.parametrize("which", [0, 1], ids=["shared_lstm", "asset_attention"])
def test_compacted_weights_loss_and_gradients_equal_the_full_ones(which: int) -> None:
    model = _models()[which]
    x, returns = _ragged_inputs()
    x, returns = x.double(), returns.double()
    chunks = make_chunks(x, BURN, ROWS, CHUNK, BURN, returns)
    compact, index = compact_chunks(chunks)
    assert index is not None

    full_w, _ = run_chunks(model, chunks.inputs, BURN, grad=False)
    small_w, _ = run_chunks(model, compact.inputs, BURN, grad=False)
    scattered = torch.zeros_like(full_w).scatter_(
        2, index[:, None, :].expand(-1, full_w.shape[1], -1), small_w
    )
    torch.testing.assert_close(scattered, full_w, rtol=1e-9, atol=1e-12)
    # and predict_weights, which compacts on its own, returns every column
    streamed = predict_weights(copy.deepcopy(model).float(), x.float().numpy(), BURN, CHUNK)
    plain = torch.cat(
        [torch.zeros(BURN, N_ASSETS, dtype=full_w.dtype), full_w.reshape(-1, N_ASSETS)]
    )[:ROWS]
    assert streamed.shape == (ROWS, N_ASSETS)
    torch.testing.assert_close(  # float32 against float64
        torch.as_tensor(streamed[BURN:]), plain[BURN:], rtol=0, atol=5e-4
    )

    loss = objective_loss(get_objective("sharpe", 1.0), cost_bps=10.0)
    model.train()
    grads = []
    values = []
    for part in (chunks, compact):
        model.zero_grad()
        value = loss(model, part, slice(None))
        value.backward()
        values.append(value.detach())
        grads.append([p.grad.detach().clone() for p in model.parameters() if p.grad is not None])
    torch.testing.assert_close(values[1], values[0], rtol=1e-9, atol=1e-12)
    # one absolute tolerance from the largest gradient: some entries are ~0 (a bias whose
    # gradient cancels), where a relative tolerance means nothing
    scale = max(float(g.abs().max()) for g in grads[0])
    for small, full in zip(grads[1], grads[0], strict=True):
        torch.testing.assert_close(small, full, rtol=1e-7, atol=1e-9 * scale)


def test_the_compute_budget_counts_the_kept_columns() -> None:
    model = _models()[0]
    x, returns = _ragged_inputs()
    chunks = make_chunks(x, BURN, ROWS, CHUNK, BURN, returns)
    compact, _ = compact_chunks(chunks)
    full, small = epoch_gflop(model, chunks, None), epoch_gflop(model, compact, None)
    assert small == pytest.approx(full * 8 / N_ASSETS, rel=1e-12)
