"""The catalog service: a product's fields as typed, checked and named; unique references and
barcodes; several taxes; edits audited; archive and restore; the change feed; taxes' new rates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pos_tui import models
from pos_tui.errors import NotFound, StateError, ValidationError
from pos_tui.services import audit, catalog, events, taxes

GOOD = {"reference": "T001", "name": "Tarta de queso", "price": "3,50", "taxes": "IVA 10%"}


def refused(call, *args, **kwargs) -> dict[str, str]:
    """The fields a service refused, with their messages; nothing may have been written."""
    before = (models.Product.select().count(), models.ProductTax.select().count(), models.AuditLog.select().count())
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    after = (models.Product.select().count(), models.ProductTax.select().count(), models.AuditLog.select().count())
    assert after == before
    return caught.value.errors


def test_a_product_as_typed(shop, ana):
    info = catalog.add_product({**GOOD, "barcode": "4006381333931", "cost": "1,2", "category": "Bakery/ Cakes ",
                                "unit": "units", "reorder_point": "4"}, ana.id)
    assert (info.sku, info.name, info.barcode) == ("T001", "Tarta de queso", "4006381333931")
    assert (info.price_minor, info.cost_minor, info.tax_rate_bp) == (350, 120, 1000)  # "3,50" is 3.50
    assert info.category == "Bakery / Cakes" and info.uom == "Units" and info.reorder_point == Decimal(4)
    assert info.price_includes_tax and info.available_in_pos and info.track_stock and not info.by_weight
    assert catalog.find_product("t001") == catalog.find_product("4006381333931") == info


@pytest.mark.parametrize("field, value, fragment", [
    ("reference", "", "is required"),
    ("reference", "A B", "must not contain spaces"),
    ("reference", "#12", "must not start with"),
    ("name", "", "is required"),
    ("name", "Tarta\x1b[31m", "control characters"),
    ("name", "x" * 121, "too long"),
    ("barcode", "12345", "not an EAN-13, EAN-8 or UPC-A"),
    ("barcode", "4006381333932", "wrong check digit (it should end in 1)"),  # EAN-13
    ("barcode", "96385075", "wrong check digit (it should end in 4)"),  # EAN-8
    ("barcode", "036000291453", "wrong check digit (it should end in 2)"),  # UPC-A
    ("price", "", "is required"),
    ("price", "-1", "must not be negative"),
    ("price", "abc", ""),
    ("cost", "1,234", ""),
    ("category", "Bakery //Bread", "empty level"),
    ("unit", "furlong", ""),
    ("by_weight", "maybe", "answer yes or no"),
    ("available_in_pos", "perhaps", "answer yes or no"),
    ("track_stock", "2", "answer yes or no"),
    ("price_includes_tax", "often", "answer yes or no"),
    ("reorder_point", "-3", ""),
    ("taxes", "IVA 99%", "unknown tax “IVA 99%”"),
])
def test_every_bad_field_is_named_and_nothing_is_written(shop, field, value, fragment):
    errors = refused(catalog.add_product, {**GOOD, field: value})
    assert list(errors) == [field]
    assert fragment in errors[field]


def test_good_check_digits_pass(shop):
    for ref, code in (("E13", "4006381333931"), ("E8", "96385074"), ("UPC", "036000291452")):
        assert catalog.add_product({**GOOD, "reference": ref, "barcode": code}).barcode == code


def test_every_bad_field_at_once(shop):
    errors = refused(catalog.add_product, {"reference": "", "name": "", "price": "-1", "barcode": "1"})
    assert set(errors) == {"reference", "name", "price", "barcode"}


def test_taxes_must_be_said_and_unknown_fields_are_refused(shop):
    assert "“none”" in refused(catalog.add_product, {**GOOD, "taxes": None})["taxes"]
    assert "is not a product field" in refused(catalog.add_product, {**GOOD, "colour": "red"})["colour"]
    assert catalog.add_product({**GOOD, "taxes": "none"}).tax_rate_bp == 0


def test_a_by_weight_product_is_sold_in_kg_not_units(shop):
    assert "sold by weight" in refused(catalog.add_product, {**GOOD, "by_weight": "yes", "unit": "Units"})["unit"]
    info = catalog.add_product({**GOOD, "by_weight": "yes", "unit": "kg", "reorder_point": "2,5"})
    assert info.uom == "kg" and info.reorder_point == Decimal("2.500")


def test_duplicate_reference_or_barcode_names_the_other_product(shop):
    catalog.add_product({**GOOD, "barcode": "4006381333931"})
    errors = refused(catalog.add_product, {**GOOD, "reference": "t001", "name": "Otra", "barcode": "4006381333931"})
    assert errors["reference"] == "“T001” is already used by Tarta de queso"
    assert errors["barcode"] == "4006381333931 is already the barcode of Tarta de queso (T001)"


def test_several_taxes_and_their_total_rate(shop):
    info = catalog.add_product({**GOOD, "taxes": "iva 21% + RE 5,2%"})
    assert info.taxes == ("IVA 21%", "RE 5,2%") and info.tax_rate_bp == 2100 + 520
    assert info.tax_parts == (("IVA 21%", 2100), ("RE 5,2%", 520))
    assert catalog.line_taxes_json(info.id) == '[["IVA 21%", 2100], ["RE 5,2%", 520]]'


def test_price_includes_tax_follows_the_taxes_unless_said(shop):
    taxes.add_tax("Sales tax 7%", "7", included="no", kind="other")
    assert not catalog.add_product({**GOOD, "taxes": "Sales tax 7%"}).price_includes_tax
    assert catalog.add_product({**GOOD, "reference": "T2", "taxes": "IVA 21%"}).price_includes_tax
    said = catalog.add_product({**GOOD, "reference": "T3", "taxes": "Sales tax 7%", "price_includes_tax": "yes"})
    assert said.price_includes_tax
    assert "disagree" in refused(catalog.add_product, {**GOOD, "reference": "T4",
                                                      "taxes": "IVA 21% + Sales tax 7%"})["price_includes_tax"]
    # New taxes on an edit: the flag follows them again.
    assert not catalog.update_product("T2", {"taxes": "Sales tax 7%"}).price_includes_tax


def test_an_edit_changes_only_what_is_given_and_is_audited(shop, ana):
    info = catalog.add_product({**GOOD, "barcode": "4006381333931"}, ana.id)
    edited = catalog.update_product("T001", {"price": "3,95", "taxes": "IVA 21% + RE 5,2%"}, ana.id)
    assert (edited.price_minor, edited.tax_rate_bp, edited.name, edited.barcode) == (
        395, 2620, "Tarta de queso", "4006381333931")
    created, updated = audit.history("product", info.id)
    assert (created.action, created.cashier) == ("create", "Ana")
    assert updated.action == "update" and updated.cashier == "Ana"
    assert updated.changes == {"price_minor": [350, 395], "taxes": [["IVA 10%"], ["IVA 21%", "RE 5,2%"]]}
    # Nothing changed: nothing written.
    catalog.update_product("T001", {"price": "3.95"}, ana.id)
    assert len(audit.history("product", info.id)) == 2
    # A bad edit writes nothing.
    assert "wrong check digit" in refused(catalog.update_product, "T001", {"barcode": "4006381333932"})["barcode"]
    assert catalog.find_product("T001").barcode == "4006381333931"


def test_archive_and_restore(shop, ana):
    info = catalog.add_product(GOOD, ana.id)
    archived = catalog.archive_product("T001", ana.id)
    assert archived.archived and not models.Product.get_by_id(info.id).active
    assert catalog.find_by_code("T001") is None
    assert [p.sku for p in catalog.search_products("tarta")] == []
    assert [p.sku for p in catalog.list_products(archived=True)] == ["T001"]
    with pytest.raises(NotFound, match="archived"):
        catalog.find_product("T001", archived=False)
    assert not catalog.archive_product("T001", ana.id, archived=False).archived
    assert [e.action for e in audit.history("product", info.id)] == ["create", "archive", "restore"]
    assert catalog.find_by_code("T001").id == info.id


def test_the_change_feed(shop, ana):
    start = events.last_cursor()
    info = catalog.add_product(GOOD, ana.id)
    catalog.update_product("T001", {"name": "Tarta de queso vasca"}, ana.id)
    catalog.archive_product("T001", ana.id)
    catalog.archive_product("T001", ana.id, archived=False)
    told = [(e.kind, e.entity, e.entity_id) for e in events.after(start)]
    assert told == [("product.created", "product", info.id), ("product.updated", "product", info.id),
                    ("product.archived", "product", info.id), ("product.restored", "product", info.id)]
    created, updated = events.after(start)[:2]
    assert created.payload["reference"] == "T001" and created.payload["price_minor"] == 350
    assert updated.payload["changed"] == ["name"] and updated.payload["name"] == "Tarta de queso vasca"


def test_list_by_category_with_subcategories_and_pages(shop):
    for ref, category in (("C1", "Bakery"), ("C2", "Bakery / Bread"), ("C3", "Bakery / Bread / Rye"),
                          ("C4", "Bakery shop"), ("C5", "Drinks")):
        catalog.add_product({**GOOD, "reference": ref, "category": category})
    assert [p.sku for p in catalog.list_products(category="bakery")] == ["C1", "C2", "C3"]
    assert [p.sku for p in catalog.list_products(category="Bakery/Bread")] == ["C2", "C3"]
    everything = [p.sku for p in catalog.list_products()]
    assert [p.sku for p in catalog.list_products(limit=2, offset=1)] == everything[1:3]


# Taxes ----------------------------------------------------------------------------------------


def test_a_tax_is_added_checked_and_named(shop, ana):
    tax = taxes.add_tax("IGIC 7%", "7", included="yes", kind="other", cashier_id=ana.id)
    assert (tax.rate_bp, tax.included, tax.kind) == (700, True, "other")
    with pytest.raises(ValidationError) as caught:
        taxes.add_tax("igic 7%", "abc", included="maybe", kind="local")
    assert set(caught.value.errors) == {"rate", "included", "kind"}
    with pytest.raises(ValidationError, match="already a tax"):
        taxes.add_tax("igic 7%", "7")
    with pytest.raises(ValidationError, match="separates"):
        taxes.add_tax("A + B", "7")
    with pytest.raises(ValidationError, match="means no tax"):
        taxes.add_tax("none", "0")


def test_a_taxs_new_rate_reaches_its_products(shop, ana):
    catalog.add_product({**GOOD, "taxes": "IVA 10% + RE 1,4%"})
    taxes.edit_tax("RE 1,4%", {"rate": "1,75"}, ana.id)
    assert catalog.find_product("T001").tax_rate_bp == 1000 + 175
    assert catalog.find_product("P008").tax_rate_bp == 1000  # IVA 10% alone: not touched
    assert taxes.check_rate_consistency() == []
    assert audit.history("tax", taxes.get_tax("RE 1,4%").id)[-1].changes == {"rate_bp": [140, 175]}


def test_a_tax_carried_by_a_product_cannot_be_archived(shop):
    catalog.add_product({**GOOD, "taxes": "RE 0,5% + IVA 4%"})
    with pytest.raises(StateError, match="carry “RE 0,5%”"):
        taxes.archive_tax("re 0,5%")
    catalog.update_product("T001", {"taxes": "IVA 4%"})
    assert taxes.archive_tax("RE 0,5%").active is False
    assert "unknown tax" in refused(catalog.update_product, "T001", {"taxes": "IVA 4% + RE 0,5%"})["taxes"]
    assert taxes.archive_tax("RE 0,5%", archived=False).active


def test_a_product_with_a_stock_history_stays_tracked(shop):
    from pos_tui.services import stock

    stock.receive("P001", "5")
    with pytest.raises(ValidationError) as caught:
        catalog.update_product("P001", {"track_stock": "no"})
    assert "1 stock move" in caught.value.errors["track_stock"]
    assert catalog.find_product("P001").track_stock is True
    # one that never moved may stop being tracked (a service)
    assert catalog.update_product("P002", {"track_stock": "no"}).track_stock is False
