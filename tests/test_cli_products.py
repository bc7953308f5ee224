"""`pos products …`, `pos taxes …` and `pos store set` on an empty database, through the CLI."""

from __future__ import annotations

import csv
import io

import pytest

from pos_tui import models
from pos_tui.services import audit, catalog
from tests.cli_helpers import as_json, cli_runner

ADD = ("products", "add", "--ref", "T001", "--name", "Tarta de queso", "--price", "3,50", "--taxes", "IVA 10%")


@pytest.fixture
def run(db_path, monkeypatch):
    return cli_runner(db_path, monkeypatch, columns=80, plain_spaces=True)


@pytest.fixture
def demo(run):
    assert run("demo").exit_code == 0


def counts(stored) -> tuple[int, int, int]:
    """Products, their taxes and audit entries: what a refused command must leave as it was."""
    return stored(lambda: (models.Product.select().count(), models.ProductTax.select().count(),
                           models.AuditLog.select().count()))


def fits(text: str, width: int = 80) -> str:
    assert max(len(line) for line in text.splitlines()) <= width, text
    return text


def test_add_every_field_then_show(run, demo, stored):
    result = run(*ADD, "--barcode", "4006381333931", "--price-includes-tax", "yes", "--cost", "1,20",
                 "--category", "Bakery/Cakes", "--unit", "Units", "--by-weight", "no", "--available", "yes",
                 "--track-stock", "yes", "--reorder-point", "4")
    assert result.exit_code == 0, result.output
    assert "Product T001 added: Tarta de queso" in fits(result.stdout)
    doc = as_json(run("products", "show", "t001", "--format", "json"))
    assert {k: doc[k] for k in ("reference", "name", "barcode", "price_minor", "cost_minor", "category", "unit",
                                "taxes", "tax_rate_bp", "price_includes_tax", "by_weight", "available_in_pos",
                                "track_stock", "reorder_point", "archived", "currency")} == {
        "reference": "T001", "name": "Tarta de queso", "barcode": "4006381333931", "price_minor": 350,
        "cost_minor": 120, "category": "Bakery / Cakes", "unit": "Units", "taxes": ["IVA 10%"], "tax_rate_bp": 1000,
        "price_includes_tax": True, "by_weight": False, "available_in_pos": True, "track_stock": True,
        "reorder_point": "4", "archived": False, "currency": "EUR"}
    shown = fits(run("products", "show", "4006381333931").stdout)
    assert "3,50 €" in shown and "Bakery / Cakes" in shown


def test_add_as_json(run, demo):
    doc = as_json(run(*ADD, "--taxes", "IVA 21% + RE 5,2%", "--format", "json"))
    assert doc["taxes"] == ["IVA 21%", "RE 5,2%"] and doc["tax_rate_bp"] == 2620


def test_refusals_name_each_field_exit_1_and_write_nothing(run, demo, stored):
    before = counts(stored)
    result = run("products", "add", "--ref", "P001", "--name", "", "--price", "-1", "--barcode", "4006381333932",
                 "--taxes", "IVA 99%", "--by-weight", "maybe")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith("barcode: “4006381333932” has a wrong check digit") for line in lines)
    assert any(line.startswith("name: is required") for line in lines)
    assert any(line.startswith("price: must not be negative") for line in lines)
    assert any(line.startswith("by_weight: answer yes or no") for line in lines)
    assert any(line.startswith("taxes: unknown tax “IVA 99%”") for line in lines)
    assert "Traceback" not in result.output
    assert counts(stored) == before
    # A duplicate reference names the other product.
    result = run("products", "add", "--ref", "p001", "--name", "Otra", "--price", "1", "--taxes", "none")
    assert result.exit_code == 1 and "reference: “P001” is already used by Leche entera 1 L" in result.stderr
    assert counts(stored) == before


def test_control_characters_are_refused(run, demo, stored):
    before = counts(stored)
    result = run(*ADD[:-4], "--name", "Tarta\x1b]0;owned\x07", "--price", "1", "--taxes", "none")
    assert result.exit_code == 1 and "name: must not contain control characters" in result.stderr
    result = run("products", "edit", "P001", "--category", "A\x9bB")
    assert result.exit_code == 1 and "category:" in result.stderr
    assert counts(stored) == before


def test_usage_errors_exit_2(run, demo, stored):
    before = counts(stored)
    assert run("products", "edit", "P001").exit_code == 2  # nothing to change
    assert run("products", "add", "--colour", "red").exit_code == 2
    assert run("products", "list", "--format", "xml").exit_code == 2
    assert run("products", "list", "--limit", "0").exit_code == 2
    assert run("taxes", "add", "IGIC 7%").exit_code == 2  # no --rate
    assert counts(stored) == before


def test_edit_changes_only_what_is_given(run, demo, stored):
    doc = as_json(run("products", "edit", "P001", "--price", "1,05", "--taxes", "IVA 4% + RE 0,5%", "--format", "json"))
    assert (doc["price_minor"], doc["tax_rate_bp"], doc["name"]) == (105, 450, "Leche entera 1 L")
    result = run("products", "edit", "P001", "--ref", "LECHE1", "--name", "Leche entera")
    assert result.exit_code == 0 and "Product LECHE1 saved: Leche entera" in fits(result.stdout)
    history = stored(lambda: [e.changes for e in audit.history("product", catalog.find_product("LECHE1").id)])
    assert history[-1] == {"reference": ["P001", "LECHE1"], "name": ["Leche entera 1 L", "Leche entera"]}
    assert run("products", "edit", "NOPE", "--price", "1").exit_code == 1


def test_archive_restore_and_the_lists(run, demo):
    result = run("products", "archive", "P001")
    assert result.exit_code == 0 and "Product P001 archived" in result.stdout
    assert "P001" not in [p["reference"] for p in as_json(run("products", "list", "--format", "json"))]
    assert [p["reference"] for p in as_json(run("products", "list", "--archived", "--format", "json"))] == ["P001"]
    assert as_json(run("products", "search", "leche entera", "--format", "json")) == []
    assert not as_json(run("products", "restore", "P001", "--format", "json"))["archived"]
    assert [p["reference"] for p in as_json(run("products", "search", "leche entera", "--format", "json"))] == ["P001"]


def test_list_table_fits_80_columns_and_pages(run, demo):
    table = fits(run("products", "list").stdout)
    assert "P001" in table and "Leche entera 1 L" in table and "0,95 €" in table
    page = as_json(run("products", "list", "--limit", "3", "--offset", "2", "--format", "json"))
    everything = as_json(run("products", "list", "--format", "json"))
    assert [p["reference"] for p in page] == [p["reference"] for p in everything[2:5]]
    assert fits(run("products", "search", "aceite").stdout).count("Aceite") >= 1
    assert "No products." in run("products", "search", "zzzz").stdout


def test_list_by_category_with_subcategories(run, demo):
    for ref, category in (("C1", "Bakery"), ("C2", "Bakery / Bread"), ("C3", "Bakery shop")):
        assert run("products", "add", "--ref", ref, "--name", ref, "--price", "1", "--taxes", "none",
                   "--category", category).exit_code == 0
    rows = as_json(run("products", "list", "--category", "bakery", "--format", "json"))
    assert [p["reference"] for p in rows] == ["C1", "C2"]


def test_csv_is_safe_against_formula_injection(run, demo):
    hostile = "=cmd|' /C calc'!A0"
    assert run(*ADD[:-8], "--ref", "EVIL", "--name", hostile, "--price", "1", "--taxes", "none",
               "--category", "@SUM(1+1)").exit_code == 0
    text = run("products", "list", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [*catalog.FIELDS, "archived"]
    evil = next(row for row in rows if row["reference"] == "EVIL")
    assert evil["name"] == "'" + hostile and evil["category"] == "'@SUM(1+1)"
    assert evil["price"] == "1.00" and evil["taxes"] == "none"
    milk = next(row for row in rows if row["reference"] == "P001")
    assert (milk["price"], milk["taxes"], milk["archived"]) == ("0.95", "IVA 4%", "no")


def test_show_refuses_an_unknown_product(run, demo):
    result = run("products", "show", "NOPE")
    assert result.exit_code == 1 and "No product with reference or barcode “NOPE”" in result.stderr


# pos taxes ------------------------------------------------------------------------------------


def test_taxes_add_edit_archive_restore(run, demo, stored):
    assert "Tax IGIC 7% added" in run("taxes", "add", "IGIC 7%", "--rate", "7", "--kind", "other").stdout
    doc = as_json(run("taxes", "edit", "igic 7%", "--rate", "7,5", "--included", "no", "--format", "json"))
    assert (doc["rate_bp"], doc["included"], doc["kind"]) == (750, False, "other")
    assert run("taxes", "edit", "IGIC 7%", "--name", "IGIC general").exit_code == 0
    assert as_json(run("taxes", "archive", "IGIC general", "--format", "json"))["archived"]
    assert "IGIC general" not in [t["name"] for t in as_json(run("taxes", "list", "--format", "json"))]
    assert not as_json(run("taxes", "archive", "IGIC general", "--restore", "--format", "json"))["archived"]
    assert run("taxes", "archive", "IGIC general").exit_code == 0
    assert "Tax IGIC general restored" in run("taxes", "restore", "IGIC general").stdout


def test_taxes_refusals(run, demo, stored):
    before = stored(lambda: models.Tax.select().count())
    result = run("taxes", "add", "IVA 21%", "--rate", "abc", "--kind", "local")
    assert result.exit_code == 1
    assert "rate: must be a number" in result.stderr and "kind: must be one of" in result.stderr
    result = run("taxes", "archive", "IVA 21%")
    assert result.exit_code == 1 and "active products carry “IVA 21%”" in result.stderr
    assert run("taxes", "edit", "Nope", "--rate", "1").exit_code == 1
    assert run("taxes", "edit", "IVA 21%").exit_code == 2
    assert stored(lambda: models.Tax.select().count()) == before


def test_a_new_rate_reaches_the_products(run, demo):
    assert run("taxes", "edit", "IVA 4%", "--rate", "5").exit_code == 0
    assert as_json(run("products", "show", "P001", "--format", "json"))["tax_rate_bp"] == 500


# pos store set on an empty database -------------------------------------------------------------


def test_store_set_creates_the_store_its_taxes_then_a_manager_sells(run, stored):
    assert run("db", "init").exit_code == 0
    result = run("store", "set", "--name", "La Tienda", "--country", "ES", "--currency", "EUR",
                 "--tax-id", "B12345678", "--rounding", "sideways")
    assert result.exit_code == 1
    assert "--tax-id:" in result.stderr and "--rounding:" in result.stderr
    assert stored(lambda: models.Store.select().count()) == 0
    result = run("store", "set", "--name", "La Tienda", "--country", "es", "--currency", "eur",
                 "--tax-id", "B58378431", "--address", "Calle Mayor 1, Madrid", "--rounding", "total")
    assert result.exit_code == 0, result.output
    assert "pos cashier add NAME --role manager" in result.stdout
    shown = as_json(run("store", "show", "--format", "json"))
    assert {k: shown[k] for k in ("name", "country", "currency", "tax_id", "address", "rounding")} == {
        "name": "La Tienda", "country": "ES", "currency": "EUR", "tax_id": "B58378431",
        "address": "Calle Mayor 1, Madrid", "rounding": "total"}
    table = run("store", "show").stdout
    assert "B58378431" in table and "Calle Mayor 1, Madrid" in table
    assert {t["name"] for t in as_json(run("taxes", "list", "--format", "json"))} == {
        "IVA 21%", "IVA 10%", "IVA 4%", "IVA 0%", "RE 5,2%", "RE 1,4%", "RE 0,5%"}
    assert run("cashier", "add", "Marta", "--role", "manager", "--pin", "2468").exit_code == 0
    assert run(*ADD).exit_code == 0

    def sell():
        from pos_tui.services import cashiers, sales, sessions
        from pos_tui.services.payments import Tender

        marta = cashiers.authenticate("Marta", "2468")
        sessions.open_session("T1", marta.id, 0)
        sale = sales.current_sale("T1", marta.id)
        sales.add_code(sale.id, "T001")
        sale = sales.get_sale(sale.id)
        return sales.checkout(sale.uuid, [Tender("cash", sale.total_minor)], cashier_id=marta.id)

    assert stored(sell).order_id
    result = run("store", "set", "--currency", "USD", "--country", "US")
    assert result.exit_code == 1
    assert "--currency: cannot change once the store has paid sales (1)" in result.stderr
    assert "--country: cannot change once the store has paid sales (1)" in result.stderr
    assert as_json(run("store", "show", "--format", "json"))["currency"] == "EUR"


def test_store_set_country_before_any_sale(run, demo, stored):
    result = run("store", "set", "--country", "MX", "--currency", "MXN", "--tax-id", "")
    assert result.exit_code == 0, result.output
    shown = as_json(run("store", "show", "--format", "json"))
    assert (shown["country"], shown["currency"], shown["locale"]) == ("MX", "MXN", "es_MX")
    assert "IVA 16%" in {t["name"] for t in as_json(run("taxes", "list", "--format", "json"))}
    # The store's tax ID must be valid in its new country.
    run("store", "set", "--country", "ES", "--tax-id", "B58378431")
    result = run("store", "set", "--country", "MX")
    assert result.exit_code == 1 and "--tax-id:" in result.stderr
