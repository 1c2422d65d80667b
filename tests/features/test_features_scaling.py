"""FeatureScaler: fitted on training rows only, plain-typed state."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evofolio.errors import DataError
from evofolio.features import FeatureScaler
from evofolio.features.scaling import MaskedFeatureScaler


def _panel(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([0.0, 5.0, -3.0])
    spreads = np.array([1.0, 0.01, 40.0])
    return (centres + spreads * rng.normal(size=(200, 6, 3))).astype(np.float32)


def test_fit_on_train_transform_test() -> None:
    values = _panel()
    train, test = values[:150], values[150:]
    scaler = FeatureScaler(clip=None).fit(train)
    z_train = scaler.transform(train)
    np.testing.assert_allclose(z_train.mean(axis=(0, 1)), 0.0, atol=1e-5)
    np.testing.assert_allclose(z_train.std(axis=(0, 1)), 1.0, rtol=1e-4)
    z_test = scaler.transform(test)
    assert z_test.dtype == np.float32
    assert z_test.shape == test.shape
    assert scaler.mean_ is not None and scaler.scale_ is not None
    expected = (test.astype(np.float64) - scaler.mean_) / scaler.scale_
    np.testing.assert_allclose(z_test, expected, rtol=1e-4, atol=1e-5)


def test_statistics_come_from_the_rows_it_is_fitted_on_only() -> None:
    values = _panel()
    train = values[:150]
    scaler = FeatureScaler().fit(train)
    # by hand: pooled over the 150 dates x 6 assets of the training rows, ddof=0
    rows = train.astype(np.float64).reshape(-1, 3)
    mean = rows.sum(axis=0) / len(rows)
    scale = np.sqrt(((rows - mean) ** 2).sum(axis=0) / len(rows))
    assert scaler.mean_ is not None and scaler.scale_ is not None
    np.testing.assert_allclose(scaler.mean_, mean, rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, scale, rtol=1e-12)
    # test rows a hundredfold larger: transforming them must not move the statistics ...
    perturbed = values.copy()
    perturbed[150:] = perturbed[150:] * 100.0 + 7.0
    z_test = scaler.transform(perturbed[150:])
    np.testing.assert_allclose(scaler.mean_, mean, rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, scale, rtol=1e-12)
    np.testing.assert_allclose(
        z_test[..., 0], np.clip((perturbed[150:, :, 0] - mean[0]) / scale[0], -5, 5), rtol=1e-4
    )
    # ... and a scaler that saw them would differ by far: this test can tell a leak
    leaky = FeatureScaler().fit(perturbed)
    assert leaky.mean_ is not None and leaky.scale_ is not None
    assert np.all(np.abs(leaky.scale_ - scale) > scale)


def test_clip_and_constant_feature() -> None:
    values = _panel()
    values[:, :, 0] = 4.0
    values[0, 0, 1] = 1e6
    z = FeatureScaler(clip=3.0).fit_transform(values)
    assert np.isfinite(z).all()
    np.testing.assert_array_equal(z[:, :, 0], 0.0)
    assert z.max() <= 3.0
    assert z.min() >= -3.0
    assert z[0, 0, 1] == 3.0


def test_state_round_trip_uses_plain_types() -> None:
    values = _panel()
    scaler = FeatureScaler(clip=4.0).fit(values[:100])
    state = scaler.to_state()
    assert set(state) == {"mean", "scale", "clip", "min_scale"}
    for value in state.values():
        assert value is None or isinstance(value, float | list)
        if isinstance(value, list):
            assert all(type(x) is float for x in value)
    restored = FeatureScaler.from_state(json.loads(json.dumps(state)))
    np.testing.assert_array_equal(restored.transform(values), scaler.transform(values))
    assert restored.clip == 4.0
    unclipped = FeatureScaler.from_state(FeatureScaler(clip=None).fit(values).to_state())
    assert unclipped.clip is None


def test_misuse_raises() -> None:
    values = _panel()
    with pytest.raises(RuntimeError, match="not fitted"):
        FeatureScaler().transform(values)
    with pytest.raises(RuntimeError, match="not fitted"):
        FeatureScaler().to_state()
    scaler = FeatureScaler().fit(values)
    with pytest.raises(ValueError, match="3 features"):
        scaler.transform(values[:, :, :2])
    broken = values.copy()
    broken[3, 2, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        FeatureScaler().fit(broken)
    with pytest.raises(DataError, match="missing key"):
        FeatureScaler.from_state({"mean": [0.0]})
    with pytest.raises(DataError, match="equal-length"):
        FeatureScaler.from_state(
            {"mean": [0.0], "scale": [1.0, 2.0], "clip": 5.0, "min_scale": 1e-8}
        )
    with pytest.raises(ValueError, match="clip"):
        FeatureScaler(clip=0.0)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float32, (20, 3, 2), elements=st.floats(-1e3, 1e3, width=32)))
def test_transform_is_bounded_and_finite(values: np.ndarray) -> None:
    z = FeatureScaler(clip=5.0).fit_transform(values)
    assert z.dtype == np.float32
    assert np.isfinite(z).all()
    assert np.abs(z).max() <= 5.0


def test_the_masked_scaler_standardises_available_cells_only_block_by_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ragged universe's inputs: the statistics come from the available cells, the others
    are 0, the availability channel is kept; transforming in blocks of rows (as a 1,000-asset
    panel is) gives exactly the one-block result."""
    import evofolio.features.scaling as scaling

    rng = np.random.default_rng(4)
    values = np.empty((50, 7, 4), dtype=np.float32)
    values[..., :3] = rng.normal(3.0, 2.0, (50, 7, 3))
    available = rng.random((50, 7)) < 0.6
    values[..., :3][~available] = np.nan  # undefined outside a life
    values[..., 3] = available
    scaler = scaling.MaskedFeatureScaler(clip=None).fit(values)
    cells = values[..., :3][available].astype(np.float64)
    np.testing.assert_allclose(scaler.mean_, cells.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, cells.std(axis=0), rtol=1e-12)
    whole = scaler.transform(values)
    expected = (cells - cells.mean(axis=0)) / cells.std(axis=0)
    np.testing.assert_allclose(whole[..., :3][available], expected, rtol=1e-5, atol=1e-6)
    assert (whole[..., :3][~available] == 0.0).all()
    np.testing.assert_array_equal(whole[..., 3], available)
    monkeypatch.setattr(scaling, "_CHUNK_ROWS", 20)  # blocks of 2 rows of 7 assets
    np.testing.assert_array_equal(scaler.transform(values), whole)


@pytest.mark.parametrize("masked", [False, True])
def test_transform_in_place_gives_the_copys_values(masked: bool) -> None:
    """``out=values`` standardises the caller's array where it is (a ragged universe's largest
    array, not copied), with the values of the copy; a wrong ``out`` is refused."""
    rng = np.random.default_rng(5)
    values = rng.normal(3.0, 2.0, (40, 6, 4)).astype(np.float32)
    if masked:
        values[..., -1] = rng.random((40, 6)) > 0.3
    scaler = (MaskedFeatureScaler() if masked else FeatureScaler()).fit(values)
    copied = scaler.transform(values)
    same = values.copy()
    assert scaler.transform(same, out=same) is same
    np.testing.assert_array_equal(same, copied)
    with pytest.raises(ValueError, match="C-contiguous float32"):
        scaler.transform(values, out=np.empty((40, 6, 4), dtype=np.float64))
    with pytest.raises(ValueError, match="C-contiguous float32"):
        scaler.transform(values[:, ::2], out=values[:, ::2])
