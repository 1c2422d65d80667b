"""What an attention score costs beside the products: prints, for heads x width settings with
and without attention dropout, the seconds of a forward and backward pass of PyTorch's
``scaled_dot_product_attention`` with the banded ALiBi mask (one thread), the matrix-product
FLOP rate of the 1-head run, and each extra score's cost in FLOP-equivalents at that rate:
the figures behind ``evofolio.models.asset_attention.SCORE_FLOPS`` and
``DROPOUT_SCORE_FLOPS`` (forward-equivalents: a third of the forward + backward figure).

    python benchmarks/bench_attention_scores.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.nn import functional

from evofolio.models.asset_attention import banded_alibi_mask

SEQUENCES, QUERIES, CONTEXT, WIDTH = 160, 228, 60, 16


def timed(heads: int, dropout: float, repeats: int) -> float:
    dim, keys = WIDTH // heads, QUERIES + CONTEXT
    q = torch.randn(SEQUENCES, heads, QUERIES, dim, requires_grad=True)
    k = torch.randn(SEQUENCES, heads, keys, dim, requires_grad=True)
    v = torch.randn(SEQUENCES, heads, keys, dim, requires_grad=True)
    mask = banded_alibi_mask(keys, CONTEXT)[CONTEXT:, :]
    functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout)
    started = time.perf_counter()
    for _ in range(repeats):
        out = functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout)
        out.sum().backward()
    return (time.perf_counter() - started) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    keys = QUERIES + CONTEXT
    products = 3 * 4.0 * SEQUENCES * QUERIES * keys * WIDTH  # forward + backward
    base = timed(1, 0.0, args.repeats)
    rate = products / base
    print(f"width {WIDTH}, {QUERIES} queries x {keys} keys, {SEQUENCES} sequences, 1 thread")
    print(f"1 head, no dropout: {base:.3f} s ({rate / 1e9:.1f} GFLOP/s of products)")
    for heads in (1, 2, 4):
        plain = timed(heads, 0.0, args.repeats)
        dropped = timed(heads, 0.2, args.repeats)
        scores = SEQUENCES * QUERIES * keys * heads
        extra = (plain - base) * rate / (scores - scores // heads) / 3 if heads > 1 else None
        dropout = (dropped - plain) * rate / scores / 3
        print(
            f"{heads} heads: {plain:.3f} s ({plain / base:.1f}x), with dropout {dropped:.3f} s "
            f"({dropped / base:.1f}x); forward FLOP-equivalents per score: "
            f"{'-' if extra is None else f'{extra:.0f}'} (extra heads), {dropout:.0f} (dropout)"
        )


if __name__ == "__main__":
    main()
