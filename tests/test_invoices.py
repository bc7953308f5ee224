"""One tax engine, invoices, refunds and credit notes, customer credit and its aging."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_tui import db, models
from pos_tui.db import now
from pos_tui.errors import NotFound, ValidationError
from pos_tui.services import credit, customers, invoices, receipts, refunds, sales, sessions, zreport
from pos_tui.services.approvals import ApprovalNeeded
from pos_tui.services.invoices import FiscalDataMissing
from pos_tui.services.payments import Tender

ANA_PIN = "1234"


@pytest.fixture
def luis(shop):
    from pos_tui.services import cashiers

    return cashiers.authenticate("Luis", "2345")


def cart(luis, *codes, customer_id=None, till="T1"):
    sale = sales.current_sale(till, luis.id)
    for code in codes:
        sales.add_code(sale.id, code)
    if customer_id:
        sales.set_customer(sale.id, customer_id)
    return sales.get_sale(sale.id)


@pytest.fixture
def company(shop):
    return customers.create_customer({
        "name": "Ferretería Norte S.L.", "is_company": True, "tax_id": "B85743219", "street": "Calle Sol 4",
        "city": "Madrid", "postal_code": "28004", "credit_limit": "100", "payment_terms_days": "30"})


# The tax engine ---------------------------------------------------------------------------------------


def test_rounding_per_total_is_a_store_option(open_till, luis):
    """Two lines of 10,15 + 10 %: per line the tax is 1,015 -> 1,02 twice; on the total 2,03."""
    for sku in ("E1", "E2"):
        models.Product.create(sku=sku, name=f"Excl {sku}", price_minor=1015, tax_rate_bp=1000,
                              price_includes_tax=False)
    per_line = cart(luis, "E1", "E2")
    assert (per_line.net_minor, per_line.tax_minor, per_line.total_minor) == (2030, 204, 2234)
    sales.void_draft(per_line.id)
    models.Store.update(rounding="total").execute()
    on_total = cart(luis, "E1", "E2")
    assert (on_total.net_minor, on_total.tax_minor, on_total.total_minor) == (2030, 203, 2233)
    receipt = sales.checkout(on_total.uuid, [Tender("card", 2233)])
    assert (receipt.tax_minor, receipt.total_minor) == (203, 2233)
    assert invoices.for_order(receipt.order_id)[0].tax_minor == 203


def test_cash_rounding_applies_to_cash_only(open_till, luis):
    models.Store.update(cash_rounding_minor=5).execute()
    product = models.Product.get(models.Product.sku == "P021")
    product.price_minor = 997
    product.save()
    sale = cart(luis, "P021")
    receipt = sales.checkout(sale.uuid, [Tender("cash", 1000)])
    assert [(p.method, p.amount_minor, p.change_minor) for p in receipt.payments] == [
        ("cash", 995, 5), ("rounding", 2, 0)]
    assert sessions.current_session("T1").expected_cash_minor == 10_000 + 995
    card = cart(luis, "P021")
    receipt = sales.checkout(card.uuid, [Tender("card", 997)])
    assert [(p.method, p.amount_minor) for p in receipt.payments] == [("card", 997)]
    rounded = receipts.get_receipt(receipt.order_id - 1)
    assert "Cash rounding" in receipts.render_text(rounded, "Shop", str)


def test_a_whole_sale_discount_above_the_limit_needs_a_manager(open_till, luis):
    sale = cart(luis, "2*P021")  # 9,00
    sale = sales.set_order_discount(sale.id, 1000, luis.id)
    assert sale.total_minor == 810
    with pytest.raises(ApprovalNeeded):
        sales.set_order_discount(sale.id, 2000, luis.id)
    sale = sales.set_order_discount(sale.id, 2000, luis.id, manager_pin=ANA_PIN)
    assert (sale.order_discount_bp, sale.total_minor) == (2000, 720)


RATES = st.sampled_from([0, 400, 1000, 1050, 1600, 2100])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(st.integers(1, 99_999), st.integers(1, 30), RATES, st.booleans(),
                                st.integers(0, 1000)), min_size=1, max_size=6),
       order_discount=st.integers(0, 1000), rounding=st.sampled_from(["line", "total"]))
def test_screen_receipt_and_invoice_totals_agree(open_till, luis, lines, order_discount, rounding):
    models.Store.update(rounding=rounding, discount_limit_bp=10_000).execute()
    sale = sales.current_sale("T1", luis.id)
    for index, (price, qty, rate, included, discount) in enumerate(lines):
        product = models.Product.create(sku=f"H{models.Product.select().count()}-{index}", name="Thing",
                                        price_minor=price, tax_rate_bp=rate, price_includes_tax=included)
        sale, line_id = sales.add_product(sale.id, product.id, qty)
        sale = sales.set_line_discount(sale.id, line_id, discount, luis.id)
    screen = sales.set_order_discount(sale.id, order_discount, luis.id)
    assert screen.total_minor == screen.net_minor + screen.tax_minor
    assert screen.total_minor == sum(t.net_minor + t.tax_minor for t in screen.taxes)
    receipt = sales.checkout(screen.uuid, [Tender("card", screen.total_minor)])
    [invoice] = invoices.for_order(receipt.order_id)
    assert receipt.total_minor == screen.total_minor == invoice.total_minor
    assert (invoice.net_minor, invoice.tax_minor) == (screen.net_minor, screen.tax_minor)
    assert sum(p.amount_minor for p in receipt.payments) == screen.total_minor
    assert sum(t["net_minor"] + t["tax_minor"] for t in invoice.taxes) == invoice.total_minor


# Invoices ---------------------------------------------------------------------------------------------


def test_every_sale_gets_a_simplified_invoice_numbered_without_gaps(open_till, luis):
    numbers = [invoices.for_order(sales.checkout(cart(luis, "P001").uuid, [Tender("cash", 95)]).order_id)[0].number
               for _ in range(3)]
    year = now().year
    assert numbers == [f"T{year}-000001", f"T{year}-000002", f"T{year}-000003"]
    assert {i.kind for i in invoices.list_invoices()} == {"simplified"}


def test_an_invoice_needs_a_customer_with_complete_fiscal_data(open_till, luis):
    sale = cart(luis, "P001")
    with pytest.raises(ValidationError, match="needs a customer"):
        sales.set_invoice(sale.id, True)
    walk_in = customers.create_customer({"name": "Pedro Gil"})
    sales.set_customer(sale.id, walk_in.id)
    with pytest.raises(FiscalDataMissing) as missing:
        sales.set_invoice(sale.id, True)
    assert missing.value.fields == ["tax_id", "street", "city", "postal_code"]
    assert "tax ID" in missing.value.message
    customers.update_customer(walk_in.id, {"tax_id": "12345678Z", "street": "Calle Uno 1", "city": "Madrid",
                                           "postal_code": "28001"})
    assert sales.set_invoice(sale.id, True).invoice_requested
    receipt = sales.checkout(sale.uuid, [Tender("cash", 95)])
    assert receipt.invoice_number == f"F{now().year}-000001" and receipt.invoice_kind == "invoice"


def test_a_mexican_store_asks_for_the_cfdi_fields(database):
    from pos_tui.services import cashiers, store

    store.setup_store("Abarrotes", "MX", "MXN", "Rosa", "4321")
    client = customers.create_customer({"name": "Cliente SA de CV", "tax_id": "GOMA800101K30"})
    rosa = cashiers.authenticate("Rosa", "4321")
    sessions.open_session("T1", rosa.id, 0)
    product = models.Product.create(sku="X1", name="Refresco", price_minor=2000, tax_rate_bp=1600)
    sale = sales.current_sale("T1", rosa.id)
    sales.add_product(sale.id, product.id)
    sales.set_customer(sale.id, client.id)
    with pytest.raises(FiscalDataMissing) as missing:
        sales.set_invoice(sale.id, True)
    assert missing.value.fields == ["fiscal.regime", "fiscal.tax_postal_code", "fiscal.cfdi_use"]


def test_the_invoice_keeps_the_data_it_was_issued_with(open_till, luis, company):
    sale = cart(luis, "P021", customer_id=company.id)
    sales.set_invoice(sale.id, True)
    receipt = sales.checkout(sale.uuid, [Tender("card", 450)])
    customers.update_customer(company.id, {"name": "Otro Nombre S.A.", "street": "Calle Nueva 9"},
                              allow_duplicates=True)
    models.Store.update(name="Renamed shop").execute()
    invoice = invoices.get_invoice(receipt.invoice_number)
    assert invoice.customer["name"] == "Ferretería Norte S.L." and invoice.customer["street"] == "Calle Sol 4"
    assert invoice.store["name"] == "Ultramarinos La Esquina" and invoice.store["tax_id"] == "B85743219"
    assert invoice.lines[0]["name"] == "Cerveza (6 latas)" and invoice.payments[0]["method"] == "card"


def test_a_checkout_that_fails_takes_no_number(open_till, luis, company):
    sale = cart(luis, "P021", customer_id=company.id)
    sales.set_invoice(sale.id, True)
    customers.update_customer(company.id, {"street": ""})
    with pytest.raises(FiscalDataMissing):
        sales.checkout(sale.uuid, [Tender("card", 450)])
    assert models.Invoice.select().count() == 0
    assert models.Sequence.select().where(models.Sequence.name.startswith("invoice:")).count() == 0


# Refunds ---------------------------------------------------------------------------------------------


def test_refund_some_lines_never_more_than_sold(open_till, luis):
    receipt = sales.checkout(cart(luis, "3*P001", "P021").uuid, [Tender("card", 285 + 450)])
    assert refunds.find_sale(receipt.number) == receipt.order_id
    assert refunds.find_sale(receipt.invoice_number) == receipt.order_id
    sale = refunds.refundable(receipt.order_id)
    milk = next(line for line in sale.lines if line.sku == "P001")
    back = refunds.refund(receipt.order_id, {milk.line_id: 2}, "T1", luis.id)
    assert back.total_minor == -190 and back.refund_of == receipt.number
    assert [(p.method, p.amount_minor) for p in back.payments] == [("card", -190)]
    with pytest.raises(ValidationError, match="at most 1"):
        refunds.refund(receipt.order_id, {milk.line_id: 2}, "T1", luis.id)
    back = refunds.refund(receipt.order_id, {milk.line_id: 1}, "T1", luis.id, method="cash")
    assert [(p.method, p.amount_minor) for p in back.payments] == [("cash", -95)]
    assert refunds.refundable(receipt.order_id).lines[0].returnable == 0
    info = sessions.current_session("T1")
    assert info.sales_count == 1 and info.sales_total_minor == 735 - 285
    assert info.expected_cash_minor == 10_000 - 95
    report = zreport.z_report(info.id)
    assert (report.refunds_count, report.refunds_total_minor) == (2, -285)


def test_refunding_an_invoiced_sale_issues_a_credit_note(open_till, luis, company):
    sale = cart(luis, "2*P021", customer_id=company.id)
    sales.set_invoice(sale.id, True)
    receipt = sales.checkout(sale.uuid, [Tender("cash", 900)])
    line = refunds.refundable(receipt.order_id).lines[0]
    back = refunds.refund(receipt.order_id, {line.line_id: 1}, "T1", luis.id)
    assert back.invoice_kind == "credit_note" and back.invoice_number == f"R{now().year}-000001"
    note = invoices.get_invoice(back.invoice_number)
    assert note.corrects == receipt.invoice_number and note.total_minor == -450
    assert note.customer["tax_id"] == "B85743219"


def test_a_refund_needs_a_known_paid_sale_and_an_open_session(open_till, luis):
    with pytest.raises(NotFound):
        refunds.find_sale("T1-999999")
    receipt = sales.checkout(cart(luis, "P001").uuid, [Tender("cash", 95)])
    line = refunds.refundable(receipt.order_id).lines[0]
    with pytest.raises(ValidationError):
        refunds.refund(receipt.order_id, {}, "T1", luis.id)
    sessions.close_session("T1", 10_095, luis.id)
    with pytest.raises(Exception, match="Open a session"):
        refunds.refund(receipt.order_id, {line.line_id: 1}, "T1", luis.id)


def test_a_full_refund_nets_to_zero(open_till, luis):
    models.Store.update(rounding="total").execute()
    receipt = sales.checkout(cart(luis, "3*P001", "2*P021", "P030").uuid, [Tender("card", 285 + 900 + 190)])
    sale = refunds.refundable(receipt.order_id)
    back = refunds.refund(receipt.order_id, {line.line_id: line.sold for line in sale.lines}, "T1", luis.id)
    assert back.total_minor == -receipt.total_minor
    assert back.net_minor == -receipt.net_minor and back.tax_minor == -receipt.tax_minor


# Customer credit ---------------------------------------------------------------------------------------


def test_pay_on_account_and_the_aging_report(open_till, luis, company):
    sales.checkout(cart(luis, "2*P021", customer_id=company.id).uuid, [Tender("account", 900)], cashier_id=luis.id)
    sales.checkout(cart(luis, "P022", customer_id=company.id).uuid, [Tender("account", 790)], cashier_id=luis.id)
    first, second = models.Payment.select().where(models.Payment.method == "account").order_by(models.Payment.id)
    first.due_at = now() - timedelta(days=45)  # 45 days late
    first.save()
    [row] = credit.aging()
    assert row.buckets == {"current": 790, "1-30": 0, "31-60": 900, "61-90": 0, "90+": 0}
    with pytest.raises(ValidationError, match="more than"):
        credit.receive_payment(company.id, 5_000, "cash", "T1", luis.id)
    receipt = credit.receive_payment(company.id, 1_000, "cash", "T1", luis.id)
    assert receipt.total_minor == 0 and credit.balance(company.id) == 690
    [row] = credit.aging()
    assert row.buckets == {"current": 690, "1-30": 0, "31-60": 0, "61-90": 0, "90+": 0}  # the oldest paid first
    info = sessions.current_session("T1")
    assert info.expected_cash_minor == 10_000 + 1_000
    report = zreport.z_report(info.id)
    assert (report.account_payments_count, report.account_payments_minor) == (1, 1_000)
    assert report.sales_count == 2


def test_refunding_a_sale_on_account_lowers_the_balance(open_till, luis, company):
    receipt = sales.checkout(cart(luis, "2*P021", customer_id=company.id).uuid, [Tender("account", 900)],
                             cashier_id=luis.id)
    line = refunds.refundable(receipt.order_id).lines[0]
    refunds.refund(receipt.order_id, {line.line_id: 1}, "T1", luis.id)
    assert credit.balance(company.id) == 450


def test_numbers_stay_gapless_across_reopening(db_path, open_till, luis):
    sales.checkout(cart(luis, "P001").uuid, [Tender("cash", 95)])
    db.close_database()
    db.open_database(str(db_path))
    receipt = sales.checkout(cart(luis, "P001").uuid, [Tender("cash", 95)])
    assert receipt.invoice_number.endswith("-000002")
