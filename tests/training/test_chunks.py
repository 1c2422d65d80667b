"""Chunked streaming: layout of the chunks, causality and chunk-independence of inference."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from training_helpers import fresh_model

from evofolio.training import make_chunks, predict_weights


def test_chunk_layout() -> None:
    x = torch.arange(23, dtype=torch.float32).reshape(23, 1, 1)
    r = x[:, :, 0] + 100
    chunks = make_chunks(x, 5, 20, chunk_len=4, burn_in=3, next_returns=r)
    assert chunks.inputs.shape == (4, 7, 1, 1)
    assert chunks.inputs[0, :, 0, 0].tolist() == [2, 3, 4, 5, 6, 7, 8]
    assert chunks.inputs[3, :, 0, 0].tolist() == [14, 15, 16, 17, 18, 19, 0]
    assert chunks.returns is not None
    assert chunks.returns[3, :, 0].tolist() == [117, 118, 119, 0]
    assert chunks.mask.sum() == 15 and not chunks.mask[3, 3]


def test_left_padding_with_zeros() -> None:
    x = torch.ones(10, 2, 3)
    chunks = make_chunks(x, 0, 10, chunk_len=5, burn_in=4)
    assert chunks.inputs.shape == (2, 9, 2, 3)
    assert chunks.inputs[0, :4].abs().sum() == 0 and chunks.inputs[1, :4].min() == 1


@pytest.mark.parametrize("encoder", ["shared", "joint"])
def test_predict_weights_is_causal(encoder: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 3, 2)).astype(np.float32)
    model = fresh_model(assets=3, features=2, encoder=encoder)
    w = predict_weights(model, x, seq_len=20, chunk_len=32)
    assert w.shape == (300, 3) and np.allclose(w.sum(1), 1.0, atol=1e-6)
    for d in (0, 31, 32, 150, 298):
        y = x.copy()
        y[d + 1 :] = rng.standard_normal(y[d + 1 :].shape) * 10
        wy = predict_weights(model, y, seq_len=20, chunk_len=32)
        assert np.array_equal(wy[: d + 1], w[: d + 1])
        shorter = predict_weights(model, x[: d + 1], seq_len=20, chunk_len=32)
        assert np.allclose(shorter, w[: d + 1], atol=1e-6)


def test_predict_weights_batches_and_keeps_mode() -> None:
    x = np.random.default_rng(1).standard_normal((200, 4, 1)).astype(np.float32)
    model = fresh_model(dropout=0.5)
    model.train()
    whole = predict_weights(model, x, 10, 16)
    pieces = predict_weights(model, x, 10, 16, max_batch=3)
    assert model.training
    assert np.allclose(whole, pieces, atol=1e-6)


def test_predict_weights_caps_the_sequences_per_pass_at_large_n(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Chunks × assets per forward pass stay within PREDICT_SEQUENCES (memory at 500 assets),
    and the weights are those of one pass."""
    import evofolio.training.chunks as chunks_module

    x = np.random.default_rng(2).standard_normal((200, 4, 1)).astype(np.float32)
    model = fresh_model()
    whole = predict_weights(model, x, 10, 16)  # 13 chunks x 4 assets in one pass
    passes: list[int] = []
    forward = model.forward

    def counted(inputs: torch.Tensor, state: object = None) -> object:
        passes.append(int(inputs.shape[0]) * int(inputs.shape[2]))
        return forward(inputs, state)

    monkeypatch.setattr(model, "forward", counted)
    monkeypatch.setattr(chunks_module, "PREDICT_SEQUENCES", 12)
    capped = predict_weights(model, x, 10, 16)
    assert max(passes) <= 12 and len(passes) == 2 * 5  # 3 chunks a pass: burn-in + rows, 5x
    np.testing.assert_array_equal(capped, whole)


@pytest.mark.parametrize("start", [0, 5, 31, 32, 33, 150, 299])
def test_predict_weights_from_a_start_row_runs_only_the_chunks_it_needs(
    monkeypatch: pytest.MonkeyPatch, start: int
) -> None:
    """``start`` keeps the chunks cut from row 0: the rows from ``start`` on get the weights of
    the whole series' pass, and the chunks that end before ``start`` are never run."""
    x = np.random.default_rng(3).standard_normal((300, 3, 2)).astype(np.float32)
    model = fresh_model(assets=3, features=2)
    whole = predict_weights(model, x, seq_len=20, chunk_len=32)
    rows: list[int] = []
    forward = model.forward

    def counted(inputs: torch.Tensor, state: object = None) -> object:
        rows.append(int(inputs.shape[0]))
        return forward(inputs, state)

    monkeypatch.setattr(model, "forward", counted)
    part = predict_weights(model, x, seq_len=20, chunk_len=32, start=start)
    assert part.shape == (300 - start, 3)
    np.testing.assert_allclose(part, whole[start:], rtol=1e-5, atol=1e-7)
    assert max(rows) == 10 - start // 32  # chunks from start's own on (10 in the series)
    with pytest.raises(ValueError, match="start"):
        predict_weights(model, x, seq_len=20, chunk_len=32, start=300)
