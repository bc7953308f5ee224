"""Cashiers, manager approvals, cash movements, closing by method, parking, the Z report."""

from datetime import timedelta

import pytest

from pos_tui import models
from pos_tui.db import now
from pos_tui.errors import NotFound, PosError, StateError, ValidationError
from pos_tui.services import approvals, cashiers, sales, sessions, zreport
from pos_tui.services.approvals import ApprovalNeeded, WrongManagerPin
from pos_tui.services.cashiers import LockedOut
from pos_tui.services.payments import Tender

ANA_PIN = "1234"  # Ana is the demo store's manager; Luis (2345) is a cashier


@pytest.fixture
def luis(shop):
    return cashiers.authenticate("Luis", "2345")


@pytest.fixture
def sale(open_till, luis):
    return sales.current_sale("T1", luis.id)


def sell(luis, code, tenders, customer_id=None):
    sale = sales.current_sale("T1", luis.id)
    sales.add_code(sale.id, code)
    if customer_id:
        sales.set_customer(sale.id, customer_id)
    return sales.checkout(sale.uuid, tenders)


# Cashiers ---------------------------------------------------------------------------------------


def test_wrong_pins_in_a_row_make_the_cashier_wait(shop):
    for _ in range(cashiers.FREE_ATTEMPTS):
        with pytest.raises(PosError, match="Wrong cashier or PIN"):
            cashiers.authenticate("Luis", "0000")
    with pytest.raises(LockedOut) as locked:  # even the right PIN must wait now
        cashiers.authenticate("Luis", "2345")
    assert 1 <= locked.value.seconds <= cashiers.FIRST_WAIT.total_seconds()
    row = models.Cashier.get(models.Cashier.name == "Luis")
    row.locked_until = now() - timedelta(seconds=1)  # the wait is over
    row.save()
    with pytest.raises(PosError, match="Wrong"):
        cashiers.authenticate("Luis", "0000")
    row = models.Cashier.get(models.Cashier.name == "Luis")
    assert row.failed_attempts == cashiers.FREE_ATTEMPTS + 1
    assert row.locked_until - now() > cashiers.FIRST_WAIT  # and it doubles
    row.locked_until = None
    row.save()
    assert cashiers.authenticate("Luis", "2345").name == "Luis"
    assert models.Cashier.get(models.Cashier.name == "Luis").failed_attempts == 0


def test_reset_pin_and_disable(shop):
    cashiers.reset_pin("Luis", "9876")
    assert cashiers.authenticate("Luis", "9876").role == "cashier"
    cashiers.set_active("Luis", False)
    with pytest.raises(PosError):
        cashiers.authenticate("Luis", "9876")
    with pytest.raises(PosError, match="last active manager"):
        cashiers.set_active("Ana", False)
    with pytest.raises(NotFound):
        cashiers.reset_pin("Nobody", "1111")
    with pytest.raises(ValidationError):
        cashiers.reset_pin("Luis", "12")


def test_only_a_managers_pin_approves(shop):
    assert cashiers.find_manager(ANA_PIN).name == "Ana"
    assert cashiers.find_manager("2345") is None  # Luis is not a manager


# Approvals at the till ---------------------------------------------------------------------------


def test_a_discount_above_the_limit_needs_a_manager(sale, luis):
    sale, line_id = sales.add_code(sale.id, "P021")  # 4.50
    sale = sales.set_line_discount(sale.id, line_id, 1000, luis.id)  # 10 %: the limit, allowed
    assert sale.total_minor == 405
    with pytest.raises(ApprovalNeeded, match="discount"):
        sales.set_line_discount(sale.id, line_id, 2500, luis.id)
    with pytest.raises(WrongManagerPin):
        sales.set_line_discount(sale.id, line_id, 2500, luis.id, manager_pin="2345")
    assert sales.get_sale(sale.id).total_minor == 405  # nothing changed
    assert models.Approval.select().count() == 0
    sale = sales.set_line_discount(sale.id, line_id, 2500, luis.id, manager_pin=ANA_PIN)
    assert sale.total_minor == 337  # 4.50 less 1.125, rounded half up
    [approval] = approvals.list_approvals(order_id=sale.id)
    assert (approval.manager, approval.cashier, approval.action) == ("Ana", "Luis", "discount")


def test_a_manual_discount_survives_setting_a_customer(sale, luis):
    sale, line_id = sales.add_code(sale.id, "P021")
    sales.set_line_discount(sale.id, line_id, 500, luis.id)
    from pos_tui.services import customers
    vip = customers.create_customer({"name": "Vip Cliente", "discount": "10"})
    sale = sales.set_customer(sale.id, vip.id)
    assert models.OrderLine.get_by_id(line_id).discount_bp == 500


def test_a_price_change_always_needs_a_manager(sale, luis):
    sale, line_id = sales.add_code(sale.id, "P021")
    with pytest.raises(ApprovalNeeded, match="price"):
        sales.override_price(sale.id, line_id, 300, luis.id)
    sale = sales.override_price(sale.id, line_id, 300, luis.id, manager_pin=ANA_PIN)
    line = models.OrderLine.get_by_id(line_id)
    assert (line.unit_price_minor, line.list_price_minor, sale.total_minor) == (300, 450, 300)


def test_voiding_a_paid_sale_needs_a_manager_and_leaves_the_totals(open_till, luis):
    receipt = sell(luis, "P021", [Tender("cash", 450)])
    with pytest.raises(ApprovalNeeded):
        sales.void_paid(receipt.order_id, luis.id)
    sales.void_paid(receipt.order_id, luis.id, manager_pin=ANA_PIN)
    assert models.Order.get_by_id(receipt.order_id).state == "voided"
    info = sessions.current_session("T1")
    assert (info.sales_count, info.expected_cash_minor) == (0, 10_000)


# Cash and closing ------------------------------------------------------------------------------------


def test_cash_in_and_out_count_in_the_drawer(open_till, luis):
    sessions.move_cash("T1", 5_000, "Change from the bank", luis.id)
    info = sessions.move_cash("T1", -2_000, "Paid the window cleaner", luis.id)
    assert info.expected_cash_minor == 10_000 + 5_000 - 2_000
    with pytest.raises(ValidationError) as bad:
        sessions.move_cash("T1", 0, " ", luis.id)
    assert set(bad.value.errors) == {"reason", "amount"}
    with pytest.raises(ValidationError):
        sessions.move_cash("T1", -1_000_000, "Too much", luis.id)


def test_closing_counts_every_method_and_notes_and_coins(open_till, luis):
    sell(luis, "P021", [Tender("cash", 500)])
    sell(luis, "P022", [Tender("card", 790)])
    closed = sessions.close_session("T1", {"card": 790}, luis.id,
                                    cash_count={5000: 2, 200: 2, 50: 1})  # 104.50
    by_method = {c.method: (c.expected_minor, c.counted_minor) for c in closed.counts}
    assert by_method == {"cash": (10_450, 10_450), "card": (790, 790)}
    assert closed.cash_count == {5000: 2, 200: 2, 50: 1}


def test_a_cash_difference_above_the_limit_needs_a_manager(open_till, luis):
    with pytest.raises(ApprovalNeeded, match="cash differs"):
        sessions.close_session("T1", 9_000, luis.id)
    assert sessions.current_session("T1") is not None
    closed = sessions.close_session("T1", 9_000, luis.id, manager_pin=ANA_PIN)
    assert closed.difference_minor == -1_000
    assert approvals.list_approvals(session_id=closed.id)[0].action == "cash_difference"
    # within the limit (5.00 by default) a cashier closes alone
    sessions.open_session("T1", luis.id, 0)
    assert sessions.close_session("T1", 300, luis.id).difference_minor == 300


def test_closing_is_refused_with_a_sale_in_progress(sale, luis):
    sales.add_code(sale.id, "P001")
    with pytest.raises(sessions.SaleInProgress):
        sessions.close_session("T1", 10_000, luis.id)
    sales.park_sale(sale.id)
    assert sessions.close_session("T1", 10_000, luis.id).closed_at is not None


def test_park_and_recall(sale, luis):
    sales.add_code(sale.id, "P001")
    sales.park_sale(sale.id)
    fresh = sales.current_sale("T1", luis.id)
    assert fresh.id != sale.id and fresh.lines == ()
    assert [p.id for p in sales.parked_sales("T1")] == [sale.id]
    sales.add_code(fresh.id, "P002")
    with pytest.raises(StateError, match="Park or void"):
        sales.recall_sale("T1", sale.id)
    sales.void_draft(fresh.id)
    back = sales.recall_sale("T1", sale.id)
    assert back.id == sale.id and back.lines[0].sku == "P001"
    assert sales.current_sale("T1", luis.id).id == sale.id
    with pytest.raises(NotFound):
        sales.recall_sale("T2", sale.id)


def test_z_report_adds_up(open_till, luis):
    sell(luis, "P021", [Tender("cash", 500)])  # 4.50 at 21 %
    sell(luis, "2*P001", [Tender("card", 190)])  # 1.90 at 4 %
    voided = sell(luis, "P022", [Tender("cash", 790)])
    sales.void_paid(voided.order_id, luis.id, manager_pin=ANA_PIN)
    sessions.move_cash("T1", -1_000, "Supplier", luis.id)
    closed = sessions.close_session("T1", {"cash": 10_000 + 450 - 1_000, "card": 190}, luis.id)
    report = zreport.z_report(closed.id)
    assert (report.sales_count, report.sales_total_minor) == (2, 640)
    assert dict(report.by_method) == {"cash": 450, "card": 190}
    assert [(t.rate_bp, t.net_minor + t.tax_minor) for t in report.by_tax_rate] == [(400, 190), (2100, 450)]
    assert report.net_minor + report.tax_minor == report.sales_total_minor
    assert [v.number for v in report.voided] == ["T1-000003"]
    assert [m.amount_minor for m in report.cash_moves] == [-1_000]
    assert (report.first_number, report.last_number) == ("T1-000001", "T1-000002")
    assert report.approvals == 1
    text = zreport.render_text(report, "Shop", lambda m: f"{m / 100:.2f}")
    assert "Z REPORT" in text and "Voided T1-000003" in text and "Supplier" in text


# Sales on a customer's account ------------------------------------------------------------------------


@pytest.fixture
def bar(shop):
    from pos_tui.services import customers

    return customers.create_customer({"name": "Bar El Puerto S.L.", "credit_limit": "10", "payment_terms_days": "30",
                                      "is_company": True})


def test_a_sale_on_account_needs_a_customer(open_till, luis):
    sale = sales.current_sale("T1", luis.id)
    sales.add_code(sale.id, "P021")
    with pytest.raises(ValidationError, match="needs a customer"):
        sales.checkout(sale.uuid, [Tender("account", 450)], cashier_id=luis.id)
    assert models.Payment.select().count() == 0


def test_credit_up_to_the_limit_then_a_manager(open_till, luis, bar):
    from pos_tui.services import credit

    first = sell(luis, "2*P021", [Tender("account", 900)], customer_id=bar.id)  # 9,00 of 10,00
    [payment] = first.payments
    assert payment.due_at is not None and (payment.due_at - models.Order.get_by_id(first.order_id).paid_at).days == 30
    assert credit.balance(bar.id) == 900
    sale = sales.current_sale("T1", luis.id)
    sales.add_code(sale.id, "P021")
    sales.set_customer(sale.id, bar.id)
    with pytest.raises(ApprovalNeeded, match="credit limit"):
        sales.checkout(sale.uuid, [Tender("account", 450)], cashier_id=luis.id)
    assert models.Order.get_by_id(sale.id).state == "draft"
    sales.checkout(sale.uuid, [Tender("account", 450)], cashier_id=luis.id, manager_pin=ANA_PIN)
    assert credit.balance(bar.id) == 1_350
    assert approvals.list_approvals(order_id=sale.id)[0].action == "credit"
    # the account is not money in the drawer: not counted at closing
    closed = sessions.close_session("T1", 10_000, luis.id)
    assert [c.method for c in closed.counts] == ["cash"]
    assert dict(zreport.z_report(closed.id).by_method) == {"account": 1_350}
