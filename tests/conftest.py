"""Each test gets its own store: a SQLite file under tmp_path (not :memory:, because the till's
workers run in other threads and each would see its own empty memory database), or, with
`POS_TEST_DATABASE_URL` set, a PostgreSQL database made for the test session and emptied before
each test (see `tests/targets.py`)."""

from __future__ import annotations

import os

import pytest

# pytest-xdist's workers inherit COLUMNS=80 from it; the command-line tests set their own width,
# which Rich reads only when COLUMNS was unset as it started.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)

from pos_tui import db
from pos_tui.services import cashiers, demo, sessions
from tests import targets


def pytest_report_header(config):
    if targets.ON_POSTGRES:
        return f"pos-tui stores: PostgreSQL, databases pos_test_{targets.RUN_ID}* on {targets.PG_URL}"
    return "pos-tui stores: SQLite files under each test's tmp_path"


@pytest.fixture(scope="session", autouse=True)
def _test_databases():
    """On PostgreSQL: drop every database the session made, once it ends."""
    yield
    db.close_database()
    if targets.ON_POSTGRES:
        targets.drop_databases()


@pytest.fixture
def db_path(tmp_path):
    """Where the test's store lives: a SQLite file (a Path) or an emptied PostgreSQL database (its
    URL). Both are what `--db` and `db.open_database` take."""
    if targets.ON_POSTGRES:
        db.close_database()
        return targets.empty_session_database()
    return tmp_path / "pos.sqlite3"


@pytest.fixture
def database(db_path):
    handle = db.open_database(str(db_path))
    yield handle
    db.close_database()


@pytest.fixture
def shop(database):
    """The demo store: 40 products, 20 customers, cashiers Ana (manager) and Luis."""
    return demo.load_demo()


@pytest.fixture
def ana(shop):
    return cashiers.authenticate("Ana", "1234")


@pytest.fixture
def open_till(ana):
    """Till T1 with a session opened by Ana with a 100.00 float."""
    return sessions.open_session("T1", ana.id, 10_000)
