"""`pos stock …` and `pos store set --negative-stock` through CliRunner, on the demo store."""

from __future__ import annotations

import csv
import io
import json

import pytest

from pos_tui import models
from pos_tui.services import cashiers, sales, sessions, stock
from pos_tui.services.payments import Tender
from tests.cli_helpers import as_json, cli_runner


@pytest.fixture
def run(db_path, monkeypatch, stored):
    from pos_tui.services import demo

    stored(demo.load_demo)
    return cli_runner(db_path, monkeypatch)


def moves_count(stored) -> int:
    return stored(lambda: models.StockMove.select().count())


def test_receive_adjust_and_moves(run, stored):
    got = as_json(run("stock", "receive", "P041", "2,500", "--cost", "1,10", "--reason", "Frutas García",
                      "--cashier", "Ana", "--format", "json"))
    assert (got["reference"], got["kind"], got["quantity"], got["on_hand"], got["unit_cost_minor"],
            got["cashier"]) == ("P041", "receipt", "2.5", "2.5", 110, "Ana")
    done = run("stock", "adjust", "P041", "-0,250", "--reason", "bruised")
    assert done.exit_code == 0 and "2,250 kg on hand" in done.stdout.replace("\u00a0", " ")
    assert run("stock", "adjust", "P001", "+3", "--reason", "found").exit_code == 0
    moves = as_json(run("stock", "moves", "P041", "--format", "json"))["moves"]
    assert [(m["kind"], m["quantity"], m["on_hand"], m["reason"]) for m in moves] == [
        ("receipt", "2.5", "2.5", "Frutas García"), ("adjustment", "-0.25", "2.25", "bruised")]
    table = run("stock", "moves", "P041")
    assert table.exit_code == 0 and "bruised" in table.stdout and "goods received" in table.stdout


@pytest.mark.parametrize("args, field", [
    (("receive", "P001", "1,5"), "quantity"),
    (("receive", "P001", "abc"), "quantity"),
    (("receive", "P001", "2", "--cost", "-1"), "cost"),
    (("receive", "P001", "2", "--cashier", "Nobody"), "cashier"),
    (("adjust", "P001", "-2"), "reason"),
    (("adjust", "P001", "0", "--reason", "x"), "quantity"),
    (("adjust", "P001", "-2", "--reason", "\x1b[2J"), "reason"),
    (("receive", "NOPE", "1"), "NOPE"),
])
def test_refusals_name_the_field_and_write_nothing(run, stored, args, field):
    result = run("stock", *args)
    assert result.exit_code == 1 and field in result.stderr and "Traceback" not in result.output
    assert moves_count(stored) == 0


def test_count_dry_run_then_apply_and_bad_rows(run, stored, tmp_path):
    run("stock", "receive", "P001", "10")
    good = tmp_path / "count.csv"
    good.write_text("reference;counted\nP001;7\nP041;0,400\n")
    dry = run("stock", "count", str(good))
    assert dry.exit_code == 0 and "Dry run" in dry.stdout and "-3" in dry.stdout
    assert moves_count(stored) == 1
    applied = as_json(run("stock", "count", str(good), "--apply", "--cashier", "Luis", "--format", "json"))
    assert applied["applied"] and [(c["reference"], c["difference"]) for c in applied["changes"]] == [
        ("P001", -3), ("P041", "0.4")]
    assert stored(stock.on_hand, [stored(lambda: models.Product.get(models.Product.sku == "P001").id)]) \
        == {stored(lambda: models.Product.get(models.Product.sku == "P001").id): 7}
    bad = tmp_path / "bad.csv"
    bad.write_text("reference,counted\nP001,x\nZZZ,1\n")
    refused = run("stock", "count", str(bad), "--apply")
    assert refused.exit_code == 1
    assert "row 2, counted" in refused.stderr and "row 3, reference" in refused.stderr
    assert moves_count(stored) == 3
    assert run("stock", "count", str(tmp_path / "missing.csv")).exit_code == 1


def test_report_flags_and_formats(run, stored):
    def sell():
        ana = cashiers.authenticate("Ana", "1234")
        sessions.open_session("T1", ana.id, 10_000)
        sale = sales.current_sale("T1", ana.id)
        P = models.Product
        P.update(reorder_point=5, cost_minor=60).where(P.sku == "P001").execute()
        P.update(name="=HYPERLINK(\"x\")").where(P.sku == "P002").execute()
        sales.add_product(sale.id, P.get(P.sku == "P001").id, 2)
        sales.add_product(sale.id, P.get(P.sku == "P002").id, 1)
        sales.checkout(sale.uuid, [Tender("cash", 10_000)])

    run("stock", "receive", "P001", "6")
    stored(sell)
    doc = as_json(run("stock", "report", "--format", "json"))
    rows = {p["reference"]: p for p in doc["products"]}
    assert (rows["P001"]["on_hand"], rows["P001"]["value_minor"], rows["P001"]["low"]) == (4, 240, True)
    assert rows["P002"]["on_hand"] == -1 and rows["P002"]["below_zero"]
    assert doc["below_zero"] == 1
    low = as_json(run("stock", "report", "--low", "--format", "json"))
    assert {p["reference"] for p in low["products"]} == {"P001", "P002"}
    text = run("stock", "report", "--low")
    assert text.exit_code == 0 and "below zero" in text.stdout and "reorder" in text.stdout
    sheet = list(csv.reader(io.StringIO(run("stock", "report", "--format", "csv").stdout)))
    assert sheet[0][:5] == ["reference", "name", "category", "unit", "on_hand"]
    p002 = next(row for row in sheet if row[0] == "P002")
    assert p002[1].startswith("'=") and p002[4] == "-1" and p002[-1] == "below_zero"
    p001 = next(row for row in sheet if row[0] == "P001")
    assert (p001[6], p001[7]) == ("0.60", "2.40")
    category = rows["P001"]["category"].split(" / ")[0]
    only = as_json(run("stock", "report", "--category", category, "--format", "json"))["products"]
    assert only and all(p["category"].startswith(category) for p in only)


def test_store_negative_stock_setting(run, stored):
    shown = as_json(run("store", "show", "--format", "json"))
    assert shown["negative_stock"] == "allow"
    assert as_json(run("store", "set", "--negative-stock", "refuse", "--format", "json"))["negative_stock"] == "refuse"
    assert "refused" in run("store", "show").stdout
    bad = run("store", "set", "--negative-stock", "maybe")
    assert bad.exit_code == 1 and "--negative-stock" in bad.stderr
    assert json.loads(run("store", "show", "--format", "json").stdout)["negative_stock"] == "refuse"


def test_db_check_reports_a_broken_ledger(run, stored):
    run("stock", "receive", "P001", "3")
    assert run("db", "check").exit_code == 0
    stored(lambda: models.Product.update(track_stock=False).where(models.Product.sku == "P001").execute())
    broken = run("db", "check", "--format", "json")
    assert broken.exit_code == 1
    problems = {f["check"]: f["problems"] for f in json.loads(broken.stdout)}
    assert problems["stock"] == ["P001: not tracked in stock, yet 1 moves in the ledger"]
