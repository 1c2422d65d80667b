"""Model 1 on a ragged universe: masked softmax, features inside lives, causality, joint refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

import evofolio as ev
from evofolio.allocators.attention import AssetAttentionAllocator
from evofolio.allocators.classic import ClassicAllocator
from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.config import TrainingConfig
from evofolio.data import AllocationData
from evofolio.errors import ParameterError
from evofolio.features import FEATURES, build_panel
from evofolio.models.asset_lstm import AssetLSTMParams
from evofolio.models.heads import masked_capped_softmax
from synthetic import ragged_prices

TRAINING = TrainingConfig(epochs=1, seq_len=5, chunk_len=20, batch_size=8, device="cpu")
FEATS = ["ret_1", "ret_5", "vol_21", "macd"]


def test_masked_softmax_is_exactly_zero_off_the_investable_set() -> None:
    scores = torch.tensor([[2.0, 50.0, 0.0, -1.0], [0.3, 0.1, 0.2, 9.0], [1.0, 1.0, 1.0, 1.0]])
    mask = torch.tensor(
        [[True, False, True, True], [False, False, True, False], [False, False, False, False]]
    )
    weights = masked_capped_softmax(scores, mask)
    assert weights[0, 1].item() == 0.0 and weights[1, [0, 1, 3]].eq(0.0).all()
    e = np.exp([2.0, 0.0, -1.0])
    np.testing.assert_allclose(weights[0, [0, 2, 3]].numpy(), e / e.sum(), rtol=1e-6)
    assert weights[1, 2].item() == pytest.approx(1.0, rel=1e-7)
    assert weights[2].eq(0.0).all()  # nothing investable: cash
    # the cap applies to the investable count: 0.4 over 3 assets
    capped = masked_capped_softmax(scores[:1], mask[:1], max_weight=0.4)
    assert capped[0, 1].item() == 0.0
    assert capped[0, 0].item() == pytest.approx(0.4, rel=1e-6)
    # round 1 pins asset 0 at 0.4; the other 0.6 split e^0 : e^-1 gives asset 2 0.4386 > 0.4,
    # so round 2 pins it too and asset 3 takes the remaining 0.2
    assert 0.6 * np.exp(0.0) / (np.exp(0.0) + np.exp(-1.0)) > 0.4
    np.testing.assert_allclose(capped[0].numpy(), [0.4, 0.0, 0.4, 0.2], rtol=1e-6)
    # a cap below 1/k: only the uniform portfolio over the k investable assets is feasible
    tight = masked_capped_softmax(scores[:1], mask[:1], max_weight=0.25)
    np.testing.assert_allclose(tight[0].numpy(), [1 / 3, 0.0, 1 / 3, 1 / 3], rtol=1e-6)


def test_features_never_read_across_a_lifes_start() -> None:
    raw = ragged_prices(n_days=400, n_assets=3, seed=5, deaths=0.0, births=0.0)
    raw.iloc[:150, 2] = np.nan  # R2 lists on row 150
    panel = build_panel(raw, FEATS, missing=True)
    life = build_panel(raw.iloc[150:], FEATS)  # R2's life alone, as a rectangle
    for k, name in enumerate(FEATS):
        warmup = FEATURES[name].warmup
        mine = pd.Series(panel.values[:, 2, k], index=panel.dates)
        # undefined before the warm-up inside the life
        assert mine.loc[: raw.index[150 + warmup - 1]].isna().all()
        theirs = pd.Series(life.values[:, 2, k], index=life.dates)
        common = theirs.index[theirs.index >= raw.index[150 + warmup]]
        np.testing.assert_allclose(mine.loc[common], theirs.loc[common], rtol=1e-5)
    # what was before the life does not matter: fake prices there change nothing
    fake = raw.copy()
    fake.iloc[:150, 2] = 1.0
    again = build_panel(fake.where(raw.notna()), FEATS, missing=True)
    np.testing.assert_array_equal(again.values, panel.values)


def test_masked_inputs_keep_the_available_cells_and_zero_the_others() -> None:
    """The network's inputs on a ragged universe: each feature as computed where the asset is
    a member, alive and warm; exactly 0 elsewhere (NaN never reaches the network); the
    availability channel last."""
    from evofolio.allocators.neural import masked_inputs

    raw = ragged_prices(n_days=300, n_assets=4, seed=3, deaths=0.5, births=0.5)
    members = pd.DataFrame({"date": [raw.index[0], raw.index[200]]})
    for k, asset in enumerate(raw.columns):
        members[asset] = [1, 0 if k == 0 else 1]  # asset 0 leaves the index on row 200
    data = ev.load_data(raw, ragged=True, universe=members)
    panel = build_panel(data.universe.raw(data.prices), FEATS, data.market, missing=True)
    out = masked_inputs(panel, data.universe)
    investable = data.universe.on(panel.dates).investable().to_numpy(dtype=bool)
    available = np.isfinite(panel.values).all(axis=2) & investable
    assert out.shape == (*panel.values.shape[:2], len(FEATS) + 1) and out.dtype == np.float32
    assert available.any() and (~available).any() and not available[-1, 0]
    np.testing.assert_array_equal(out[..., -1], available.astype(np.float32))
    np.testing.assert_array_equal(out[..., :-1][available], panel.values[available])
    assert (out[..., :-1][~available] == 0.0).all()


def _ragged_data(members: pd.DataFrame | None = None) -> ev.MarketData:
    raw = ragged_prices(n_days=500, n_assets=6, seed=7, deaths=0.3, births=0.3)
    return ev.load_data(raw, ragged=True, universe=members)


@pytest.mark.parametrize("family", [AssetLSTMAllocator, AssetAttentionAllocator])
def test_model_1_puts_exactly_zero_off_the_investable_set(family: type) -> None:
    data = _ragged_data()
    model = family(training=TRAINING, features=FEATS).fit(data)
    dates = data.prices.index[300:]
    weights = model.allocate(data, dates)
    allowed = data.universe.on(dates).investable().to_numpy()
    values = weights.to_numpy()
    assert (values[~allowed] == 0.0).all()
    np.testing.assert_allclose(values.sum(axis=1), 1.0, rtol=1e-6)
    assert (~allowed).any()  # the universe is ragged on these dates


def _members(data: ev.MarketData, cut: pd.Timestamp, drop_after: bool) -> pd.DataFrame:
    rows = [{"asset": a, "start": data.prices.index[0], "end": None} for a in data.assets]
    if drop_after:  # R0 leaves the index after the cut
        rows[0]["end"] = cut + pd.Timedelta(days=1)
    return pd.DataFrame(rows)


def test_a_membership_change_after_t_never_changes_decisions_up_to_t() -> None:
    plain = _ragged_data()
    cut = plain.prices.index[350]
    before = _ragged_data(_members(plain, cut, False))
    after = _ragged_data(_members(plain, cut, True))
    assert not after.universe.member["R0"].iloc[-1] and before.universe.member["R0"].iloc[-1]
    dates = plain.prices.index[300:351]
    train = AllocationData(
        before.prices.iloc[:300], universe=before.universe.on(plain.prices.index[:300])
    )
    model = AssetLSTMAllocator(training=TRAINING, features=FEATS).fit(train)
    a = model.allocate(AllocationData(before.prices, universe=before.universe), dates)
    b = model.allocate(AllocationData(after.prices, universe=after.universe), dates)
    pd.testing.assert_frame_equal(a, b)
    for name in ("equal_weight", "min_variance"):
        rule = ClassicAllocator(name, window=63).fit(before)
        pd.testing.assert_frame_equal(rule.allocate(before, dates), rule.allocate(after, dates))
    later = plain.prices.index[360:380]  # after the change, R0 is out
    assert (
        model.allocate(AllocationData(after.prices, universe=after.universe), later)["R0"] == 0
    ).all()


def test_the_joint_encoder_is_refused_for_a_ragged_universe_in_one_line() -> None:
    model = AssetLSTMAllocator(
        network=AssetLSTMParams(encoder="joint"), training=TRAINING, features=FEATS
    )
    with pytest.raises(ParameterError, match=r"encoder = 'joint' is refused for a ragged") as info:
        model.fit(_ragged_data())
    assert "\n" not in str(info.value)


def test_model_2_puts_exactly_zero_off_the_investable_set(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evofolio.allocators.portfolio import PortfolioLSTMAllocator
    from evofolio.models.portfolio_lstm import PortfolioLSTMParams

    monkeypatch.setenv("EVOFOLIO_CACHE_DIR", str(tmp_path))
    data = _ragged_data()
    model = PortfolioLSTMAllocator(
        network=PortfolioLSTMParams(hidden=8),
        training=TRAINING,
        strategies=["equal_weight", "inverse_vol", "min_variance"],
        strategy_window=60,
    ).fit(AllocationData(data.prices, data.market, universe=data.universe))
    dates = data.prices.index[300:]
    weights = model.allocate(data, dates).to_numpy()
    allowed = data.universe.on(dates).investable().to_numpy()
    assert (weights[~allowed] == 0.0).all() and (~allowed).any()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-9)


def test_a_ragged_fit_standardises_its_own_inputs_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The masked inputs are the fit's own new array: they are standardised where they are
    (one copy fewer of a ragged universe's largest array, a few hundred MB at 1,000 assets),
    and the model is the one a copy gives."""
    from evofolio.features.scaling import MaskedFeatureScaler

    calls: list[bool] = []
    transform = MaskedFeatureScaler.transform

    def spy(self: MaskedFeatureScaler, values: np.ndarray, out: np.ndarray | None = None) -> Any:
        calls.append(out is not None and np.shares_memory(out, values))
        return transform(self, values, out=out)

    def copying(
        self: MaskedFeatureScaler, values: np.ndarray, out: np.ndarray | None = None
    ) -> Any:
        return transform(self, values)  # what a fit did before: a standardised copy

    data = _ragged_data()
    monkeypatch.setattr(MaskedFeatureScaler, "transform", copying)
    copied = AssetLSTMAllocator(training=TRAINING, features=FEATS, seed=3).fit(data)
    monkeypatch.setattr(MaskedFeatureScaler, "transform", spy)
    in_place = AssetLSTMAllocator(training=TRAINING, features=FEATS, seed=3).fit(data)
    assert calls == [True]
    monkeypatch.undo()
    dates = data.prices.index[-30:]
    np.testing.assert_allclose(
        in_place.allocate(data, dates).to_numpy(), copied.allocate(data, dates).to_numpy()
    )
