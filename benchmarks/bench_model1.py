"""Model 1 speed and quality: evofolio's streaming trainer vs a paper-faithful reference.

Same fold for both: the S&P 500 (20 stocks, ``skfolio.datasets.load_sp500_dataset``)
before 2018-01-01; inputs are the paper's two features per asset (normalised price and
daily return), standardised with statistics of the training rows only; the last 10 % of
the rows validate. The reference follows Zhang, Zohren & Roberts (2020): materialised
50-day windows, a shuffled ``DataLoader`` with batch 64, ``nn.LSTM(64)`` on the joint
input, softmax, Adam 1e-3, 100 epochs, loss = -Sharpe of the batch's next-day returns;
it keeps the state of its best validation epoch, like evofolio's early stopping.

Run: ``.venv/bin/python benchmarks/bench_model1.py --seeds 3``

``--model2`` times Model 2 instead (the portfolio-level LSTM over the 7 classic strategies):
one default training of ``PortfolioLSTMAllocator`` on the same development period, the
strategy panel (monthly, 252-day window) read from the cache and not timed; it prints the
median time over the seeds (target: 5 s on 2 cores) and the Sharpe ratio on the training
loop's validation slice next to the equal-weight blend of the strategies.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import numpy as np
import torch
from skfolio.datasets import load_sp500_dataset
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from evofolio.allocators.portfolio import PortfolioLSTMAllocator
from evofolio.allocators.strategy_panel import StrategyPanel, default_cache_dir, strategy_panel_into
from evofolio.config import TrainingConfig
from evofolio.data import AllocationData
from evofolio.features import build_panel
from evofolio.features.scaling import FeatureScaler
from evofolio.metrics.performance import sharpe_ratio
from evofolio.models.asset_lstm import AssetLSTM, AssetLSTMConfig
from evofolio.models.portfolio_lstm import PortfolioLSTMParams
from evofolio.objectives import sharpe_loss
from evofolio.training import (
    predict_weights,
    seed_everything,
    train,
    validation_start,
)

DEV_END = "2018-01-01"
WINDOW = 50


def load_fold(val_frac: float = 0.1) -> tuple[np.ndarray, np.ndarray, int]:
    """Standardised features ``(T, N, 2)``, next-day returns ``(T, N)``, first val row."""
    prices = load_sp500_dataset()
    prices = prices.loc[prices.index < DEV_END]
    panel = build_panel(prices, ["norm_price", "ret_1"])
    close = prices.loc[panel.dates].to_numpy(dtype=np.float64)
    next_returns = close[1:] / close[:-1] - 1.0  # row t: return from t to t + 1
    values = panel.values[:-1]  # the last row has no next-day return in the period
    val_start = len(values) - round(val_frac * len(values))
    scaler = FeatureScaler().fit(values[:val_start])
    return scaler.transform(values), next_returns.astype(np.float32), val_start


class PaperLSTM(nn.Module):
    """Windows ``(batch, 50, assets · features)`` to weights ``(batch, assets)``."""

    def __init__(self, n_in: int, n_assets: int, hidden: int = 64) -> None:
        super().__init__()
        self.lstm = nn.LSTM(n_in, hidden, batch_first=True)
        self.out = nn.Linear(hidden, n_assets)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.lstm(x)
        return torch.softmax(self.out(out[:, -1]), dim=-1)


def run_reference(
    x: np.ndarray, r: np.ndarray, val_start: int, seed: int, epochs: int
) -> tuple[float, float, float, float]:
    """Train the paper's recipe; return (seconds, best-epoch and last-epoch val Sharpe, FLOPs)."""
    started = time.perf_counter()
    gen = seed_everything(seed)
    t, n, f = x.shape
    flat = torch.as_tensor(x).reshape(t, n * f)
    windows = flat.unfold(0, WINDOW, 1).permute(0, 2, 1).contiguous()  # (t - 49, 50, n·f)
    rets = torch.as_tensor(r)[WINDOW - 1 :]
    split = val_start - (WINDOW - 1)
    loader = DataLoader(
        TensorDataset(windows[:split], rets[:split]), batch_size=64, shuffle=True, generator=gen
    )
    model = PaperLSTM(n * f, n)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def val_sharpe() -> float:
        model.eval()
        with torch.no_grad():
            w = model(windows[split:])
        model.train()
        return sharpe_ratio((w * rets[split:]).sum(-1).double().numpy())

    best, best_state = -np.inf, copy.deepcopy(model.state_dict())
    for _ in range(epochs):
        for xb, rb in loader:
            loss = sharpe_loss((model(xb) * rb).sum(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        score = val_sharpe()
        if score > best:
            best, best_state = score, copy.deepcopy(model.state_dict())
    last = val_sharpe()
    model.load_state_dict(best_state)
    per_step = 8 * (n * f + 64) * 64
    flops = epochs * WINDOW * per_step * (3 * split + (len(windows) - split))
    return time.perf_counter() - started, best, last, float(flops)


def lstm_flops(cfg: AssetLSTMConfig, tc: TrainingConfig, n_train: int, n_val: int) -> float:
    """Analytic FLOPs of one epoch: 8·(in + hidden)·hidden per step, x3 with backward."""
    seqs = cfg.n_assets if cfg.encoder == "shared" else 1
    n_in = cfg.n_features if cfg.encoder == "shared" else cfg.n_assets * cfg.n_features
    per_step = sum(
        8 * ((n_in if layer == 0 else cfg.hidden) + cfg.hidden) * cfg.hidden
        for layer in range(cfg.layers)
    )
    c_train = -(-(n_train - tc.seq_len) // tc.chunk_len)
    c_val = -(-n_val // tc.chunk_len)
    steps = c_train * (tc.seq_len + 3 * tc.chunk_len) + c_val * (tc.seq_len + tc.chunk_len)
    return float(steps * seqs * per_step)


def matmul_peak(size: int = 2048, repeats: int = 10) -> float:
    """Float32 matmul FLOP/s on this machine with torch's current thread count."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - started)


def run_evofolio(
    x: np.ndarray,
    r: np.ndarray,
    val_start: int,
    cfg: AssetLSTMConfig,
    tc: TrainingConfig,
    seed: int,
) -> tuple[float, float, float, int]:
    """Train the default Model 1; return (seconds, val Sharpe, FLOPs, epochs run)."""
    started = time.perf_counter()
    seed_everything(seed)
    model = AssetLSTM(cfg)
    result = train(model, x, r, tc, seed=seed)
    seconds = time.perf_counter() - started
    weights = predict_weights(model, x, tc.seq_len, tc.chunk_len)
    val = sharpe_ratio((weights[val_start:] * r[val_start:]).sum(-1))
    flops = lstm_flops(cfg, tc, val_start, len(x) - val_start) * result.epochs_run
    return seconds, val, flops, result.epochs_run


def model2_val_returns(
    allocator: PortfolioLSTMAllocator, data: AllocationData, panel: StrategyPanel
) -> tuple[np.ndarray, np.ndarray]:
    """Gross daily returns of Model 2 and of the equal blend on the validation slice."""
    prices = data.prices
    weights = allocator.weights_frame(data)
    seq_len = allocator.training.seq_len
    n_rows = len(weights) + seq_len - 1  # the training rows: every feature date but the last
    first = validation_start(n_rows, allocator.training.val_frac) - seq_len
    dates = weights.index[first:-1]
    rows = prices.index.get_indexer(dates)
    close = prices.to_numpy(dtype=np.float64)
    nxt = close[rows + 1] / close[rows] - 1.0
    held = [panel.results[s].held.loc[dates].to_numpy() for s in allocator.strategies_]
    equal = np.mean(held, axis=0)
    equal /= equal.sum(axis=1, keepdims=True)
    return (weights.loc[dates].to_numpy() * nxt).sum(1), (equal * nxt).sum(1)


def bench_model2(seeds: int, network: PortfolioLSTMParams) -> None:
    """Model 2 timing and validation Sharpe (see the module docstring)."""
    data = AllocationData(load_sp500_dataset())
    started = time.perf_counter()
    # every classic rule, refit monthly on 252 days, over the whole history, kept in X
    panel = strategy_panel_into(data, window=252)
    print(f"strategy panel: {time.perf_counter() - started:.1f} s (cache {default_cache_dir()})")
    dev = data.loc[data.index < DEV_END]  # shares the panel
    training = TrainingConfig(device="cpu")
    print(f"threads: {torch.get_num_threads()}\nmodel 2: {network}\n         {training}")
    cold = time.perf_counter()
    warm = training.model_copy(update={"epochs": 1})
    PortfolioLSTMAllocator(network=network, training=warm).fit(dev)
    print(f"warm-up (1 epoch in a fresh process, not counted): {time.perf_counter() - cold:.1f} s")
    times, sharpes, equal = [], [], 0.0
    for seed in range(seeds):
        allocator = PortfolioLSTMAllocator(network=network, training=training, seed=seed)
        started = time.perf_counter()
        allocator.fit(dev)
        times.append(time.perf_counter() - started)
        ours, blend = model2_val_returns(allocator, dev, panel)
        sharpes.append(sharpe_ratio(ours))
        equal = sharpe_ratio(blend)
        result = allocator.result_
        print(
            f"seed {seed}: {times[-1]:5.2f} s, {result.epochs_run} epochs "
            f"(best {result.best_epoch}), val Sharpe {sharpes[-1]:.3f}"
        )
    med = statistics.median
    print(f"\nmodel 2: median {med(times):.2f} s (target <= 5 s)")
    print(
        f"val Sharpe: model 2 median {med(sharpes):.3f}, equal blend of the strategies {equal:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--model2", action="store_true", help="time Model 2 instead")
    parser.add_argument("--model2-encoder", choices=["joint", "shared"])
    parser.add_argument("--model2-mode", choices=["blend", "select"])
    parser.add_argument("--epochs", type=int, default=100, help="reference epochs")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--threads", type=int, default=None)
    for name in ("encoder", "hidden", "layers", "dropout"):
        parser.add_argument(f"--{name}", type=type(getattr(AssetLSTMConfig(1, 1), name)))
    for name in TrainingConfig.model_fields:
        if name in ("epochs", "lr", "seq_len", "chunk_len", "batch_size", "patience"):
            kind = float if name == "lr" else int
            parser.add_argument(f"--evo-{name.replace('_', '-')}", type=kind)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.model2:
        over = {"encoder": args.model2_encoder, "mode": args.model2_mode, "hidden": args.hidden}
        given = {k: v for k, v in over.items() if v is not None}
        bench_model2(args.seeds, PortfolioLSTMParams(**given))
        return

    x, r, val_start = load_fold()
    t, n, f = x.shape
    print(f"fold: {t} rows x {n} assets x {f} features, validation from row {val_start}")
    print(f"threads: {torch.get_num_threads()}")
    model_over = {k: getattr(args, k) for k in ("encoder", "hidden", "layers", "dropout")}
    cfg = AssetLSTMConfig(n, f, **{k: v for k, v in model_over.items() if v is not None})
    train_over = {k[4:]: v for k, v in vars(args).items() if k.startswith("evo_") and v is not None}
    print(f"evofolio: {cfg}\n          {TrainingConfig(**train_over)}")

    peak = matmul_peak()
    print(f"float32 matmul peak: {peak / 1e9:.1f} GFLOP/s")
    cold = time.perf_counter()
    train(AssetLSTM(cfg), x, r, TrainingConfig(**{**train_over, "epochs": 1}))
    print(f"warm-up (1 epoch in a fresh process, not counted): {time.perf_counter() - cold:.1f} s")
    evo_t, evo_s, evo_fps, ref_t, ref_s, ref_last, ref_fps = [], [], [], [], [], [], []
    for seed in range(args.seeds):
        tc = TrainingConfig(**train_over)
        sec, val, flops, epochs = run_evofolio(x, r, val_start, cfg, tc, seed)
        evo_t.append(sec)
        evo_s.append(val)
        evo_fps.append(flops / sec)
        print(f"seed {seed}: evofolio {sec:6.1f} s, {epochs} epochs, val Sharpe {val:.3f}")
        if not args.skip_reference:
            sec, best, last, flops = run_reference(x, r, val_start, seed, args.epochs)
            ref_t.append(sec)
            ref_s.append(best)
            ref_last.append(last)
            ref_fps.append(flops / sec)
            print(f"seed {seed}: reference {sec:6.1f} s, val Sharpe {best:.3f} (last {last:.3f})")

    med = statistics.median
    ew = sharpe_ratio(r[val_start:].mean(-1).astype(np.float64))
    print(f"\nequal weight val Sharpe: {ew:.3f}")
    print(f"evofolio:  median {med(evo_t):.1f} s, val Sharpe median {med(evo_s):.3f}")
    print(
        f"           {med(evo_fps) / 1e9:.2f} GFLOP/s = "
        f"{med(evo_fps) / peak:.1%} of the matmul peak"
    )
    if ref_t:
        print(
            f"reference: median {med(ref_t):.1f} s, val Sharpe median {med(ref_s):.3f} "
            f"(best epoch; last epoch {med(ref_last):.3f})"
        )
        print(
            f"           {med(ref_fps) / 1e9:.2f} GFLOP/s = "
            f"{med(ref_fps) / peak:.1%} of the matmul peak"
        )
        print(f"speed-up:  {med(ref_t) / med(evo_t):.1f}x")


if __name__ == "__main__":
    main()
