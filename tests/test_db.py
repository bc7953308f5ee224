import sqlite3

import pytest

from pos_tui import db, migrations, models
from tests.targets import sqlite_only


@sqlite_only
def test_sqlite_is_opened_with_the_pragmas_that_keep_sales_safe(database):
    pragma = lambda name: database.execute_sql(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("synchronous") == 2  # FULL
    assert pragma("busy_timeout") >= 10_000


def test_schema_version_is_recorded_and_survives_reopening(db_path, database):
    assert db.schema_version() == db.SCHEMA_VERSION
    db.close_database()
    db.open_database(str(db_path))
    assert db.schema_version() == db.SCHEMA_VERSION
    assert set(database.get_tables()) >= {m._meta.table_name for m in models.ALL_MODELS}


def test_a_database_from_a_newer_program_is_refused(db_path, database):
    models.SchemaInfo.update(value=str(db.SCHEMA_VERSION + 1)).execute()
    db.close_database()
    with pytest.raises(db.SchemaError, match="Upgrade pos-tui"):
        db.open_database(str(db_path))


def test_an_older_schema_is_upgraded_by_its_migrations(db_path, database, monkeypatch):
    ran = []
    monkeypatch.setattr(db, "SCHEMA_VERSION", db.SCHEMA_VERSION + 1)
    monkeypatch.setitem(migrations.MIGRATIONS, db.SCHEMA_VERSION, lambda: ran.append("step"))
    db.close_database()
    db.open_database(str(db_path))
    assert ran == ["step"]
    assert db.schema_version() == db.SCHEMA_VERSION


@sqlite_only
def test_write_takes_the_write_lock_at_begin(db_path, database):
    """IMMEDIATE: another connection cannot start writing while our transaction is open, even
    before we have written anything."""
    other = sqlite3.connect(db_path, timeout=0)
    with db.write():
        models.Store.select().count()  # a read only
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.rollback()
    other.close()


def test_a_failed_write_leaves_nothing_behind(database):
    with pytest.raises(RuntimeError):
        with db.write():
            models.Sequence.create(name="x", last_value=1)
            raise RuntimeError("power cut")
    assert models.Sequence.select().count() == 0


def test_target_resolution_order(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("POS_DATABASE_URL", raising=False)
    assert db.resolve_target() == str(tmp_path / "xdg" / "pos-tui" / "pos.sqlite3")
    monkeypatch.setenv("POS_DATABASE_URL", "sqlite:///elsewhere.db")
    assert db.resolve_target() == "sqlite:///elsewhere.db"
    assert db.resolve_target("given.db") == "given.db"


def test_default_location_without_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert db.default_path() == tmp_path / ".local" / "share" / "pos-tui" / "pos.sqlite3"


def test_sqlite_urls_get_the_same_pragmas(tmp_path):
    handle = db.make_database(f"sqlite:///{tmp_path}/via-url.db")
    assert handle.database == f"{tmp_path}/via-url.db"
    handle.connect()
    assert handle.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    handle.close()
