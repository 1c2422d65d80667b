"""make_storage's one-line errors: only the URL's password is masked, hints fit the dialect."""

from __future__ import annotations

import pytest

from evofolio.config import SearchConfig
from evofolio.errors import ConfigError
from evofolio.search.engine import storage as storage_module
from evofolio.search.engine.storage import make_storage

DRIVER_TEXT = "(psycopg.OperationalError) connection failed: port 1 refused for {url}"


def _fail_with(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr(storage_module, "RDBStorage", refuse)


@pytest.mark.parametrize("password", ["o", "p", "error", "connection"])
def test_short_or_common_password_leaves_the_words_intact(
    monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    url = f"postgresql://evofolio:{password}@127.0.0.1:55432/evofolio"
    _fail_with(monkeypatch, RuntimeError(DRIVER_TEXT.format(url=url) + "\nsecond line"))
    with pytest.raises(ConfigError) as caught:
        make_storage(url, SearchConfig())
    masked = "postgresql://evofolio:***@127.0.0.1:55432/evofolio"
    assert str(caught.value) == (
        f"search.storage: cannot open {masked!r}: "
        + DRIVER_TEXT.format(url=masked)  # the full URL in the driver text is masked too
    )


def test_normalized_url_in_driver_text_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgres://ann:s3cret@db:5432/s"
    _fail_with(monkeypatch, RuntimeError("bad postgresql+psycopg://ann:s3cret@db:5432/s here"))
    with pytest.raises(ConfigError) as caught:
        make_storage(url, SearchConfig())
    assert "s3cret" not in str(caught.value)
    assert str(caught.value).endswith("bad postgres://ann:***@db:5432/s here")


def test_refused_connection_keeps_the_driver_words() -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(ConfigError) as caught:
        make_storage("postgresql://evofolio:o@127.0.0.1:1/evofolio", SearchConfig())
    text = str(caught.value)
    assert "'postgresql://evofolio:***@127.0.0.1:1/evofolio'" in text
    assert "(psycopg.OperationalError) connection failed" in text and "\n" not in text


def test_mysql_without_driver_suggests_pymysql(monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_with(monkeypatch, ImportError("Failed to import DB access module for the specified"))
    with pytest.raises(ConfigError) as caught:
        make_storage("mysql://u:p@127.0.0.1/x", SearchConfig())
    text = str(caught.value)
    assert "Failed to import DB access module for the specified" in text
    assert "pip install pymysql" in text and "mysql+pymysql://" in text
    assert "evofolio[postgres]" not in text


def test_postgres_without_driver_suggests_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_with(monkeypatch, ModuleNotFoundError("No module named 'psycopg'"))
    with pytest.raises(ConfigError, match=r"pip install 'evofolio\[postgres\]'"):
        make_storage("postgresql://u:p@h/x", SearchConfig())
