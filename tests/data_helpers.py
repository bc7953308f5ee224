"""A store with a little of everything, for the export, import, privacy and backup tests: a
company that asks for invoices, sales with and without a customer, a refund (negative amounts), a
loyalty adjustment, a closed session."""

from __future__ import annotations

from dataclasses import dataclass

from pos_tui import models
from pos_tui.services import cashiers, customers, loyalty, refunds, sales, sessions
from pos_tui.services.payments import Tender

COMPANY = {"name": "Ferretería Norte S.L.", "is_company": True, "tax_id": "B85743219", "street": "Calle Sol 4",
           "city": "Madrid", "postal_code": "28004", "email": "compras@ferreteria-norte.es",
           "phone": "+34 915 000 111", "notes": "Prefiere factura en papel", "credit_limit": "100",
           "payment_terms_days": "30", "marketing_consent": True}


@dataclass(frozen=True)
class Activity:
    company_id: int
    invoiced_order_id: int
    invoice_number: str
    plain_order_id: int
    refund_order_id: int
    session_id: int


def sell(till: str, cashier_id: int, codes: list[str], tenders: list[Tender], customer_id: int | None = None,
         invoice: bool = False):
    sale = sales.current_sale(till, cashier_id)
    for code in codes:
        sales.add_code(sale.id, code)
    if customer_id:
        sales.set_customer(sale.id, customer_id)
    if invoice:
        sales.set_invoice(sale.id, True)
    return sales.checkout(sale.uuid, tenders)


def make_activity() -> Activity:
    """On the demo store (the `shop` fixture): a session on T1, three sales, a refund, a closed
    session, a loyalty adjustment."""
    ana = cashiers.authenticate("Ana", "1234")
    session = sessions.open_session("T1", ana.id, 10_000)
    company = customers.create_customer(COMPANY, ana.id)
    invoiced = sell("T1", ana.id, ["2*P021"], [Tender("card", 900)], company.id, invoice=True)
    plain = sell("T1", ana.id, ["P002", "P005"], [Tender("cash", 1000)])
    line = refunds.refundable(invoiced.order_id).lines[0]
    refund = refunds.refund(invoiced.order_id, {line.line_id: 1}, "T1", ana.id)
    loyalty.adjust(company.id, 5, "Compensación: pedido roto, llamó Marta Ruiz", ana.id)
    drawer = models.PosSession.get_by_id(session.id).opening_float_minor
    cash = sum(p.amount_minor for p in models.Payment.select().where(models.Payment.method == "cash"))
    sessions.close_session("T1", drawer + cash, ana.id)
    return Activity(company.id, invoiced.order_id, invoiced.invoice_number, plain.order_id, refund.order_id,
                    session.id)
