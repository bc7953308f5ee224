"""Each test gets its own database file under tmp_path (not :memory:, because the till's
workers run in other threads and each would see its own empty memory database)."""

from __future__ import annotations

import os

import pytest

# pytest-xdist's workers inherit a COLUMNS of 80, which Rich's console would freeze at import;
# without it the CLI tests' own COLUMNS (set per test) decide the width of the tables.
os.environ.pop("COLUMNS", None)

from pos_tui import db, i18n, l10n
from pos_tui.services import cashiers, demo, sessions

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
