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

from pos_tui import db, i18n, l10n  # noqa: E402
from pos_tui.services import cashiers, demo, sessions  # noqa: E402
from tests import targets  # noqa: E402


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


# The tests read the English texts: the till, the CLI and the child processes they start speak
# English whatever the machine's locale (tests/test_i18n.py switches to Spanish where it means to).
os.environ["POS_LANG"] = "en"


@pytest.fixture(autouse=True)
def english():
    i18n.set_language("en")
    yield
    i18n.set_language("en")
    l10n.set_country("")


@pytest.fixture
def db_path(tmp_path):
    """Where the test's store lives: a SQLite file (a Path) or an emptied PostgreSQL database (its
    URL). Both are what `--db` and `db.open_database` take."""
    if targets.ON_POSTGRES:
        db.close_database()
        return targets.empty_session_database()
    return tmp_path / "pos.sqlite3"


@pytest.fixture
def stored(db_path):
    """Call a service on the test database, outside the CLI (each call opens and closes it,
    as a separate process would)."""

    def call(action, *args, **kwargs):
        db.open_database(str(db_path))
        try:
            return action(*args, **kwargs)
        finally:
            db.close_database()

    return call


@pytest.fixture
def database(db_path):
    handle = db.open_database(str(db_path))
    yield handle
    db.close_database()


@pytest.fixture
def shop(database):
    """The demo store: 43 products, 20 customers, cashiers Ana (manager) and Luis."""
    return demo.load_demo()


@pytest.fixture
def ana(shop):
    return cashiers.authenticate("Ana", "1234")


@pytest.fixture
def open_till(ana):
    """Till T1 with a session opened by Ana with a 100.00 float."""
    return sessions.open_session("T1", ana.id, 10_000)
