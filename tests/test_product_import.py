"""Products in and out of a file: the Odoo profile on a realistic Odoo export, every refusal with
its row, column and reason, dry runs, one transaction, --update, the round trip, formula
injection, and the first start's import at the till."""

from __future__ import annotations

import io
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest
from stdnum import ean

from pos_tui import models
from pos_tui.app import PosApp
from pos_tui.errors import PosError, ValidationError
from pos_tui.services import catalog, events, product_export, product_import, store
from pos_tui.services.product_import import _check_digit_ok, import_products
from pos_tui.widgets.form import Form
from tests.tui_helpers import screen_text, settle, type_text

ODOO_FILE = Path(__file__).parent / "data" / "odoo_products.csv"
NATIVE_HEADER = "reference,name,barcode,price,unit,by_weight,taxes,category\n"


@pytest.fixture
def new_store(database):
    """A new store without the demo: Spain's taxes, no product."""
    store.setup_store("Panadería Sol", "ES", "EUR", "Ana", "1234")
    return store.get_store()


def counts() -> tuple[int, int, int, int]:
    return (models.Product.select().count(), models.ProductTax.select().count(),
            models.AuditLog.select().where(models.AuditLog.entity == "product").count(),
            models.Event.select().where(models.Event.entity == "product").count())


def write(tmp_path, text: str, name: str = "products.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(result) -> list[tuple[int, str]]:
    return [(p.row, p.column) for p in result.refused]


# The Odoo profile ------------------------------------------------------------------------------------


def test_an_odoo_export_is_checked_without_writing_anything(new_store):
    result = import_products(ODOO_FILE, profile="odoo", default_taxes="IVA 10%")
    assert (result.rows, result.to_create, result.to_update, result.refused, result.applied) == (7, 7, 0, [], False)
    assert result.source.ignored == []  # Product Type is read: it says whose stock is counted
    assert counts() == (0, 0, 0, 0)


def test_odoos_product_type_says_whose_stock_is_counted(new_store):
    import_products(ODOO_FILE, profile="odoo", apply=True, default_taxes="IVA 10%")
    tracked = {ref: catalog.find_product(ref).track_stock for ref in ("FURN_7800", "SERV_0001", "BEB_0001")}
    assert tracked == {"FURN_7800": True, "SERV_0001": False, "BEB_0001": False}  # storable, service, consumable


def test_an_unknown_odoo_product_type_is_refused_naming_its_column(new_store, tmp_path):
    odd = tmp_path / "odd.csv"
    odd.write_text("Internal Reference,Name,Sales Price,Product Type\nX1,Widget,1.00,Gadget\n", encoding="utf-8")
    result = import_products(odd, profile="odoo", apply=True, default_taxes="IVA 10%")
    assert [(p.row, p.column) for p in result.refused] == [(2, "Product Type")]
    assert "“Gadget” is not an Odoo product type" in result.refused[0].message
    assert (result.applied, counts()) == (False, (0, 0, 0, 0))


def test_an_odoo_export_is_imported_with_its_categories_units_and_decimal_commas(new_store):
    result = import_products(ODOO_FILE, profile="odoo", apply=True, default_taxes="IVA 10%")
    assert (result.applied, result.created) == (True, 7)
    bread = catalog.find_product("FURN_7800")
    assert (bread.name, bread.barcode, bread.price_minor, bread.cost_minor) == (
        "Pan de molde integral", "8412345678905", 350, 120)
    assert (bread.category, bread.uom, bread.by_weight, bread.available_in_pos) == (
        "All / Saleable / Breads", "Units", False, True)
    assert (bread.taxes, bread.tax_rate_bp, bread.price_includes_tax) == (("IVA 10%",), 1000, True)
    apples = catalog.find_product("FRUT_0001")
    assert (apples.uom, apples.by_weight, apples.price_minor) == ("kg", True, 295)
    assert catalog.find_product("FRUT_0002").name == "Naranjas de zumo, malla 2 kg"
    service = catalog.find_product("SERV_0001")
    assert (service.available_in_pos, service.cost_minor, service.barcode) == (False, 0, None)
    assert counts() == (7, 7, 7, 7)


def test_odoo_rows_without_taxes_are_refused_naming_the_column_when_no_default_is_given(new_store):
    result = import_products(ODOO_FILE, profile="odoo", apply=True)
    assert not result.applied and counts() == (0, 0, 0, 0)
    assert problems(result) == [(row, "taxes") for row in range(2, 9)]
    assert "--tax" in result.refused[0].message


def test_the_default_taxes_must_be_the_stores(new_store):
    with pytest.raises(ValidationError) as caught:
        import_products(ODOO_FILE, profile="odoo", default_taxes="VAT 99%")
    assert "unknown tax" in caught.value.errors["--tax"]


def test_odoo_field_names_and_the_active_column_read_too(new_store, tmp_path):
    path = write(tmp_path, "default_code,name,list_price,uom_id,to_weight,available_in_pos,active,taxes_id\n"
                           "A1,Aceite,\"7,45\",Litre(s),False,True,False,\"IVA 21% + RE 5,2%\"\n")
    result = import_products(path, profile="odoo", apply=True)
    assert result.created == 1, result.refused
    oil = catalog.find_product("A1")
    assert (oil.price_minor, oil.uom, oil.archived, oil.taxes) == (745, "L", True, ("IVA 21%", "RE 5,2%"))


# Refusals -------------------------------------------------------------------------------------------


def test_every_refusal_names_its_row_column_and_reason(shop, tmp_path):
    path = write(tmp_path, NATIVE_HEADER + "\n".join([
        "N1,Good one,8412345678905,1.00,Units,no,IVA 21%,Food",       # 2 fine
        "N2,,,1.00,Units,no,IVA 21%,Food",                               # 3 empty name
        "N1,Same reference,,1.00,Units,no,IVA 21%,Food",                 # 4 reference of row 2
        "N4,Same barcode,8412345678905,1.00,Units,no,IVA 21%,Food",      # 5 barcode of row 2
        "P001,Taken reference,,1.00,Units,no,IVA 21%,Food",              # 6 the demo's milk
        "N6,Taken barcode,8412345000010,1.00,Units,no,IVA 21%,Food",     # 7 the demo's milk's barcode
        "N7,Check digit,8412345678901,1.00,Units,no,IVA 21%,Food",       # 8
        "N8,Negative,,-1.00,Units,no,IVA 21%,Food",                      # 9
        "N9,Unreadable,,abc,Units,no,IVA 21%,Food",                      # 10
        "N10,Unit,,1.00,Crates,no,IVA 21%,Food",                         # 11
        "N11,Tax,,1.00,Units,no,VAT 99%,Food",                           # 12
    ]) + "\n")
    result = import_products(path)
    by_row = {p.row: p for p in result.refused}
    assert sorted(by_row) == list(range(3, 13)) and len(result.refused) == 10
    expected = {
        3: ("name", "is required"),
        4: ("reference", "“N1” is also the reference of row 2"),
        5: ("barcode", "8412345678905 is also the barcode of row 2"),
        6: ("reference", "“P001” is already used by Leche entera 1 L"),
        7: ("barcode", "8412345000010 is already the barcode of Leche entera 1 L (P001)"),
        8: ("barcode", "“8412345678901” has a wrong check digit (it should end in 5)"),
        9: ("price", "must not be negative"),
        10: ("price", "“abc” is not an amount"),
        11: ("unit", "“Crates” is not a unit of measure"),
        12: ("taxes", "unknown tax “VAT 99%”"),
    }
    for row, (column, reason) in expected.items():
        assert by_row[row].column == column, row
        assert reason in by_row[row].message, (row, by_row[row].message)
    assert (result.to_create, result.rows) == (1, 11)


def test_one_bad_row_without_skip_invalid_means_nothing_is_written(new_store, tmp_path):
    path = write(tmp_path, NATIVE_HEADER + "A,Good,,1,Units,no,IVA 21%,\nB,,,1,Units,no,IVA 21%,\n")
    result = import_products(path, apply=True)
    assert (result.applied, result.created, problems(result)) == (False, 0, [(3, "name")])
    assert counts() == (0, 0, 0, 0)


def test_skip_invalid_writes_the_good_rows(new_store, tmp_path):
    path = write(tmp_path, NATIVE_HEADER + "A,Good,,1,Units,no,IVA 21%,\nB,,,1,Units,no,IVA 21%,\n"
                                           "C,Also good,,2,kg,yes,IVA 4%,Fruit\n")
    result = import_products(path, apply=True, skip_invalid=True)
    assert (result.applied, result.created, problems(result)) == (True, 2, [(3, "name")])
    assert counts() == (2, 2, 2, 2)
    assert catalog.find_product("C").by_weight


def test_a_database_refusal_at_write_time_rolls_everything_back(new_store, tmp_path, monkeypatch):
    path = write(tmp_path, NATIVE_HEADER + "A,Good,,1,Units,no,IVA 21%,\nB,Good too,,1,Units,no,IVA 21%,\n")
    real = product_import._Store

    class Blind(real):  # as if another till saved "B" between the check and the write
        def __init__(self):
            super().__init__()
            self.by_sku.pop("B", None)

    catalog.add_product({"reference": "B", "name": "Saved elsewhere", "price": "1", "taxes": "IVA 21%"})
    monkeypatch.setattr(product_import, "_Store", Blind)
    with pytest.raises(PosError, match="Nothing was written"):
        import_products(path, apply=True)
    assert models.Product.select().count() == 1


# --update --------------------------------------------------------------------------------------------


def test_update_changes_existing_references_and_audits_old_to_new(shop, tmp_path):
    before = events.last_cursor()
    path = write(tmp_path, "reference,name,price,taxes\nP001,Leche entera 1 L,1.05,IVA 10%\n"
                           "P002,Pan de barra,0.80,IVA 4%\nZ1,New,2.00,IVA 21%\n")
    refused = import_products(path, apply=True)
    assert problems(refused) == [(2, "reference"), (3, "reference")] and not refused.applied
    result = import_products(path, apply=True, update=True)
    assert (result.to_create, result.to_update, result.created, result.updated, result.unchanged) == (1, 2, 1, 1, 1)
    milk = catalog.find_product("P001")
    assert (milk.price_minor, milk.taxes, milk.barcode, milk.category) == (
        105, ("IVA 10%",), "8412345000010", "Alimentación / Lácteos")
    told = [e for e in events.after(before) if e.entity == "product"]
    assert [(e.kind, e.payload["reference"]) for e in told] == [("product.updated", "P001"),
                                                               ("product.created", "Z1")]
    assert told[0].payload["changed"] == ["price_minor", "taxes"]
    history = models.AuditLog.select().where((models.AuditLog.entity == "product")
                                             & (models.AuditLog.entity_id == milk.id)).order_by(models.AuditLog.id)
    changes = json.loads(list(history)[-1].changes)
    assert changes["price_minor"] == [95, 105] and changes["taxes"] == [["IVA 4%"], ["IVA 10%"]]
    assert models.ProductTax.select().where(models.ProductTax.product == milk.id).count() == 1


# Round trip and formula injection ---------------------------------------------------------------------


def _catalog_snapshot() -> list[tuple]:
    return [(i.sku, i.name, i.barcode, i.price_minor, i.tax_rate_bp, i.price_includes_tax, i.category, i.uom,
             i.by_weight, i.available_in_pos, i.track_stock, i.reorder_point, i.cost_minor, i.active, i.taxes)
            for i in catalog.list_products() + catalog.list_products(archived=True)]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_export_then_import_loses_nothing(shop, tmp_path, fmt):
    catalog.add_product({"reference": "RT-1", "name": "=HYPERLINK(\"http://x\")", "barcode": "8412345678905",
                         "price": "2.35", "price_includes_tax": "no", "cost": "1.10", "category": "A / B / C",
                         "unit": "kg", "by_weight": "yes", "taxes": "IVA 10% + RE 1,4%", "available_in_pos": "no",
                         "track_stock": "yes", "reorder_point": "2,5"})
    catalog.add_product({"reference": "RT-2", "name": "-Old stuff", "price": "0", "taxes": "none",
                         "track_stock": "no"})
    catalog.archive_product("RT-2")
    catalog.archive_product("P005")
    before = _catalog_snapshot()
    out = io.StringIO()
    assert product_export.export_products(out, fmt=fmt, archived=True).rows == 45
    path = write(tmp_path, out.getvalue(), f"products.{fmt}")
    # Into the same store with --update: every row is found unchanged, field for field.
    cursor = events.last_cursor()
    result = import_products(path, apply=True, update=True)
    assert (result.refused, result.updated, result.unchanged) == ([], 0, 45)
    assert [e for e in events.after(cursor) if e.entity == "product"] == []
    # Into a store without them: the same catalog again.
    models.ProductTax.delete().execute()
    models.Product.delete().execute()
    result = import_products(path, apply=True)
    assert (result.refused, result.created) == ([], 45)
    assert _catalog_snapshot() == before


def test_csv_export_is_safe_against_formula_injection(shop):
    catalog.add_product({"reference": "F1", "name": "=cmd|' /C calc'!A0", "category": "@SUM(1+1)", "price": "1",
                         "taxes": "IVA 21%"})
    for profile in ("native", "odoo"):
        out = io.StringIO()
        product_export.export_products(out, profile=profile)
        line = next(line for line in out.getvalue().splitlines() if line.startswith("F1,"))
        assert "'=cmd" in line and "'@SUM(1+1)" in line
        assert ",=" not in line and ",@" not in line


def test_the_odoo_export_reads_back_with_the_odoo_profile(shop, tmp_path):
    out = io.StringIO()
    product_export.export_products(out, profile="odoo")
    assert out.getvalue().splitlines()[0].startswith(",".join(product_import.ODOO_COLUMNS))
    before = _catalog_snapshot()
    result = import_products(write(tmp_path, out.getvalue()), profile="odoo", apply=True, update=True)
    assert (result.refused, result.unchanged) == ([], 43)
    assert _catalog_snapshot() == before


def test_events_and_audit_are_those_of_add_product(new_store, tmp_path):
    """An imported product's event and audit entry carry what `catalog.add_product` writes."""
    path = write(tmp_path, NATIVE_HEADER + "W1,Uvas,2100099000009,3.20,kg,yes,\"IVA 4% + RE 0,5%\",Fruta\n")
    import_products(path, apply=True)
    row = models.Product.get(models.Product.sku == "W1")
    expected = catalog._audited(row, list(models.Tax.select().join(models.ProductTax)
                                          .where(models.ProductTax.product == row.id)
                                          .order_by(models.ProductTax.sequence)))
    event = next(e for e in events.after(0) if e.kind == catalog.PRODUCT_CREATED)
    assert event.payload == json.loads(json.dumps({"id": row.id, **expected}))
    entry = models.AuditLog.get(models.AuditLog.entity == "product")
    assert (entry.action, json.loads(entry.changes)["price_minor"]) == ("create", [None, 320])
    assert row.reorder_point == Decimal(0) and row.tax_rate_bp == 450


def test_the_quick_check_digit_agrees_with_python_stdnum():
    rnd = random.Random(14)
    for _n in range(20_000):
        code = "".join(rnd.choice("0123456789") for _d in range(rnd.choice((8, 12, 13))))
        assert _check_digit_ok(code) == ean.is_valid(code), code


# The first start ------------------------------------------------------------------------------------------


async def test_the_first_start_sets_up_a_store_then_imports_an_odoo_file(database, tmp_path):
    from pos_tui.screens.login import LoginScreen
    from pos_tui.screens.product_import import ProductImportScreen

    bad = tmp_path / "odoo.csv"
    bad.write_text(ODOO_FILE.read_text(encoding="utf-8") + "BAD_1,,,1,,All,Units,False,True,Service\n",
                   encoding="utf-8")
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("i")
        await pilot.pause()
        # The new store's form (its fields are another test's): filled by name, saved with Ctrl+S.
        app.screen.query_one(Form).fill({"store_name": "Panadería Sol", "cashier": "Ana", "pin": "1234"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ProductImportScreen)
        assert "IVA 21%" in screen_text(pilot)
        await type_text(pilot, str(bad))
        await pilot.press("f10")  # not checked yet
        await pilot.pause()
        assert "Check the file first" in screen_text(pilot)
        await pilot.press("enter", "enter", "enter")  # the last field's Enter checks
        await settle(pilot)
        text = screen_text(pilot)
        assert "8 rows: 7 to create, 0 to update, 1 refused." in text
        assert "Row 9, Name: is required" in text
        assert "F10: import the 7 valid rows" in text
        assert models.Product.select().count() == 0
        await pilot.press("f10")
        await settle(pilot)
        assert "7 products imported" in screen_text(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
    assert models.Product.select().count() == 7
    assert catalog.find_product("FRUT_0001").tax_rate_bp == 2100
