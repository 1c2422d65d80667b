"""Parts of a shared study that need no server: the generation barrier, URLs, the store."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState, create_trial

from evofolio.config import SearchConfig
from evofolio.errors import ConfigError
from evofolio.search.engine.artifacts import (
    download_study_file,
    download_trial_files,
    open_store,
    upload_study_file,
    upload_trial_files,
)
from evofolio.search.engine.optuna_private import GENERATION_KEY
from evofolio.search.engine.storage import (
    engine_options,
    make_storage,
    masked_url,
    normalized_url,
)
from evofolio.search.engine.study import sync_generations
from evofolio.search.engine.trial_record import generation_barrier, open_generation


def _trial(state: TrialState, generation: int | None) -> optuna.trial.FrozenTrial:
    attrs = {} if generation is None else {GENERATION_KEY: generation}
    values = [1.0] if state == TrialState.COMPLETE else None
    trial = create_trial(state=TrialState.COMPLETE, values=[1.0], system_attrs=attrs)
    trial.state, trial.values = state, values
    return trial


C, R, W = TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING


@pytest.mark.parametrize(
    ("trials", "opened", "barrier"),
    [
        ([], 0, None),  # nothing yet: sample generation 0
        ([(R, 0), (R, 0)], 0, None),  # 2 of 3 taken
        ([(C, 0), (R, 0), (R, None)], 0, 0),  # 3 of 3 taken (one not sampled yet): wait
        ([(C, 0), (C, 0), (R, 0), (TrialState.FAIL, 0)], 0, 0),  # a failure left no room
        ([(C, 0), (R, 0), (TrialState.FAIL, 0)], 0, None),  # ... here it did
        ([(C, 0), (C, 0), (C, 0)], 1, None),  # generation 0 complete: 1 opens
        ([(C, 0), (C, 0), (C, 0), (R, 1), (R, 1), (R, 1)], 1, 1),
        ([(C, 0), (R, 0), (R, 0), (W, None)], 0, None),  # a re-queued genome waits: take it
        ([(C, 0)] * 3 + [(C, 1)] + [(R, 1)] * 2, 1, 1),
    ],
)
def test_generation_barrier_by_hand(
    trials: list[tuple[TrialState, int | None]], opened: int, barrier: int | None
) -> None:
    frozen = [_trial(state, generation) for state, generation in trials]
    assert open_generation(frozen, 3) == opened
    assert generation_barrier(frozen, 3) == barrier


def test_sync_generations_default_follows_sharing() -> None:
    search = SearchConfig()
    sqlite = "sqlite:////tmp/search.db"
    assert not sync_generations(search, sqlite, 1)
    assert sync_generations(search, sqlite, 2)
    assert sync_generations(search, sqlite, 1, shared=True)
    assert sync_generations(search, "postgresql://u@h/db", 1)
    assert not sync_generations(SearchConfig(sync_generations=False), sqlite, 4)
    assert sync_generations(SearchConfig(sync_generations=True), sqlite, 1)


def test_urls_mask_the_password_and_use_psycopg() -> None:
    assert masked_url("postgresql://ann:pw@db:5432/s") == "postgresql://ann:***@db:5432/s"
    assert masked_url("sqlite:///x.db") == "sqlite:///x.db"
    assert masked_url("not a url://ann:pw@db/s") == "not a url://ann:***@db/s"
    assert normalized_url("postgres://a@h/d") == "postgresql+psycopg://a@h/d"
    assert normalized_url("postgresql+psycopg2://a@h/d") == "postgresql+psycopg2://a@h/d"
    server = engine_options("postgresql://a@h/d")
    assert server["pool_size"] + server["max_overflow"] == 3 and server["pool_pre_ping"]


def test_malformed_url_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"cannot open 'nodb://ann:\*\*\*@x/y'") as caught:
        make_storage("nodb://ann:secret@x/y", SearchConfig())
    assert "secret" not in str(caught.value) and "\n" not in str(caught.value)


def test_store_round_trip_through_the_study(tmp_path: Path) -> None:
    storage = make_storage(f"sqlite:///{tmp_path / 's.db'}", SearchConfig())
    study = optuna.create_study(storage=storage, study_name="s")
    store = open_store(str(tmp_path / "store"))
    made = tmp_path / "made"
    made.mkdir()
    (made / "a.json").write_text('{"x": 1}')
    (made / "b.bin").write_bytes(b"\x00\x01")
    trial = study.ask()
    assert upload_trial_files(store, storage, trial, made) == ["a.json", "b.bin"]
    study.tell(trial, 1.0)
    frozen = study.trials[0]
    elsewhere = tmp_path / "elsewhere"
    assert download_trial_files(store, storage, frozen, elsewhere) == ["a.json", "b.bin"]
    assert (elsewhere / "b.bin").read_bytes() == b"\x00\x01"
    assert download_trial_files(store, storage, frozen, elsewhere) == []  # kept, not refetched
    (made / "a.json").write_text("first")
    upload_study_file(store, study, made / "a.json")
    (made / "a.json").write_text("second")
    upload_study_file(store, study, made / "a.json")  # replaces the first
    assert download_study_file(store, study, "a.json", tmp_path / "got.json")
    assert (tmp_path / "got.json").read_text() == "second"
    assert not download_study_file(store, study, "none.json", tmp_path / "none.json")


def test_unwritable_store_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="search.artifacts: cannot write to"):
        open_store(str(blocker / "store"))
    assert open_store(None) is None
