"""`pos db copy`: a whole store into another database and back, every row the same, the counts and
totals checked in the target's transaction, a non-empty target refused. The source is a SQLite
file; the target is another SQLite file, or, with POS_TEST_DATABASE_URL set, a PostgreSQL
database — then the round trip is SQLite -> PostgreSQL -> SQLite."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pos_tui import db, models
from pos_tui.cli import app
from pos_tui.errors import PosError
from pos_tui.services import cashiers, copy, demo, generator, invoices, refunds, sales, sessions
from pos_tui.services.payments import Tender
from tests.targets import new_store


@pytest.fixture
def store_file(tmp_path):
    """A SQLite store with some of everything: generated customers and sales, an invoice, a
    refund and its credit note, points, the outbox."""
    path = tmp_path / "source.sqlite3"
    db.open_database(str(path))
    try:
        demo.load_demo()
        generator.generate(150, 200, seed=3)
        luis = cashiers.find_cashier("Luis")
        sessions.open_session("T1", luis.id, 10_000)
        sale = sales.current_sale("T1", luis.id)
        sales.add_code(sale.id, "3*P002")
        receipt = sales.checkout(sale.uuid, [Tender("cash", 5_000)])
        line = refunds.refundable(receipt.order_id).lines[0]
        refunds.refund(receipt.order_id, {line.line_id: 1}, "T1", luis.id)
    finally:
        db.close_database()
    return path


def dump(target) -> dict[str, list[tuple]]:
    """Every table's rows, as the models read them, in key order."""
    db.open_database(str(target))
    try:
        tables = {}
        for model in models.ALL_MODELS:
            if model is models.SchemaInfo:
                continue
            meta = model._meta
            keys = ([meta.fields[n] for n in meta.primary_key.field_names] if meta.composite_key
                    else [meta.primary_key])
            tables[meta.table_name] = list(model.select().order_by(*keys).tuples())
        return tables
    finally:
        db.close_database()


def test_a_store_copied_there_and_back_is_the_same_store(store_file, tmp_path):
    there = new_store(tmp_path, "there")
    result = copy.copy_store(str(store_file), str(there))
    db.close_database()
    assert result.rows > 1_000 and {t.table for t in result.tables} >= {"customer", "sale_order", "invoice"}
    orders = next(t for t in result.tables if t.table == "sale_order")
    assert orders.rows == 202 and orders.totals["total_minor"] > 0
    back = tmp_path / "back.sqlite3"
    copy.copy_store(str(there), str(back))
    db.close_database()
    original = dump(store_file)
    assert dump(there) == original
    assert dump(back) == original
    assert sum(map(len, original.values())) == result.rows


def test_the_copy_goes_on_selling_where_the_source_stopped(store_file, tmp_path):
    there = new_store(tmp_path, "there")
    copy.copy_store(str(store_file), str(there))
    try:
        O, S = models.Order, models.Sequence
        last_id = O.select(O.id).order_by(O.id.desc()).scalar()
        taken = {s.name: s.last_value for s in S.select()}
        luis = cashiers.find_cashier("Luis")
        sale = sales.current_sale("T1", luis.id)  # a new draft: its id follows the copied ones
        assert sale.id == last_id + 1
        sales.add_code(sale.id, "P001")
        receipt = sales.checkout(sale.uuid, [Tender("card", sales.get_sale(sale.id).total_minor)])
        assert receipt.number == f"T1-{taken['order:T1'] + 1:06d}"  # the counters came along
        [issued] = invoices.for_order(receipt.order_id)
        series = issued.number.rsplit("-", 1)[0]
        assert issued.number == f"{series}-{taken['invoice:' + series] + 1:06d}"
        assert models.Customer.create(name="Nueva").id == models.Customer.select().count()
    finally:
        db.close_database()


def test_a_target_that_holds_a_store_is_refused(store_file, tmp_path):
    there = new_store(tmp_path, "there")
    db.open_database(str(there))
    demo.load_demo()
    db.close_database()
    with pytest.raises(PosError, match="not empty"):
        copy.copy_store(str(store_file), str(there))
    with pytest.raises(PosError, match="same database"):
        copy.copy_store(str(store_file), str(store_file))
    with pytest.raises(PosError, match="no pos-tui store"):
        copy.copy_store(str(tmp_path / "nothing.sqlite3"), str(there))


def test_a_copy_that_does_not_add_up_leaves_nothing(store_file, tmp_path, monkeypatch):
    there = new_store(tmp_path, "there")
    figures = copy._figures

    def a_row_lost(database, model):
        count, totals = figures(database, model)
        lost = model is models.Payment and database is db.database.obj
        return (count - 1 if lost else count), totals

    monkeypatch.setattr(copy, "_figures", a_row_lost)
    with pytest.raises(PosError, match="payment does not add up"):
        copy.copy_store(str(store_file), str(there))
    db.close_database()
    assert all(rows == [] for rows in dump(there).values())


def test_the_copy_command_both_ways(store_file, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.delenv("POS_DATABASE_URL", raising=False)
    there, back = new_store(tmp_path, "there"), tmp_path / "back.sqlite3"
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(store_file), "db", "copy", "--to", str(there)])
    db.close_database()
    assert result.exit_code == 0, result.output
    assert "every count and total matches" in result.output and "sale_order" in result.output
    result = runner.invoke(app, ["--db", str(back), "db", "copy", "--from", str(there), "--format", "json"])
    db.close_database()
    assert result.exit_code == 0, result.output
    assert '"table": "invoice"' in result.output
    again = runner.invoke(app, ["--db", str(store_file), "db", "copy", "--to", str(there)])
    assert again.exit_code == 1 and "not empty" in again.output
    nothing = runner.invoke(app, ["--db", str(store_file), "db", "copy"])
    assert nothing.exit_code == 2 and "--to" in nothing.output
