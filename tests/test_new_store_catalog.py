"""Issue 14's whole walk, as a new store would take it: no demo; its products come from an Odoo
export, its stock is received, the till sells a unit item and a weighed item from a scale label,
part of the weight comes back, and `pos stock report` and `pos db check` agree with all of it."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from stdnum import ean

from pos_tui import db, models
from pos_tui.services import cashiers, refunds, sales, sessions
from pos_tui.services.payments import Tender
from tests.cli_helpers import as_json, cli_runner

ODOO_EXPORT = Path(__file__).parent / "data" / "odoo_products.csv"


@pytest.fixture
def run(db_path, monkeypatch):
    return cli_runner(db_path, monkeypatch)


def till(db_path, action, *args):
    """A service call as the till makes it, in its own connection."""
    db.open_database(str(db_path))
    try:
        return action(*args)
    finally:
        db.close_database()


def test_a_new_store_imports_odoo_receives_sells_weighs_refunds_and_the_stock_agrees(run, db_path):
    assert run("db", "init").exit_code == 0
    made = run("store", "set", "--name", "Frutería Nueva", "--country", "ES", "--currency", "EUR",
               "--tax-id", "B58378431", "--address", "Calle Mayor 1, Madrid")
    assert made.exit_code == 0, made.output
    assert run("cashier", "add", "Marta", "--role", "manager", "--pin", "4321").exit_code == 0

    # Odoo's export names no taxes: a dry run says so for every row and writes nothing …
    dry = run("products", "import", str(ODOO_EXPORT), "--profile", "odoo", "--format", "json")
    assert dry.exit_code == 1 and as_json_any(dry)["refused_rows"] == 7
    assert till(db_path, models.Product.select().count) == 0
    # … and with the store's 4 % VAT for every row, all seven come in, in one transaction
    done = as_json(run("products", "import", str(ODOO_EXPORT), "--profile", "odoo", "--tax", "IVA 4%",
                       "--apply", "--format", "json"))
    assert (done["created"], done["refused_rows"]) == (7, 0)
    apples = as_json(run("products", "show", "FRUT_0001", "--format", "json"))
    assert (apples["unit"], apples["by_weight"], apples["price_minor"], apples["taxes"]) == ("kg", True, 295, ["IVA 4%"])
    assert apples["category"] == "All / Saleable / Fruit" and apples["track_stock"] is True
    service = as_json(run("products", "show", "SERV_0001", "--format", "json"))
    assert (service["track_stock"], service["available_in_pos"]) == (False, False)

    assert run("stock", "receive", "FURN_7800", "10", "--cost", "1,20").exit_code == 0
    assert run("stock", "receive", "FRUT_0001", "5,000").exit_code == 0

    # The till: 2 loaves (2 × 3,50 = 7,00) and a scale label of 0,750 kg of apples
    # (0,750 × 2,95 = 2,2125 → 2,21), 9,21 in all, paid in cash.
    marta = till(db_path, cashiers.authenticate, "Marta", "4321")
    till(db_path, sessions.open_session, "T1", marta.id, 5000)
    sale = till(db_path, sales.current_sale, "T1", marta.id)
    till(db_path, sales.scan, sale.id, "2*FURN_7800")
    body = "2100099" + "00750"  # the product's barcode 2100099000009 with the weight 0,750 kg in it
    label = body + ean.calc_check_digit(body)
    scanned = till(db_path, sales.scan, sale.id, label)
    weighed = next(line for line in scanned.sale.lines if line.id == scanned.line_id)
    assert (weighed.sku, weighed.quantity, weighed.uom, weighed.total_minor) == ("FRUT_0001", Decimal("0.750"), "kg", 221)
    receipt = till(db_path, lambda: sales.checkout(sale.uuid, [Tender("cash", 1000)], cashier_id=marta.id))
    assert receipt.total_minor == 700 + 221

    # A quarter kilo comes back: 0,250 × 2,95 = 0,7375 → 0,74 paid back in cash
    sold = till(db_path, refunds.refundable, sale.id)
    apple_line = next(line for line in sold.lines if line.sku == "FRUT_0001")
    back = till(db_path, lambda: refunds.refund(sale.id, {apple_line.line_id: Decimal("0.250")}, "T1", marta.id))
    assert back.total_minor == -74

    # On hand: bread 10 − 2 = 8; apples 5 − 0,750 + 0,250 = 4,500; the report and the ledger agree
    report = as_json(run("stock", "report", "--format", "json"))
    on_hand = {row["reference"]: Decimal(str(row["on_hand"])) for row in report["products"]}
    assert on_hand["FURN_7800"] == 8 and on_hand["FRUT_0001"] == Decimal("4.5")
    assert "SERV_0001" not in on_hand  # a service has no stock
    moves = as_json(run("stock", "moves", "FRUT_0001", "--format", "json"))
    kinds = [(m["kind"], Decimal(str(m["quantity"]))) for m in moves["moves"]]
    assert kinds == [("receipt", Decimal(5)), ("sale", Decimal("-0.75")), ("refund", Decimal("0.25"))]
    check = run("db", "check")
    assert check.exit_code == 0, check.output


def as_json_any(result):
    """The JSON a command printed, whatever its exit status (a refused import still reports)."""
    return json.loads(result.stdout)
