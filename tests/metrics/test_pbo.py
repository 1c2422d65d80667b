"""Probability of backtest overfitting (CSCV): a hand-enumerated case, a brute-force
reference, the two textbook regimes (pure noise, one real edge) and input errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from evofolio.errors import (
    ConfigError,
    DataError,
    EvofolioError,
    InsufficientHistoryError,
)
from evofolio.metrics.pbo import (
    PBO_BLOCK_NOTE,
    PBOResult,
    probability_of_backtest_overfitting,
)

LN3 = math.log(3.0)


def test_hand_enumerated_four_blocks_three_configs() -> None:
    # One row per block (S = 4), configurations A, B, C; scored by mean return, so a
    # half's score is proportional to the sum of its two blocks.
    #   block 0:  1   4   3
    #   block 1:  2   2   4
    #   block 2: -2   1   3
    #   block 3:  1  -1  -2
    # IS blocks | IS sums (A,B,C) | pick | OOS sums (A,B,C) | OOS rank | w   | logit
    # {0,1}     |  3  6  7        | C    | -1  0  1         | 3        | 3/4 | +ln 3
    # {0,2}     | -1  5  6        | C    |  3  1  2         | 2        | 1/2 | 0
    # {0,3}     |  2  3  1        | B    |  0  3  7         | 2        | 1/2 | 0
    # {1,2}     |  0  3  7        | C    |  2  3  1         | 1        | 1/4 | -ln 3
    # {1,3}     |  3  1  2        | A    | -1  5  6         | 1        | 1/4 | -ln 3
    # {2,3}     | -1  0  1        | C    |  3  6  7         | 3        | 3/4 | +ln 3
    # Four of six logits are <= 0: PBO = 2/3.
    blocks = np.array([[1, 4, 3], [2, 2, 4], [-2, 1, 3], [1, -1, -2]], dtype=float) / 100
    res = probability_of_backtest_overfitting(blocks, n_blocks=4, metric="mean")
    np.testing.assert_allclose(res.logits, [LN3, 0.0, 0.0, -LN3, -LN3, LN3], atol=1e-12)
    assert res.pbo == pytest.approx(2 / 3)
    assert res.n_combinations == 6
    assert res.n_blocks == 4
    # Repeating each row keeps every mean, so the answer is unchanged.
    again = probability_of_backtest_overfitting(np.repeat(blocks, 3, axis=0), 4, "mean")
    np.testing.assert_allclose(again.logits, res.logits, atol=1e-12)


def _brute_force(matrix: np.ndarray, n_blocks: int) -> np.ndarray:
    """CSCV written the slow, obvious way: slice, score, rank with scipy, per combination."""
    parts = np.array_split(np.arange(matrix.shape[0]), n_blocks)
    n_configs = matrix.shape[1]
    logits = []
    for chosen in itertools.combinations(range(n_blocks), n_blocks // 2):
        rest = [b for b in range(n_blocks) if b not in chosen]
        ins = matrix[np.concatenate([parts[b] for b in chosen])]
        oos = matrix[np.concatenate([parts[b] for b in rest])]
        is_sharpe = ins.mean(axis=0) / ins.std(axis=0, ddof=1)
        oos_sharpe = oos.mean(axis=0) / oos.std(axis=0, ddof=1)
        best = int(np.argmax(is_sharpe))
        omega = stats.rankdata(oos_sharpe)[best] / (n_configs + 1)
        logits.append(math.log(omega / (1 - omega)))
    return np.array(logits)


@pytest.mark.parametrize(("n_obs", "n_configs", "n_blocks"), [(60, 5, 6), (97, 9, 8)])
def test_matches_brute_force_sharpe(n_obs: int, n_configs: int, n_blocks: int) -> None:
    # Uneven block sizes (T not a multiple of S) and a shared market factor included.
    rng = np.random.default_rng(n_obs)
    market = rng.normal(0.0005, 0.01, size=(n_obs, 1))
    matrix = market + rng.normal(0.0, 0.01, size=(n_obs, n_configs))
    res = probability_of_backtest_overfitting(matrix, n_blocks=n_blocks)
    expected = _brute_force(matrix, n_blocks)
    np.testing.assert_allclose(res.logits, expected, rtol=1e-9, atol=1e-12)
    assert res.pbo == pytest.approx(float(np.mean(expected <= 0)))
    assert res.n_combinations == math.comb(n_blocks, n_blocks // 2) == len(expected)


def test_pure_noise_is_a_coin_flip() -> None:
    # Every configuration is iid noise: the IS winner's OOS rank is uniform.
    rng = np.random.default_rng(2024)
    noise = rng.normal(0.0, 0.01, size=(1600, 50))
    res = probability_of_backtest_overfitting(noise)
    assert isinstance(res, PBOResult)
    assert res.n_combinations == 12_870
    assert res.logits.shape == (12_870,)
    assert 0.3 <= res.pbo <= 0.7


def test_one_persistent_edge_is_not_overfit() -> None:
    # Configuration 3 earns a per-period Sharpe of about 0.3 on every block; the others
    # are noise. It wins in sample and stays near the top out of sample.
    rng = np.random.default_rng(5)
    matrix = rng.normal(0.0, 0.01, size=(1000, 20))
    matrix[:, 3] += 0.003
    res = probability_of_backtest_overfitting(matrix)
    assert res.pbo < 0.05
    assert np.median(res.logits) == pytest.approx(math.log(20.0))  # rank N of N


def _sharpe_or_last(half: np.ndarray) -> np.ndarray:
    """Per-column Sharpe ratio of a half, -inf where every return is the same number."""
    flat = np.ptp(half, axis=0) == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = half.mean(axis=0) / half.std(axis=0, ddof=1)
    return np.where(flat, -np.inf, sharpe)


def test_flat_configuration_ranks_last() -> None:
    # Column 0 is constant: its Sharpe ratio is undefined on every half, so it is never
    # the IS winner and always ranks 1 (last) out of sample. The winner is then one of the
    # two noise columns, with OOS rank 3 (it beats the other one, logit ln 3) or 2 (logit 0).
    rng = np.random.default_rng(1)
    matrix = rng.normal(0.001, 0.01, size=(40, 3))
    matrix[:, 0] = 0.0005
    res = probability_of_backtest_overfitting(matrix, n_blocks=4)
    parts = np.array_split(np.arange(40), 4)
    expected = []
    for chosen in itertools.combinations(range(4), 2):
        rest = [b for b in range(4) if b not in chosen]
        ins = _sharpe_or_last(matrix[np.concatenate([parts[b] for b in chosen])])
        oos = _sharpe_or_last(matrix[np.concatenate([parts[b] for b in rest])])
        best = 1 + int(np.argmax(ins[1:]))
        other = 3 - best
        assert oos[0] == -np.inf  # the flat column is below every other one
        rank = 3 if oos[best] > oos[other] else 2
        expected.append(math.log(rank / 4 / (1 - rank / 4)))
    assert set(np.round(expected, 12)) == {0.0, round(LN3, 12)}  # both cases occur
    np.testing.assert_allclose(res.logits, expected, atol=1e-12)


def test_flat_half_decided_exactly_issue_9_reproduction() -> None:
    # Issue 9: column 0 is 0.0004 on the first half and noise on the second. With a
    # tolerance on a variance from sums of squares, rounding gave it a huge IS Sharpe on
    # the flat half and PBO came out 0.0. Flat there, it must rank last; the hand check:
    rng = np.random.default_rng(0)
    matrix = rng.normal(0.0, 0.01, size=(100, 3))
    matrix[:50, 0] = 0.0004
    first, second = _sharpe_or_last(matrix[:50]), _sharpe_or_last(matrix[50:])
    assert first[0] == -np.inf and np.isfinite(second[0])
    # IS = first half: the IS winner is a noise column; it is the OOS worst of the three.
    winner = 1 + int(np.argmax(first[1:]))
    assert second[winner] < second[[c for c in range(3) if c != winner]].min()
    # IS = second half: column 0 (noise there) wins, and on the first half, where it is
    # flat, it ranks last.
    assert int(np.argmax(second)) == 0
    # Both IS winners rank 1 of 3 out of sample, w = 1/4, logit -ln 3: PBO = 1.
    res = probability_of_backtest_overfitting(matrix, n_blocks=2)
    np.testing.assert_allclose(res.logits, [-LN3, -LN3], atol=1e-12)
    assert res.pbo == 1.0


def test_block_note_names_the_remainder_rule() -> None:
    # The rule it states (array_split: the first T mod S blocks are one row longer) is the
    # one the code applies: test_matches_brute_force_sharpe pins it with T = 97, S = 8.
    assert "T mod S" in PBO_BLOCK_NOTE and "array_split" in PBO_BLOCK_NOTE


@pytest.mark.parametrize("n_blocks", [3, 0, 1, 7])
def test_odd_or_too_few_blocks(n_blocks: int) -> None:
    with pytest.raises(ConfigError, match="even"):
        probability_of_backtest_overfitting(np.zeros((100, 3)), n_blocks=n_blocks)


def test_needs_two_configurations() -> None:
    with pytest.raises(DataError, match="at least 2 configurations"):
        probability_of_backtest_overfitting(np.zeros((100, 1)))


def test_needs_a_row_per_block() -> None:
    with pytest.raises(InsufficientHistoryError, match="at least 16 dates"):
        probability_of_backtest_overfitting(np.zeros((15, 4)), n_blocks=16)


def test_rejects_non_finite_returns_and_bad_shapes() -> None:
    matrix = np.zeros((20, 3))
    matrix[7, 2] = np.nan
    with pytest.raises(DataError, match="row 7, column 2"):
        probability_of_backtest_overfitting(matrix, n_blocks=4)
    with pytest.raises(DataError, match="matrix"):
        probability_of_backtest_overfitting(np.zeros(20), n_blocks=4)
    with pytest.raises(ConfigError, match="metric"):
        probability_of_backtest_overfitting(np.zeros((20, 3)), 4, "sortino")  # type: ignore[arg-type]


def test_every_input_error_is_an_evofolio_error() -> None:
    for bad in [(np.zeros((100, 1)), 16), (np.zeros((10, 3)), 16), (np.zeros((100, 3)), 5)]:
        with pytest.raises(EvofolioError):
            probability_of_backtest_overfitting(*bad)
