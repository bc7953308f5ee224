"""The database: where it lives, how it is opened, how writes are made, which schema it holds.

Every write in the product goes through `write()`, so that on SQLite the transaction takes the
write lock at BEGIN (IMMEDIATE) instead of failing half-way with SQLITE_BUSY when another till is
writing, and so that another engine can do the right thing there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar
from urllib.parse import urlparse

from peewee import Database, DatabaseProxy, SqliteDatabase
from playhouse.db_url import connect as connect_url

from pos_tui.i18n import _

database = DatabaseProxy()

#: The schema this program writes. Bump it with a function in MIGRATIONS.
SCHEMA_VERSION = 1

#: version -> function that upgrades a database from version - 1 to version.
MIGRATIONS: dict[int, Callable[[], None]] = {}

# WAL lets tills read while another writes; FULL sync makes a paid sale survive a power cut;
# the busy timeout makes a till wait its turn instead of showing "database is locked".
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": 2,  # FULL
    "busy_timeout": 30_000,
}

P = ParamSpec("P")
R = TypeVar("R")


class SchemaError(RuntimeError):
    """The database holds a schema this program cannot use."""


def default_path() -> Path:
    """`$XDG_DATA_HOME/pos-tui/pos.sqlite3`, or `~/.local/share/pos-tui/pos.sqlite3`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "pos-tui" / "pos.sqlite3"


def resolve_target(db: str | None = None) -> str:
    """Where to connect: `--db` first, then `POS_DATABASE_URL`, then the default file."""
    return db or os.environ.get("POS_DATABASE_URL") or str(default_path())


def _sqlite_path(target: str) -> str | None:
    if "://" not in target:
        return target
    parsed = urlparse(target)
    if parsed.scheme == "sqlite":
        return parsed.path[1:] if parsed.path.startswith("/") else parsed.path
    return None


def make_database(target: str) -> Database:
    """A database object for a file path or a URL (`sqlite:///…`, `postgresql://…`)."""
    path = _sqlite_path(target)
    if path is None:
        return connect_url(target)
    if path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        path = str(Path(path).expanduser())
    return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=30)


def open_database(target: str | None = None) -> Database:
    """Open the store's database, create or upgrade its schema, and bind the models to it."""
    db = make_database(resolve_target(target))
    database.initialize(db)
    database.connect(reuse_if_open=True)
    ensure_schema()
    return db


def close_database() -> None:
    if database.obj is not None and not database.is_closed():
        database.close()


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


def write():
    """One write transaction (a savepoint when nested). BEGIN IMMEDIATE on SQLite."""
    if is_sqlite():
        return database.atomic("IMMEDIATE")
    return database.atomic()


def transactional(func: Callable[P, R]) -> Callable[P, R]:
    """Run the decorated service function inside `write()`."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with write():
            return func(*args, **kwargs)

    return wrapper


def now() -> datetime:
    """The current time in UTC, naive, as every timestamp is stored."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_time(utc: datetime) -> datetime:
    """A stored (naive UTC) timestamp in the till's local time, for display."""
    return utc.replace(tzinfo=timezone.utc).astimezone()


def ensure_schema() -> None:
    """Create the tables on an empty database, or upgrade an older one; record the version."""
    from pos_tui import models

    # A token table without rowids is smaller and faster on SQLite; other engines have no such thing.
    models.CustomerToken._meta.without_rowid = is_sqlite()
    with write():
        if not models.SchemaInfo.table_exists():
            database.create_tables(models.ALL_MODELS)
            models.SchemaInfo.create(key="version", value=str(SCHEMA_VERSION))
            return
        row = models.SchemaInfo.get_or_none(models.SchemaInfo.key == "version")
        version = int(row.value) if row else 0
        if version > SCHEMA_VERSION:
            raise SchemaError(
                _("The database has schema version {found}; this program knows up to {known}. "
                  "Upgrade pos-tui.").format(found=version, known=SCHEMA_VERSION)
            )
        for step in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[step]()
        if version != SCHEMA_VERSION:
            models.SchemaInfo.replace(key="version", value=str(SCHEMA_VERSION)).execute()


def schema_version() -> int:
    from pos_tui import models

    row = models.SchemaInfo.get_or_none(models.SchemaInfo.key == "version")
    return int(row.value) if row else 0
