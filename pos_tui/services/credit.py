"""Customer credit (the guide's "términos de crédito"): sales put on the customer's account, up to
their credit limit, due after their payment terms. Going over the limit is a manager's decision."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from peewee import fn

from pos_tui import models
from pos_tui.db import lock_row, now, transactional
from pos_tui.errors import NotFound, StateError, ValidationError
from pos_tui.i18n import _
from pos_tui.services import approvals, events
from pos_tui.services.numbering import next_order_number
from pos_tui.services.payments import ACCOUNT, CARD, CASH, TRANSFER
from pos_tui.services.receipts import Receipt, get_receipt
from pos_tui.services.sessions import check_till
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
    lock_row(models.Customer, order.customer_id)  # what they owe stays true until the commit
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


@transactional
def receive_payment(customer_id: int, amount_minor: int, method: str, till: str,
                    cashier_id: int | None = None) -> Receipt:
    """Money a customer pays towards what they owe, taken at the till (on the Z report)."""
    S = models.PosSession
    session = S.get_or_none((S.till == check_till(till)) & S.closed_at.is_null())
    if session is None:
        raise StateError(_("Open a session on till {till} before taking money.").format(till=till))
    if method not in (CASH, CARD, TRANSFER):
        raise ValidationError("method", _("pay on account in cash, by card or by transfer"))
    lock_row(models.Customer, customer_id)  # what they owe stays true until the commit
    customer = models.Customer.get_or_none(models.Customer.id == customer_id)
    if customer is None:
        raise NotFound(_("No customer with id {id}.").format(id=customer_id))
    owed = balance(customer_id)
    if amount_minor <= 0:
        raise ValidationError("amount", _("must be more than zero"))
    if amount_minor > owed:
        raise ValidationError("amount", _("is more than the {owed} owed").format(owed=require_store().money(owed)))
    at = now()
    order = models.Order.create(uuid=uuidlib.uuid4(), till=till, session=session, customer=customer_id,
                                cashier=cashier_id or session.cashier_id, kind="account_payment", state="paid",
                                paid_at=at, number=next_order_number(till))
    models.Payment.create(order=order, method=method, amount_minor=amount_minor, tendered_minor=amount_minor,
                          created_at=at)
    models.Payment.create(order=order, method=ACCOUNT, amount_minor=-amount_minor, tendered_minor=-amount_minor,
                          created_at=at)
    events.emit(events.ACCOUNT_PAYMENT, "order", order.id,
                {"id": order.id, "number": order.number, "customer_id": customer_id, "method": method,
                 "amount_minor": amount_minor, "paid_at": at, "balance_minor": owed - amount_minor})
    return get_receipt(order.id)


BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


@dataclass(frozen=True)
class Aging:
    customer_id: int
    name: str
    buckets: dict[str, int]  # bucket -> amount owed (minor units)
    credit_limit_minor: int

    @property
    def total_minor(self) -> int:
        return sum(self.buckets.values())


def _bucket(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "1-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    return "90+"


def aging(today: date | None = None) -> list[Aging]:
    """What each customer owes, by how late it is: money received pays the oldest debts first."""
    today = today or now().date()
    P, O, C = models.Payment, models.Order, models.Customer
    rows = (P.select(O.customer, P.amount_minor, P.due_at, P.created_at).join(O)
            .where((P.method == ACCOUNT) & (O.state == "paid") & O.customer.is_null(False))
            .order_by(O.customer, P.due_at, P.id).tuples())
    charges: dict[int, list[list]] = {}
    paid_back: dict[int, int] = {}
    for customer, amount, due, created in rows:
        if amount > 0:
            charges.setdefault(customer, []).append([due or created, amount])
        else:
            paid_back[customer] = paid_back.get(customer, 0) - amount
    result = []
    names = {c.id: (c.name, c.credit_limit_minor) for c in C.select(C.id, C.name, C.credit_limit_minor)
             .where(C.id.in_(list(charges)))} if charges else {}
    for customer, debts in charges.items():
        left = paid_back.get(customer, 0)
        buckets = dict.fromkeys(BUCKETS, 0)
        for due, amount in debts:
            settled = min(left, amount)
            left -= settled
            if amount - settled:
                buckets[_bucket((today - due.date()).days)] += amount - settled
        if any(buckets.values()):
            name, limit = names.get(customer, ("?", 0))
            result.append(Aging(customer, name, buckets, limit))
    return sorted(result, key=lambda row: -row.total_minor)
