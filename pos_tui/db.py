"""The database: where it lives, how it is opened, how writes are made, which schema it holds.

Every write in the product goes through `write()`, so that on SQLite the transaction takes the
write lock at BEGIN (IMMEDIATE) instead of failing half-way with SQLITE_BUSY when another till is
writing, and so that another engine can do the right thing there.

On PostgreSQL (`postgresql://…`) tills on several hosts write at the same time; what must not
interleave takes a row lock (`lock()`: SELECT … FOR UPDATE) on the row it depends on — the sale
being paid, the customer whose points or credit are checked — and gapless counters lock their
row by updating it. Work that must happen last in a transaction (the outbox, whose counter is the
most contended row) is queued with `before_commit()`. A transaction PostgreSQL aborts to break a
deadlock or a serialization conflict is run again by `transactional`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar
from urllib.parse import urlparse

from peewee import Database, DatabaseProxy, PeeweeException, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect as connect_url

from pos_tui.i18n import _

database = DatabaseProxy()

#: The schema this program writes. Bump it with a function in `pos_tui.migrations`.
SCHEMA_VERSION = 2

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


def sqlite_file(target: str) -> Path | None:
    """The file of a SQLite target (a path or `sqlite:///…`); None for a server's URL."""
    path = _sqlite_path(target)
    return None if path is None or path == ":memory:" else Path(path).expanduser()


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


def _is_postgres_url(target: str) -> bool:
    return urlparse(target).scheme in ("postgres", "postgresql", "postgresext", "postgresqlext",
                                        "cockroachdb", "crdb")


def describe(target: str) -> str:
    """The target without its password, to print."""
    if "://" not in target:
        return target
    parsed = urlparse(target)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return parsed._replace(netloc=netloc).geturl()
    return target


def close_database() -> None:
    if database.obj is not None and not database.is_closed():
        database.close()


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


def is_postgres() -> bool:
    """PostgreSQL, or an engine that speaks its dialect (CockroachDB)."""
    return isinstance(database.obj, PostgresqlDatabase)


_local = threading.local()


@contextmanager
def write() -> Iterator[None]:
    """One write transaction (a savepoint when nested). BEGIN IMMEDIATE on SQLite. What was
    queued with `before_commit()` runs at the end of the outermost one, just before it commits."""
    outermost = not database.in_transaction()
    with database.atomic("IMMEDIATE") if is_sqlite() else database.atomic():
        if not outermost:
            yield
            return
        _local.pending = []
        try:
            yield
            while _local.pending:
                _local.pending.pop(0)()
        finally:
            _local.pending = None


def before_commit(action: Callable[[], None]) -> None:
    """Run `action` at the end of the current write transaction, just before it commits (now, when
    no write transaction is open)."""
    pending = getattr(_local, "pending", None)
    if pending is None or not database.in_transaction():
        with write():
            action()
    else:
        pending.append(action)


def lock(query):
    """`query` (a SELECT) taking row locks until the transaction ends (FOR UPDATE), on engines
    with row locks. SQLite has none to take: its write transaction already holds the only lock."""
    return query if is_sqlite() else query.for_update()


def lock_row(model, row_id: int | None) -> None:
    """Lock one row by id (see `lock`), so that what the transaction reads about it stays true
    until it commits: a customer's points balance or credit, a sale being paid."""
    if row_id is not None and not is_sqlite():
        lock(model.select(model._meta.primary_key).where(model._meta.primary_key == row_id)).execute()


#: PostgreSQL aborts one of the transactions of a deadlock (40P01) or of a serialization conflict
#: (40001); run again, it sees the other one's commit.
RETRY_SQLSTATES = ("40P01", "40001")
RETRIES = 5


def _retryable(error: BaseException) -> bool:
    for cause in (error, *error.args[:1], error.__cause__, error.__context__):
        if getattr(cause, "pgcode", None) in RETRY_SQLSTATES:
            return True
    return False


def transactional(func: Callable[P, R]) -> Callable[P, R]:
    """Run the decorated service function inside `write()` (again, when PostgreSQL broke a
    deadlock by aborting it)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        attempt = 0
        while True:
            outermost = not database.in_transaction()
            try:
                with write():
                    return func(*args, **kwargs)
            except PeeweeException as error:
                attempt += 1
                if not outermost or attempt > RETRIES or not _retryable(error):
                    raise
                time.sleep(0.005 * attempt)

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
    # Tokens compare byte by byte (a prefix is a range), whatever the server's collation.
    models.CustomerToken.token.collation = None if is_sqlite() else '"C"'
    with write():
        if not models.SchemaInfo.table_exists():
            database.create_tables(models.ALL_MODELS)
            models.SchemaInfo.create(key="version", value=str(SCHEMA_VERSION))
            _engine_extras()
            return
        row = models.SchemaInfo.get_or_none(models.SchemaInfo.key == "version")
        version = int(row.value) if row else 0
        if version > SCHEMA_VERSION:
            raise SchemaError(
                _("The database has schema version {found}; this program knows up to {known}. "
                  "Upgrade pos-tui.").format(found=version, known=SCHEMA_VERSION)
            )
        from pos_tui.migrations import MIGRATIONS

        for step in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[step]()
        if version != SCHEMA_VERSION:
            if row is None:
                models.SchemaInfo.create(key="version", value=str(SCHEMA_VERSION))
            else:
                models.SchemaInfo.update(value=str(SCHEMA_VERSION)).where(
                    models.SchemaInfo.key == "version").execute()
        _engine_extras()


def _engine_extras() -> None:
    """What only some engines have, made when missing (inside the schema's transaction): the
    product search's index (see `product_search`); on PostgreSQL, the customer search's full-text
    index (see `customer_search`)."""
    from pos_tui.services import product_search

    product_search.ensure_index()
    if is_postgres():
        from pos_tui.services import customer_search

        customer_search.ensure_postgres_index()


def schema_version() -> int:
    from pos_tui import models

    row = models.SchemaInfo.get_or_none(models.SchemaInfo.key == "version")
    return int(row.value) if row else 0
