"""The change feed: every change other systems need, in the transaction of the change."""

import pytest

from pos_tui import models
from pos_tui.errors import ValidationError
from pos_tui.services import customers, events, refunds, sales, sessions
from pos_tui.services.payments import Tender


def kinds(after: int = 0) -> list[str]:
    return [e.kind for e in events.after(after)]


def test_customer_changes_are_told(database):
    start = events.last_cursor()
    info = customers.create_customer({"name": "Eva Luna", "email": "eva@example.es", "phone": "+34 612 000 111"})
    customers.update_customer(info.id, {"city": "Cádiz"})
    customers.archive_customer(info.id)
    customers.archive_customer(info.id, archived=False)
    told = events.after(start)
    assert [e.kind for e in told] == ["customer.created", "customer.updated", "customer.archived",
                                      "customer.restored"]
    assert told[0].payload["email"] == "eva@example.es" and told[0].payload["phone_e164"] == "+34612000111"
    assert told[1].payload["changed"] == ["city"] and told[1].payload["city"] == "Cádiz"
    assert [e.cursor for e in told] == list(range(start + 1, start + 5))


def test_a_refused_change_tells_nothing(database):
    start = events.last_cursor()
    with pytest.raises(ValidationError):
        customers.create_customer({"name": "", "email": "x"})
    assert events.after(start) == []


def test_sales_refunds_invoices_and_closing_are_told(open_till, ana):
    start = events.last_cursor()
    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, "2*P021")
    receipt = sales.checkout(sale.uuid, [Tender("cash", 1000)])
    line = refunds.refundable(receipt.order_id).lines[0]
    refunds.refund(receipt.order_id, {line.line_id: 1}, "T1", ana.id)
    sessions.close_session("T1", 10_000 + 900 - 450, ana.id)
    told = events.after(start)
    assert [e.kind for e in told] == ["invoice.issued", "sale.paid", "stock.moved", "invoice.issued",
                                      "refund.paid", "stock.moved", "session.closed"]
    assert [(e.payload["kind"], e.payload["quantity"]) for e in told if e.kind == "stock.moved"] == [
        ("sale", "-2"), ("refund", "1")]
    told = [e for e in told if e.kind != "stock.moved"]
    paid = told[1].payload
    assert (paid["number"], paid["total_minor"], paid["payments"]) == (
        "T1-000001", 900, [{"method": "cash", "amount_minor": 900}])
    assert told[2].payload["kind"] == "credit_note" and told[2].payload["corrects"] == receipt.invoice_number
    assert told[4].payload["sales_total_minor"] == 450


def test_reading_the_feed_in_pages(database):
    for n in range(5):
        customers.create_customer({"name": f"Cliente {n}"}, allow_duplicates=True)
    everything = events.after(0)
    first = events.after(0, limit=2)
    rest = events.after(first[-1].cursor)
    assert [e.cursor for e in first + rest] == [e.cursor for e in everything]
    assert models.Event.select().count() == len(everything)
