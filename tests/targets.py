"""Where the tests' stores live.

By default each store is a SQLite file under the test's `tmp_path`. With `POS_TEST_DATABASE_URL`
set to a PostgreSQL server (`postgresql://postgres@127.0.0.1:5432/test`), the stores are databases
on that server instead: one made for the test session (`pos_test_<random>`, emptied before each
test) and, for tests that need more than one store, more of them (`pos_test_<random>_<n>`). The
URL's own database is only used to create and drop them; every one is dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from itertools import count
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

PG_URL = os.environ.get("POS_TEST_DATABASE_URL", "").strip()
ON_POSTGRES = PG_URL.startswith(("postgres://", "postgresql://", "postgresext://"))
BACKEND = "postgresql" if ON_POSTGRES else "sqlite"
RUN_ID = uuid.uuid4().hex[:10]

_numbers = count(1)
_created: list[str] = []

#: Skip a test that is about SQLite itself (its files, pragmas, WAL, its backup API).
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="about SQLite itself (its file, pragmas or backup API)")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin():
    import psycopg2

    conn = psycopg2.connect(PG_URL.replace("postgresext://", "postgresql://"))
    conn.autocommit = True
    return conn


def create_database(name: str) -> str:
    """A new, empty database on the test server; its URL."""
    conn = _admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    _created.append(name)
    return _with_database(PG_URL, name)


def drop_databases() -> None:
    """Drop every database this test session made."""
    if not _created:
        return
    conn = _admin()
    try:
        with conn.cursor() as cur:
            while _created:
                cur.execute(f'DROP DATABASE IF EXISTS "{_created.pop()}" WITH (FORCE)')
    finally:
        conn.close()


def session_database() -> str:
    """The URL of this test session's main database (made on first use)."""
    global _session_url
    if _session_url is None:
        _session_url = create_database(f"pos_test_{RUN_ID}")
    return _session_url


_session_url: str | None = None


def new_store(tmp_path: Path, name: str = "pos") -> Path | str:
    """A place for a new, empty store: a SQLite file under `tmp_path`, or a fresh PostgreSQL
    database (its URL). Either is what `--db` and `db.open_database` take."""
    if not ON_POSTGRES:
        return tmp_path / f"{name}.sqlite3"
    return create_database(f"pos_test_{RUN_ID}_{next(_numbers)}")


def empty_session_database() -> str:
    """The session's database with every table emptied and its ids restarted: a clean store for
    the next test, much faster than creating the tables again. A test that left the schema
    different (its version changed, a table gone) gets it dropped and made afresh."""
    import psycopg2

    from pos_tui import db, models

    url = session_database()
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SET lock_timeout = '5s'")
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            tables = {row[0] for row in cur.fetchall()}
            wanted = {m._meta.table_name for m in models.ALL_MODELS}
            version = None
            if "schema_info" in tables:
                cur.execute("SELECT value FROM schema_info WHERE key = 'version'")
                version = (cur.fetchone() or [None])[0]
            if not tables:
                return url  # created by the first test that opens it
            if tables != wanted or version != str(db.SCHEMA_VERSION):
                _terminate_others(cur, url)
                cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                return url
            names = ", ".join(f'"{t}"' for t in sorted(wanted - {"schema_info"}))
            try:
                cur.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            except psycopg2.errors.LockNotAvailable:  # a connection a test left in a transaction
                _terminate_others(cur, url)
                cur.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            cur.execute("DELETE FROM schema_info WHERE key <> 'version'")
    finally:
        conn.close()
    return url


def _terminate_others(cur, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                "AND pid <> pg_backend_pid()", (name,))
