"""A store made by the first schema (before the catalog had taxes, units and stock) opens in this
program: upgraded in place, its products given the taxes of their rates, its sales unchanged."""

import shutil
from decimal import Decimal
from pathlib import Path

from pos_tui import db, models
from pos_tui.services import backup, catalog, cashiers, refunds, sales
from pos_tui.services.payments import Tender
from tests.targets import sqlite_only

V1 = Path(__file__).parent / "data" / "schema-v1.sqlite3"  # the demo store, one sale, one refund


@sqlite_only
def test_a_first_schema_store_is_upgraded_and_keeps_its_sales(tmp_path):
    path = tmp_path / "old.sqlite3"
    shutil.copy(V1, path)
    db.open_database(str(path))
    try:
        assert db.schema_version() == db.SCHEMA_VERSION == 2
        # every product carries the tax of its old rate, named as Spain names it
        milk, beer = catalog.find_product("P001"), catalog.find_product("P021")
        assert (milk.taxes, milk.tax_rate_bp, beer.taxes, beer.tax_rate_bp) == (("IVA 4%",), 400, ("IVA 21%",), 2100)
        assert sorted(t.name for t in models.Tax.select()) == ["IVA 10%", "IVA 21%", "IVA 4%"]
        assert (milk.uom, milk.by_weight, milk.track_stock, milk.available_in_pos) == ("Units", False, True, True)
        # the old sale (3 × bread 0,80 + beer 4,50 = 6,90) and its refund (one bread back) read as before
        sale = models.Order.get(models.Order.number == "T1-000001")
        assert sale.total_minor == 690
        bread = models.OrderLine.get((models.OrderLine.order == sale.id) & (models.OrderLine.sku == "P002"))
        assert bread.quantity == Decimal(3) and bread.uom == "Units" and bread.taxes == ""
        assert refunds.refundable(sale.id).lines[0].returnable == 2
        assert all(f.ok for f in backup.check()), [f for f in backup.check() if not f.ok]
        # and the till sells on it
        ana = cashiers.authenticate("Ana", "1234")
        draft = sales.current_sale("T1", ana.id)
        sales.add_code(draft.id, "2*P001")
        receipt = sales.checkout(draft.uuid, [Tender("cash", 190)], cashier_id=ana.id)
        assert (receipt.number, receipt.total_minor) == ("T1-000003", 190)
    finally:
        db.close_database()
    # opening it again changes nothing
    db.open_database(str(path))
    try:
        assert db.schema_version() == 2 and models.ProductTax.select().count() == models.Product.select().count()
    finally:
        db.close_database()
