"""Customer credit (the guide's "términos de crédito"): sales put on the customer's account, up to
their credit limit, due after their payment terms. Going over the limit is a manager's decision."""

from __future__ import annotations

from datetime import datetime, timedelta

from peewee import fn

from pos_tui import models
from pos_tui.errors import ValidationError
from pos_tui.i18n import _
from pos_tui.services import approvals
from pos_tui.services.payments import ACCOUNT
from pos_tui.services.store import require_store


def balance(customer_id: int) -> int:
    """What the customer owes: sales on account, not yet paid back (minor units)."""
    P, O = models.Payment, models.Order
    owed = (P.select(fn.COALESCE(fn.SUM(P.amount_minor), 0)).join(O)
            .where((O.customer == customer_id) & (O.state == "paid") & (P.method == ACCOUNT)).scalar())
    return int(owed)


def check_account_sale(order: models.Order, amount_minor: int, *, cashier_id: int | None,
                       manager_pin: str | None) -> None:
    """Inside the checkout: may `amount_minor` go on the customer's account? Over the limit a
    manager approves, or `ApprovalNeeded` stops the checkout and nothing is written."""
    if amount_minor <= 0:
        return
    if order.customer_id is None:
        raise ValidationError("method", _("a sale on account needs a customer on the sale"))
    customer = models.Customer.get_by_id(order.customer_id)
    owed = balance(customer.id)
    if owed + amount_minor > customer.credit_limit_minor:
        money = require_store().money
        approvals.approve(manager_pin, "credit",
                          _("{name} would owe {total}; the credit limit is {limit}").format(
                              name=customer.name, total=money(owed + amount_minor),
                              limit=money(customer.credit_limit_minor)),
                          cashier_id=cashier_id, till=order.till, order_id=order.id,
                          details={"owed": owed, "amount": amount_minor, "limit": customer.credit_limit_minor})


def due_date(customer_id: int, paid_at: datetime) -> datetime:
    terms = models.Customer.get_by_id(customer_id).payment_terms_days
    return paid_at + timedelta(days=terms)
