"""`pos export`, `pos import customers` and `pos db backup|restore|check` as an admin types them."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from pos_tui import db, models
from pos_tui.services import backup, exports, store
from tests.cli_helpers import cli_runner
from tests.data_helpers import make_activity
from tests.targets import sqlite_only


@pytest.fixture
def run(db_path, monkeypatch):
    return cli_runner(db_path, monkeypatch, columns=200)


@pytest.fixture
def activity(db_path):
    from pos_tui.services import demo

    db.open_database(str(db_path))
    demo.load_demo()
    made = make_activity()
    db.close_database()
    return made


def records(text: str, delimiter: str = ",") -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter))


# pos export ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", exports.KINDS)
def test_every_export_command_writes_to_stdout_and_to_a_file(activity, run, tmp_path, kind):
    shown = run("export", kind)
    assert shown.exit_code == 0, shown.output
    rows = records(shown.stdout)
    assert rows and "id" in rows[0]
    target = tmp_path / f"{kind}.jsonl"
    written = run("export", kind, "--format", "jsonl", "-o", str(target))
    assert written.exit_code == 0, written.output
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(rows) and f"{len(rows)} rows of {kind} written to" in written.stdout
    assert [json.loads(line)["id"] for line in lines] == [int(r["id"]) for r in rows]
    assert not list(tmp_path.glob(".*partial*"))


def test_export_options(activity, run, tmp_path):
    assert run("export", "orders", "--since", "2026-13-01").exit_code == 1
    bad = run("export", "orders", "--since", "yesterday")
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.output
    assert run("export", "orders", "--format", "xml").exit_code == 2
    excel_json = run("export", "customers", "--format", "json", "--excel")
    assert excel_json.exit_code == 1 and "CSV only" in excel_json.output
    odoo_orders = run("export", "orders", "--profile", "odoo")
    assert odoo_orders.exit_code == 2  # the profile is an option of `export customers` only
    far = run("export", "orders", "--since", "2000-01-01", "--until", "2000-12-31")
    assert far.exit_code == 0 and len(records(far.stdout)) == 0
    today = run("export", "orders", "--since", "2000-01-01")
    assert len(records(today.stdout)) == 3
    excel = run("export", "customers", "--excel", "-o", str(tmp_path / "c.csv"))
    assert excel.exit_code == 0
    raw = (tmp_path / "c.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]
    missing = run("export", "customers", "-o", str(tmp_path / "no" / "such" / "dir.csv"))
    assert missing.exit_code == 1 and "no folder" in missing.output


def test_a_name_that_starts_with_equals_exports_as_text(activity, run, db_path):
    db.open_database(str(db_path))
    models.Customer.update(name='=HYPERLINK("http://evil.example","Premio")').where(models.Customer.id == 1).execute()
    db.close_database()
    for args, delimiter in ((), ","), (("--excel",), ";"), (("--profile", "odoo"), ","):
        shown = run("export", "customers", *args)
        row = records(shown.stdout, delimiter)[0]
        assert row["name"] == "'=HYPERLINK(\"http://evil.example\",\"Premio\")", args


def test_the_change_feed_from_the_command_line(activity, run, tmp_path):
    everything = run("export", "events")
    assert everything.exit_code == 0
    docs = [json.loads(line) for line in everything.stdout.splitlines()]
    assert [d["cursor"] for d in docs] == list(range(1, len(docs) + 1))
    target = tmp_path / "feed.jsonl"
    first = run("export", "events", "--limit", "5", "-o", str(target))
    assert first.exit_code == 0 and "next time: --after 5" in first.stdout
    rest = run("export", "events", "--after", "5")
    assert [json.loads(line) for line in rest.stdout.splitlines()] == docs[5:]
    assert run("export", "events", "--after", str(len(docs))).stdout == ""
    as_csv = run("export", "events", "--format", "csv", "--after", "3", "--limit", "2")
    assert [r["cursor"] for r in records(as_csv.stdout)] == ["4", "5"]
    assert run("export", "events", "--after", "-1").exit_code == 2


# pos import customers ------------------------------------------------------------------------------


def new_store(path) -> None:
    db.open_database(str(path))
    store.setup_store("Tienda Nueva", "ES", "EUR", "Ana", "1234")
    db.close_database()


def test_odoo_csv_round_trip_from_the_command_line(activity, run, tmp_path):
    odoo = tmp_path / "contacts.csv"
    assert run("export", "customers", "--profile", "odoo", "-o", str(odoo)).exit_code == 0
    other = tmp_path / "other.sqlite3"
    new_store(other)
    dry = run("import", "customers", str(odoo), "--profile", "odoo", db_file=other)
    assert dry.exit_code == 0 and "21 valid, 0 with problems" in dry.stdout and "Dry run" in dry.stdout
    applied = run("import", "customers", str(odoo), "--profile", "odoo", "--apply", db_file=other)
    assert applied.exit_code == 0 and "21 customers created in one transaction" in applied.stdout
    again = run("export", "customers", "--profile", "odoo", db_file=other)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "ref"} for r in rows]  # noqa: E731
    assert strip(records(again.stdout)) == strip(records(odoo.read_text(encoding="utf-8")))


BAD = ("name;email;phone;postal_code\r\n"
       "Peña Núñez, José;jose@example.es;612 345 678;28013\r\n"
       ";nadie@example.es;;\r\n"
       "Ana Mala;not-an-email;12;\r\n"
       "Eva Bien;eva@example.es;;\r\n")


def test_a_file_with_bad_rows_gets_a_report_that_names_each_one(activity, run, tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_bytes(BAD.encode("cp1252"))
    before = run("export", "customers")
    dry = run("import", "customers", str(path))
    assert dry.exit_code == 1
    assert "4 rows (cp1252, ;); 2 valid, 2 with problems" in dry.stdout
    for needle in ("│ 3   │ name", "is required", "│ 4   │ email", "not-an-email", "│ 4   │ phone"):
        assert needle in dry.stdout, needle
    refused = run("import", "customers", str(path), "--apply")
    assert refused.exit_code == 1 and "Nothing was written" in refused.output
    assert run("export", "customers").stdout == before.stdout
    assert run("import", "customers", str(path), "--skip-invalid").exit_code == 2  # goes with --apply
    applied = run("import", "customers", str(path), "--apply", "--skip-invalid")
    assert applied.exit_code == 0, applied.output
    assert "2 customers created" in applied.stdout and "2 rows with problems were left out" in applied.stdout
    report = tmp_path / "clientes.csv.report.csv"
    assert f"Every problem is listed in {report}" in applied.stdout.replace("\n", "")
    rows = records(report.read_text(encoding="utf-8-sig"))
    assert [(r["row"], r["column"]) for r in rows] == [("3", "name"), ("4", "email"), ("4", "phone")]
    assert len(records(run("export", "customers").stdout)) == len(records(before.stdout)) + 2


def test_import_needs_a_readable_file(activity, run, tmp_path):
    missing = run("import", "customers", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "No file" in missing.output


# pos db backup | restore | check --------------------------------------------------------------------


@sqlite_only
def test_backup_restore_and_check_from_the_command_line(activity, run, db_path, tmp_path):
    copy = tmp_path / "copy.sqlite3"
    made = run("db", "backup", str(copy))
    assert made.exit_code == 0, made.output
    assert "Backup written" in made.stdout and "21 customers" in made.stdout and "integrity ok" in made.stdout
    assert run("db", "backup", str(copy)).exit_code == 1
    assert run("db", "backup", str(copy), "--force").exit_code == 0
    checked = run("db", "check")
    assert checked.exit_code == 0 and checked.stdout.count("OK") == len(backup.CHECKS)
    as_json = run("db", "check", "--format", "json")
    assert all(f["ok"] for f in json.loads(as_json.stdout))

    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE sale_order SET total_minor = total_minor + 1 WHERE number = 'T1-000002'")
    conn.commit()
    conn.close()
    broken = run("db", "check")
    assert broken.exit_code == 1 and "T1-000002" in broken.stdout and "2 problems" not in broken.stdout

    restored = run("db", "restore", str(copy))
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.stdout and "kept as" in restored.stdout
    assert run("db", "check").exit_code == 0
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("hello")
    refused = run("db", "restore", str(junk))
    assert refused.exit_code == 1 and "not a SQLite database" in refused.output


def test_backups_are_for_sqlite(run, monkeypatch):
    from pos_tui.services import backup

    with pytest.raises(Exception) as refused:
        backup.sqlite_path("postgresql://pos@localhost/pos")
    assert "pg_dump" in str(refused.value)


def test_rows_that_only_look_like_a_customer_go_in_when_allowed(activity, run, tmp_path):
    path = tmp_path / "lookalikes.csv"
    path.write_text("name,email\nJosé García López,otro.jose@example.es\nEva Nueva,eva@example.es\n",
                    encoding="utf-8")
    refused = run("import", "customers", str(path), "--apply")
    assert refused.exit_code == 1 and "1 rows only look like another customer" in refused.output
    assert "--allow-duplicates" in refused.output
    allowed = run("import", "customers", str(path), "--apply", "--allow-duplicates")
    assert allowed.exit_code == 0 and "2 customers created" in allowed.stdout
