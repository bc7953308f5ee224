"""`pos db backup|restore|check`: a consistent copy while tills sell, a restore that checks the
file first, and checks that find what went wrong in a database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import pytest

from pos_tui import db, models
from pos_tui.errors import PosError, StateError
from pos_tui.services import backup, customers
from tests.data_helpers import make_activity
from tests.test_crash import ROOT, check_database, kill, prepare_store, wait_ready


@pytest.fixture
def sqlite_only(database):
    if not db.is_sqlite():
        pytest.skip("backups and restores are for SQLite; a server has its own tools")


@pytest.fixture
def activity(shop):
    return make_activity()


@pytest.fixture
def sqlite_activity(activity, sqlite_only):
    return activity


def counts(path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("customer", "sale_order", "order_line", "payment", "invoice", "outbox", "loyalty_entry")}
    finally:
        conn.close()


# Backup and restore --------------------------------------------------------------------------------


def test_backup_then_restore_brings_the_data_back(sqlite_activity, db_path, tmp_path):
    copy = tmp_path / "copy.sqlite3"
    result = backup.backup(copy)
    assert result.info.path == copy and result.info.integrity == "ok" and result.info.customers == 21
    assert result.info.invoices == 3 and result.info.last_event > 0
    saved = counts(copy)
    assert saved == counts(db_path)
    with pytest.raises(PosError, match="exists"):
        backup.backup(copy)
    assert backup.backup(copy, overwrite=True).info.customers == 21
    with pytest.raises(PosError, match="itself"):
        backup.backup(db_path)

    customers.create_customer({"name": "Después Del Backup"})
    db.close_database()
    restored = backup.restore(copy, db_path)
    assert restored.restored.customers == 21 and not restored.schema_upgraded
    assert restored.replaced_copy is not None and counts(restored.replaced_copy)["customer"] == 22
    assert counts(db_path) == saved
    db.open_database(str(db_path))
    assert not customers.search_customers("después")
    assert all(f.ok for f in backup.check())


def test_restore_refuses_what_is_not_a_sound_pos_backup(sqlite_activity, db_path, tmp_path):
    db.close_database()
    before = counts(db_path)
    text = tmp_path / "notes.sqlite3"
    text.write_text("not a database at all")
    with pytest.raises(PosError, match="not a SQLite database"):
        backup.restore(text, db_path)
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(PosError, match="not a pos-tui database"):
        backup.restore(other, db_path)
    newer = tmp_path / "newer.sqlite3"
    db.open_database(str(db_path))
    backup.backup(newer)
    db.close_database()
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE schema_info SET value = '999' WHERE key = 'version'")
    conn.commit()
    conn.close()
    with pytest.raises(PosError, match="schema version 999"):
        backup.restore(newer, db_path)
    damaged = tmp_path / "damaged.sqlite3"
    data = bytearray((tmp_path / "newer.sqlite3").read_bytes())
    data[4096 * 3:4096 * 3 + 2000] = b"\xff" * 2000  # a few pages scribbled over
    damaged.write_bytes(bytes(data))
    with pytest.raises(PosError):
        backup.restore(damaged, db_path)
    with pytest.raises(PosError, match="No file"):
        backup.restore(tmp_path / "missing.sqlite3", db_path)
    assert counts(db_path) == before  # refused: nothing touched


def test_restore_waits_for_the_tills_to_close_unless_forced(sqlite_activity, db_path, tmp_path):
    copy = tmp_path / "copy.sqlite3"
    backup.backup(copy)
    db.close_database()
    till = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pos_tui import db, models; db.open_database(sys.argv[1]); "
         "models.Store.select().count(); print('ready', flush=True); time.sleep(60)", str(db_path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        wait_ready(till)
        assert backup.in_use(db_path)
        with pytest.raises(StateError, match="in use"):
            backup.restore(copy, db_path)
        result = backup.restore(copy, db_path, force=True)
        assert result.restored.customers == 21
    finally:
        kill(till)
    assert not backup.in_use(db_path)


def test_a_backup_taken_while_two_tills_sell_is_consistent(tmp_path):
    path = tmp_path / "pos.sqlite3"
    prepare_store(path, {"T1": "Ana", "T2": "Luis"})
    db.open_database(str(path))
    if not db.is_sqlite():
        pytest.skip("SQLite only")
    procs = {}
    copies = []
    try:
        for till in ("T1", "T2"):
            procs[till] = subprocess.Popen(
                [sys.executable, "-m", "tests.sale_worker", "sell", "--db", str(path), "--tills", till,
                 "--sales", "40", "--seed", "7", "--result", str(tmp_path / f"{till}.json")],
                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for proc in procs.values():
            wait_ready(proc)
        for proc in procs.values():
            proc.stdin.write("go\n")
            proc.stdin.flush()
        while any(proc.poll() is None for proc in procs.values()) and len(copies) < 30:
            copy = tmp_path / f"backup-{len(copies)}.sqlite3"
            backup.backup(copy)
            copies.append(copy)
            time.sleep(0.05)
        assert {till: proc.wait(timeout=120) for till, proc in procs.items()} == {"T1": 0, "T2": 0}
    finally:
        for proc in procs.values():
            kill(proc)
        db.close_database()
    assert len(copies) >= 2
    sold = []
    for copy in copies:
        numbers = check_database(copy)  # every order paid in full once or a draft; gapless; sound
        db.open_database(str(copy))
        try:
            assert [f.check for f in backup.check() if not f.ok] == []
            paid = models.Order.select().where(models.Order.state == "paid").count()
            assert paid == sum(len(n) for n in numbers.values())
            assert models.Invoice.select().count() == paid  # each sale's invoice is there with it
        finally:
            db.close_database()
        sold.append(paid)
    assert sold == sorted(sold) and sold[0] < 80  # copies taken as the tills went on, each one whole
    assert counts(path)["sale_order"] >= sold[-1]


# Checks --------------------------------------------------------------------------------------------


def findings() -> dict[str, list[str]]:
    return {f.check: f.problems for f in backup.check()}


def test_a_sound_database_passes_every_check(activity):
    assert all(problems == [] for problems in findings().values())


def test_check_finds_a_gap_in_the_invoice_numbers(activity):
    from pos_tui.services import sessions
    from pos_tui.services.payments import Tender
    from tests.data_helpers import sell

    sessions.open_session("T1", 1, 0)
    numbers = [sell("T1", 1, ["P002"], [Tender("cash", 100)]).invoice_number for _n in range(3)]
    assert all(f.ok for f in backup.check())
    I = models.Invoice
    I.delete().where(I.number == numbers[1]).execute()  # as if it had never been issued
    problems = findings()["invoice_numbers"]
    assert len(problems) == 1 and numbers[1] in problems[0] and "1 numbers missing" in problems[0]


def test_check_finds_an_order_whose_total_was_changed(activity):
    O = models.Order
    O.update(total_minor=O.total_minor + 100).where(O.id == activity.plain_order_id).execute()
    problems = findings()
    assert len(problems["order_totals"]) == 1 and "T1-000002" in problems["order_totals"][0]
    assert len(problems["payments"]) == 1 and "payments add up to 225" in problems["payments"][0]


def test_check_finds_points_that_differ_from_the_ledger(activity):
    C = models.Customer
    C.update(points=C.points + 7).where(C.id == activity.company_id).execute()
    [problem] = findings()["loyalty"]
    assert "Ferretería Norte" in problem and "the ledger adds up to" in problem


def test_check_finds_a_damaged_file(sqlite_activity, db_path, tmp_path):
    copy = tmp_path / "copy.sqlite3"
    backup.backup(copy)
    conn = sqlite3.connect(copy)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DELETE FROM sale_order WHERE id = ?", (sqlite_activity.plain_order_id,))
    conn.commit()
    conn.close()
    db.close_database()
    db.open_database(str(copy))
    assert findings()["foreign_keys"]  # its lines and payments point at nothing
