"""Model 1's memory at large N: one training step and one prediction pass, grouped or not.

For each encoder (``shared`` LSTM and ``asset_attention``, ``--layers`` layers of ``--width``
units) at ``--assets`` assets x ``--features`` features, a fresh child process runs either

* **train**: one training step, forward and backward, on ``--batch`` chunks of
  ``--seq-len + --chunk-len`` rows (default 50 + 100, the default training settings), or
* **predict**: :func:`evofolio.training.predict_weights` over ``--years`` years of rows (what
  every fold's backtest runs),

and prints its peak resident memory (``ru_maxrss``). ``grouped`` is evofolio as it ships
(groups above ``CHECKPOINT_SEQUENCES`` sequences, checkpointed in training: the LSTM's of at
most ``CHECKPOINT_UNITS`` rows x units x layers, attention's of at most ``CHECKPOINT_TOKENS``
tokens; ``PREDICT_SEQUENCES`` per prediction pass); ``one pass`` raises those limits so that
everything runs at once, as before they existed. The inputs are random:
memory depends on the shapes only.

Run: ``.venv/bin/python benchmarks/bench_memory.py --assets 500``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import resource, sys, time
    import torch
    import evofolio.models.asset_attention as attention
    import evofolio.models.asset_lstm as lstm
    import evofolio.training.chunks as chunks
    from evofolio.models.asset_attention import AssetAttention, AssetAttentionConfig
    from evofolio.models.asset_lstm import AssetLSTM, AssetLSTMConfig

    family, phase, grouped = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    n, f, width, layers, batch, years, seq_len, chunk_len = map(int, sys.argv[4:12])
    if not grouped:
        lstm.CHECKPOINT_SEQUENCES = attention.CHECKPOINT_SEQUENCES = 10**12
        lstm.CHECKPOINT_UNITS = 10**15
        attention.CHECKPOINT_TOKENS = chunks.PREDICT_SEQUENCES = 10**12
    torch.manual_seed(0)
    torch.set_num_threads(1)
    if family == "shared":
        model = AssetLSTM(AssetLSTMConfig(n_assets=n, n_features=f, layers=layers, hidden=width))
    else:
        model = AssetAttention(
            AssetAttentionConfig(n_assets=n, n_features=f, layers=layers, width=width)
        )
    started = time.perf_counter()
    if phase == "train":
        model.train()
        x = torch.randn(batch, seq_len + chunk_len, n, f)
        with torch.no_grad():
            _, state = model(x[:, :seq_len])
        weights, _ = model(x[:, seq_len:], state)
        (weights * torch.randn_like(weights)).sum().backward()
    else:
        chunks.predict_weights(model, torch.randn(252 * years, n, f), seq_len, chunk_len)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{peak:.2f} {time.perf_counter() - started:.1f}")
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--features", type=int, default=12)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--seq-len", type=int, default=50, help="burn-in rows of a chunk")
    parser.add_argument("--chunk-len", type=int, default=100, help="trained rows of a chunk")
    parser.add_argument(
        "--encoders",
        nargs="+",
        default=["shared", "asset_attention"],
        choices=["shared", "asset_attention"],
    )
    args = parser.parse_args()
    rows = args.seq_len + args.chunk_len
    print(
        f"{args.assets} assets x {args.features} features, {args.layers} layers of "
        f"{args.width}; train: {args.batch} chunks of {rows} rows; predict: {args.years} years"
    )
    print(f"{'encoder':<16}{'phase':<9}{'grouped GiB':>12}{'s':>7}{'one pass GiB':>14}{'s':>7}")
    for family in args.encoders:
        for phase in ("train", "predict"):
            cells = []
            for grouped in ("1", "0"):
                shape = [args.assets, args.features, args.width, args.layers, args.batch]
                command = [sys.executable, "-c", CHILD, family, phase, grouped]
                command += [str(v) for v in (*shape, args.years, args.seq_len, args.chunk_len)]
                done = subprocess.run(command, capture_output=True, text=True)
                if done.returncode != 0:
                    cells.append(("failed", "-"))
                    print(done.stderr[-800:], file=sys.stderr)
                    continue
                peak, seconds = done.stdout.split()[-2:]
                cells.append((peak, seconds))
            (g, gs), (o, os_) = cells
            print(f"{family:<16}{phase:<9}{g:>12}{gs:>7}{o:>14}{os_:>7}")


if __name__ == "__main__":
    main()
