"""Weighed goods: scale barcodes (Odoo's default nomenclature), decimal quantities on the sale,
the receipt, the invoice, a refund of part of a weight, the reports, the exports and the feed.

The demo's P041 "Manzanas golden" is sold by the kg (barcode 2100001000004, IVA 4 % included);
the tests set its price to 3,20 €/kg so the arithmetic reads: 0,750 kg × 3,20 €/kg = 2,40 €."""

import csv
import io
import json
from decimal import Decimal

import pytest

from pos_tui import models, quantity
from pos_tui.errors import NotFound, ValidationError
from pos_tui.services import (catalog, customer_stats, customers, events, exports, invoices, receipts, refunds,
                              sales, scale)
from pos_tui.services.payments import Tender
from pos_tui.services.printing import layout_receipt, receipt_payload
from pos_tui.services.store import require_store

APPLES = "P041"
APPLES_BARCODE = "2100001000004"


@pytest.fixture
def apples(open_till, ana):
    return catalog.update_product(APPLES, {"price": "3,20"}, ana.id)


@pytest.fixture
def sale(apples, ana):
    return sales.current_sale("T1", ana.id)


# Reading scale barcodes -------------------------------------------------------------------------------


def test_a_weight_barcode_carries_kilograms_with_three_decimals():
    # 21 | 00001 | 00750 | check: digits 2 1 0 0 0 0 1 0 0 7 5 0, odd places 2+0+0+1+0+5 = 8,
    # even places (1+0+0+0+7+0) × 3 = 24; 8 + 24 = 32, and 32 + 8 = 40: the check digit is 8.
    code = scale.parse("2100001007508")
    assert code.kind == scale.WEIGHT and code.value == Decimal("0.750")
    # the value's digits set to zero, the check digit again: 210000100000 → 4 (the product's barcode)
    assert code.base_code == APPLES_BARCODE
    heavy = scale.parse("2100001012502")  # 01250 → 1,250 kg
    assert heavy.value == Decimal("1.250") and heavy.base_code == APPLES_BARCODE


def test_a_price_barcode_carries_money_with_two_decimals():
    code = scale.parse("2300001004372")  # 23 | 00001 | 00437 | 2
    assert code.kind == scale.PRICE and code.value == Decimal("4.37")
    assert code.base_code == "2300001000008"


@pytest.mark.parametrize("text", ["8412345000010", "2100001", "21000010075081", "P041", "", "21000O1007508"])
def test_other_codes_are_not_scale_codes(text):
    assert scale.parse(text) is None


def test_a_wrong_check_digit_is_refused_saying_so():
    with pytest.raises(ValidationError) as info:
        scale.parse("2100001007503")
    assert "check digit" in info.value.errors["code"] and "should be 8" in info.value.errors["code"]


def test_scanning_a_weight_label_adds_that_weight(sale):
    sale, line_id = sales.add_code(sale.id, "2100001007508")
    line = sale.lines[0]
    assert (line.sku, line.quantity, line.uom, line.unit_price_minor) == (APPLES, Decimal("0.750"), "kg", 320)
    # 0,750 kg × 3,20 €/kg = 2,40 €
    assert line.total_minor == 240 and sale.total_minor == 240
    stored = models.OrderLine.get_by_id(line_id)
    assert stored.quantity == Decimal("0.750") and stored.uom == "kg"
    # a second label is a line of its own (another piece, another weight)
    sale, _ = sales.add_code(sale.id, "2100001012502")
    assert [line.quantity for line in sale.lines] == [Decimal("0.750"), Decimal("1.250")]
    assert sale.total_minor == 240 + 400  # 1,250 × 3,20 = 4,00
    assert sale.item_count == 2


def test_an_exact_barcode_comes_first_and_asks_the_weight(sale):
    result = sales.scan(sale.id, APPLES_BARCODE)  # the product's own barcode: a 21… code of weight 0
    assert result.weigh_product_id == catalog.find_by_code(APPLES).id and result.line_id is None
    assert sales.scan(sale.id, "P041").weigh_product_id == result.weigh_product_id
    sale, _ = sales.add_code(sale.id, "0,750*P041")
    assert sale.lines[0].quantity == Decimal("0.750") and sale.total_minor == 240


@pytest.mark.parametrize("code, error, words", [
    ("2100001007503", ValidationError, "check digit"),
    ("2100009007500", NotFound, "2100009000006"),  # nobody's barcode is 2100009000006
    ("2100001000000", ValidationError, "should be 4"),
])
def test_refused_labels_write_nothing(sale, code, error, words):
    with pytest.raises(error) as info:
        sales.scan(sale.id, code)
    assert words in info.value.message
    assert models.OrderLine.select().count() == 0


def test_a_weight_label_for_a_product_counted_in_units_is_refused(sale, ana):
    catalog.add_product({"reference": "TRAY", "name": "Bandeja", "barcode": "2100005000000", "price": "5",
                         "taxes": "IVA 10%"}, ana.id)
    with pytest.raises(ValidationError) as info:
        sales.scan(sale.id, "2100005007504")
    assert "not weighed" in info.value.message
    assert models.OrderLine.select().count() == 0


def test_a_quantity_before_a_scale_label_is_refused(sale):
    with pytest.raises(ValidationError):
        sales.scan(sale.id, "2*2100001007508")


def test_a_price_label_on_a_product_counted_in_units_is_one_at_that_price(sale, ana):
    # Odoo's rule: a priced product's line is quantity 1 at the barcode's price.
    catalog.add_product({"reference": "CAKE", "name": "Tarta del día", "barcode": "2300001000008", "price": "10",
                         "taxes": "IVA 10%"}, ana.id)
    sale, _ = sales.add_code(sale.id, "2300001004372")
    line = sale.lines[0]
    assert (line.sku, line.quantity, line.unit_price_minor, line.total_minor) == ("CAKE", 1, 437, 437)


def test_a_price_label_on_a_weighed_product_is_the_weight_it_buys(sale, ana):
    catalog.add_product({"reference": "HAM", "name": "Jamón cocido", "barcode": "2300002000007", "price": "2,49",
                         "taxes": "IVA 10%", "unit": "kg", "by_weight": "yes"}, ana.id)
    sale, _ = sales.add_code(sale.id, "2300002004371")  # a 4,37 label
    line = sale.lines[0]
    # 4,37 ÷ 2,49 = 1,75502… → 1,755 kg; 1,755 × 2,49 = 4,36995 → 4,37: the label's amount exactly
    assert (line.quantity, line.unit_price_minor, line.total_minor) == (Decimal("1.755"), 249, 437)


def test_weight_for_price_finds_the_gram_whose_amount_is_the_label():
    assert scale.weight_for_price(437, 249) == Decimal("1.755")
    # 1,00 at 3,00/kg: 0,333 × 3,00 = 0,999 → 1,00
    assert scale.weight_for_price(100, 300) == Decimal("0.333")
    # above 10 €/kg a gram is worth more than a cent: the nearest gram (1,000 at 12,90 = 12,90)
    assert scale.weight_for_price(1290, 1290) == Decimal("1.000")


# The sale and its documents --------------------------------------------------------------------------


def test_a_weighed_sale_totals_receipt_invoice_and_credit_note(sale, ana):
    sales.add_code(sale.id, "2100001007508")
    sale, _ = sales.add_code(sale.id, "8412345000010")  # milk, 0,95, 4 % included
    # apples: 0,750 × 3,20 = 2,40 gross, 4 % included: net 2,40 / 1,04 = 2,3077 → 2,31, tax 0,09
    # milk: 0,95 gross: net 0,95 / 1,04 = 0,9135 → 0,91, tax 0,04
    apples = models.OrderLine.get((models.OrderLine.order == sale.id) & (models.OrderLine.sku == APPLES))
    assert (apples.net_minor, apples.tax_minor, apples.total_minor) == (231, 9, 240)
    assert sale.total_minor == 335
    receipt = sales.checkout(sale.uuid, [Tender("cash", 500)])
    text = receipts.render_text(receipt, "Shop", require_store().money)
    assert "  0,750 kg x 3,20\xa0€/kg" in text
    assert "  1 x 0,95\xa0€" in text
    rows = "\n".join(row[1] for row in layout_receipt(receipt_payload(receipt), 42))
    assert "  0,750 kg x 3,20\xa0€/kg" in rows  # the printer's ESC/POS layout

    invoice = invoices.for_order(receipt.order_id)[0]
    apples_line = invoice.lines[0]
    assert apples_line["quantity"] == "0.75" and apples_line["uom"] == "kg"
    assert invoice.quantity_of(apples_line) == "0,750 kg"
    assert invoice.unit_price_of(apples_line, require_store().money) == "3,20\xa0€/kg"
    assert "0,750 kg × Manzanas golden" in invoices.render_text(invoice, require_store().money)

    # refund 0,250 of the 0,750 kg: 0,250 × 3,20 = 0,80 back, 4 % included (net 0,77, tax 0,03)
    sold = refunds.refundable(receipt.order_id)
    line = next(x for x in sold.lines if x.sku == APPLES)
    assert (line.sold, line.returnable, line.weighed) == (Decimal("0.750"), Decimal("0.750"), True)
    assert line.amount_for(Decimal("0.250")) == 80
    back = refunds.refund(receipt.order_id, {line.line_id: Decimal("0.250")}, "T1", ana.id, method="cash")
    assert back.total_minor == -80
    refund_line = models.OrderLine.get(models.OrderLine.order == back.order_id)
    assert (refund_line.quantity, refund_line.uom) == (Decimal("-0.250"), "kg")
    assert (refund_line.net_minor, refund_line.tax_minor) == (-77, -3)
    note = invoices.for_order(back.order_id)[0]
    assert note.kind == invoices.CREDIT_NOTE and note.lines[0]["quantity"] == "-0.25"
    assert note.quantity_of(note.lines[0]) == "-0,250 kg"
    assert "-0,250 kg x 3,20\xa0€/kg" in receipts.render_text(back, "Shop", require_store().money)

    after = next(x for x in refunds.refundable(receipt.order_id).lines if x.sku == APPLES)
    assert (after.returned, after.returnable) == (Decimal("0.250"), Decimal("0.500"))
    # never more back than sold: 0,501 of the 0,500 left is refused, and nothing is written
    count = models.Order.select().count()
    with pytest.raises(ValidationError) as info:
        refunds.refund(receipt.order_id, {line.line_id: Decimal("0.501")}, "T1", ana.id)
    assert "at most 0.5 kg" in info.value.message
    with pytest.raises(ValidationError):  # a gram's fraction is no weight
        refunds.refund(receipt.order_id, {line.line_id: Decimal("0.0005")}, "T1", ana.id)
    assert models.Order.select().count() == count
    refunds.refund(receipt.order_id, {line.line_id: Decimal("0.5")}, "T1", ana.id)
    assert next(x for x in refunds.refundable(receipt.order_id).lines if x.sku == APPLES).returnable == 0


def test_units_stay_whole_in_a_refund(sale, ana):
    sale, _ = sales.add_code(sale.id, "3*8412345000010")
    receipt = sales.checkout(sale.uuid, [Tender("cash", 285)])
    line = refunds.refundable(receipt.order_id).lines[0]
    with pytest.raises(ValidationError) as info:
        refunds.refund(receipt.order_id, {line.line_id: Decimal("1.5")}, "T1", ana.id)
    assert "whole numbers" in info.value.message


def test_spanish_receipts_write_a_decimal_comma(sale):  # (the English till in Spain writes it too)
    from pos_tui import i18n

    sales.add_code(sale.id, "2100001007508")
    receipt = sales.checkout(sales.get_sale(sale.id).uuid, [Tender("cash", 240)])
    i18n.set_language("es")
    store = require_store()
    assert store.quantity(Decimal("0.75"), "kg") == "0,750 kg"
    assert store.unit_price(320, "kg") == "3,20\xa0€/kg"
    assert "0,750 kg x 3,20\xa0€/kg" in receipts.render_text(receipt, "Shop", store.money)


def test_the_quantity_key_takes_decimals_for_a_weighed_line_only(sale):
    sale, apples = sales.add_code(sale.id, "0,750*P041")
    sale, milk = sales.add_code(sale.id, "8412345000010")
    sale = sales.set_quantity(sale.id, apples, sales.parse_quantity("1,2", uom="kg"))
    assert sale.lines[0].quantity == Decimal("1.200") and sale.lines[0].total_minor == 384  # 1,2 × 3,20
    with pytest.raises(ValidationError):
        sales.set_quantity(sale.id, milk, Decimal("1.5"))
    with pytest.raises(ValidationError):
        sales.set_quantity(sale.id, apples, Decimal("0.0001"))


# Reports, exports, the change feed --------------------------------------------------------------------


def test_reports_exports_and_the_feed_carry_exact_quantities(sale, ana):
    customer = customers.create_customer({"name": "Eva Ruiz"}, ana.id)
    sales.set_customer(sale.id, customer.id)
    sales.add_code(sale.id, "2100001007508")
    sales.add_code(sale.id, "2100001012502")
    sale, _ = sales.add_code(sale.id, "2*8412345000010")
    before = events.last_cursor()
    receipt = sales.checkout(sale.uuid, [Tender("card", sale.total_minor)])

    paid = next(e for e in events.after(before) if e.kind == events.SALE_PAID)
    assert [(line["quantity"], line["uom"]) for line in paid.payload["lines"]] == [
        ("0.75", "kg"), ("1.25", "kg"), (2, "Units")]

    out = io.StringIO(newline="")
    exports.export("order-lines", out, exports.Options(fmt="csv"))
    rows = [r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["order_id"] == str(receipt.order_id)]
    assert [(r["quantity"], r["uom"]) for r in rows] == [("0.75", "kg"), ("1.25", "kg"), ("2", "Units")]
    out = io.StringIO(newline="")
    exports.export("order-lines", out, exports.Options(fmt="jsonl"))
    lines = [json.loads(x, parse_float=Decimal) for x in out.getvalue().splitlines()]
    assert [x["quantity"] for x in lines if x["order_id"] == receipt.order_id] == [Decimal("0.75"), Decimal("1.25"), 2]

    history = customer_stats.history(customer.id)
    assert history[0].items == 4  # two weighed lines count one each, and two milks
    detail = customer_stats.order_lines(receipt.order_id)
    assert [(x.quantity, x.uom) for x in detail] == [(Decimal("0.750"), "kg"), (Decimal("1.250"), "kg"), (2, "Units")]
    top = customer_stats.stats(customer.id).top_products
    apples = next(p for p in top if p.name == "Manzanas golden")
    assert (apples.quantity, apples.uom, apples.total_minor) == (Decimal("2.000"), "kg", 240 + 400)


def test_parked_sales_count_weighed_lines_as_one_item(sale):
    sales.add_code(sale.id, "2100001007508")
    sales.add_code(sale.id, "2*8412345000010")
    sales.park_sale(sale.id)
    assert [p.items for p in sales.parked_sales("T1")] == [3]


def test_quantity_helpers():
    assert quantity.times_price(Decimal("0.75"), "kg", "3,20 €", "es_ES") == "0,750 kg x 3,20 €/kg"
    assert quantity.times_price(3, "Units", "0,95 €", "es_ES") == "3 x 0,95 €"
    assert quantity.editable(Decimal("0.75"), "kg", "es_ES") == "0,750"
    assert quantity.editable(Decimal("3"), "Units", "es_ES") == "3"
    assert exports.quantity_text(0.75) == "0.75" and exports.quantity_text(Decimal("-1.250")) == "-1.25"


def test_add_code_without_a_weight_says_to_give_it(sale):
    with pytest.raises(ValidationError) as info:
        sales.add_code(sale.id, "P041")
    assert "sold by weight" in info.value.message and "0,750*P041" in info.value.message
