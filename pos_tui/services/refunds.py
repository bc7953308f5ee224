"""Refunds: some or all of a past sale's lines come back, never more than were sold minus what
already came back. The refund is a sale of its own (negative), linked to the original, paid out
to the original methods or in cash, with a credit note that corrects the sale's invoice or ticket."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from peewee import fn

from pos_tui import models, quantity
from pos_tui.db import lock_row, now, transactional
from pos_tui.errors import NotFound, StateError, ValidationError
from pos_tui.i18n import _
from pos_tui.services import events, invoices, loyalty, pricing, stock
from pos_tui.services.numbering import next_order_number
from pos_tui.services.payments import CASH, ROUNDING
from pos_tui.services.receipts import Receipt, get_receipt
from pos_tui.services.sessions import check_till

ORIGINAL, IN_CASH = "original", "cash"


@dataclass(frozen=True)
class RefundableLine:
    line_id: int
    name: str
    sku: str
    sold: Decimal  # 3 (Units) or 0.750 (kg)
    returned: Decimal
    unit_total_minor: int  # what one of them cost, discounts included (the line's average)
    uom: str = quantity.UNITS
    total_minor: int = 0  # what the whole line cost, discounts included

    @property
    def returnable(self) -> Decimal:
        return self.sold - self.returned

    @property
    def weighed(self) -> bool:
        """A line in a unit with decimals (kg): part of it can come back, typed."""
        return quantity.decimals(self.uom) > 0

    def amount_for(self, qty: Decimal | int) -> int:
        """About what `qty` of the line gives back: its share of what the line cost (the refund
        itself is computed by the tax engine, like a sale)."""
        if not self.sold:
            return 0
        return int((Decimal(self.total_minor) * Decimal(qty) / self.sold).to_integral_value(ROUND_HALF_UP))


@dataclass(frozen=True)
class RefundableSale:
    order_id: int
    number: str
    paid_at: datetime
    customer: str | None
    total_minor: int
    invoice_number: str | None
    lines: tuple[RefundableLine, ...]
    methods: tuple[str, ...]


def find_sale(text: str) -> int:
    """The paid sale a receipt number (`T1-000012`) or invoice number (`F2026-000003`) names."""
    code = (text or "").strip().upper()
    O = models.Order
    order = O.get_or_none((O.number == code) & (O.kind == "sale"))
    if order is None:
        invoice = models.Invoice.get_or_none(models.Invoice.number == code)
        order = invoice.order if invoice and invoice.order.kind == "sale" else None
    if order is None or order.state != "paid":
        raise NotFound(_("No paid sale numbered {code}.").format(code=code))
    return order.id


def _returned(line_ids: list[int]) -> dict[int, Decimal]:
    L, O = models.OrderLine, models.Order
    rows = (L.select(L.refund_of, fn.SUM(0 - L.quantity)).join(O)
            .where(L.refund_of.in_(line_ids) & (O.state == "paid")).group_by(L.refund_of).tuples())
    return {line_id: Decimal(str(qty)) for line_id, qty in rows}


def refundable(order_id: int) -> RefundableSale:
    O, L = models.Order, models.OrderLine
    order = O.get_or_none((O.id == order_id) & (O.state == "paid") & (O.kind == "sale"))
    if order is None:
        raise NotFound(_("No paid sale with id {id}.").format(id=order_id))
    lines = list(L.select().where(L.order == order.id).order_by(L.id))
    returned = _returned([line.id for line in lines])
    invoice = models.Invoice.select().where(models.Invoice.order == order.id).order_by(models.Invoice.id).first()
    methods = tuple(dict.fromkeys(p.method for p in order.payments if p.method != ROUNDING))
    return RefundableSale(
        order.id, order.number, order.paid_at, order.customer.name if order.customer_id else None,
        order.total_minor, invoice.number if invoice else None,
        tuple(RefundableLine(line.id, line.name, line.sku, quantity.quantize(line.quantity, line.uom),
                             quantity.quantize(returned.get(line.id, 0), line.uom),
                             int(line.total_minor // line.quantity) if line.quantity else 0, line.uom,
                             line.total_minor) for line in lines),
        methods)


def _refund_payments(original: models.Order, total_minor: int, method: str) -> list[tuple[str, int]]:
    """(method, amount) paid out, amounts negative: the original methods in their order, each up to
    what it paid less what it already gave back; the rest (and everything, for `cash`) in cash.
    A sale on the customer's account comes back as a negative account payment: they owe less."""
    due = -total_minor
    if method == IN_CASH:
        return [(CASH, -due)] if due else []
    P, O = models.Payment, models.Order
    already = dict(P.select(P.method, fn.SUM(0 - P.amount_minor)).join(O)
                   .where((O.refund_of == original.id) & (O.state == "paid")).group_by(P.method).tuples())
    paid: dict[str, int] = {}
    for payment in original.payments.order_by(P.id):
        if payment.method != ROUNDING:
            paid[payment.method] = paid.get(payment.method, 0) + payment.amount_minor
    out = []
    for name, amount in paid.items():
        room = max(0, amount - already.get(name, 0))
        take = min(room, due)
        if take:
            out.append((name, -take))
            due -= take
    if due:
        out.append((CASH, -due))
    return out


@transactional
def refund(order_id: int, quantities: dict[int, Decimal | int], till: str, cashier_id: int | None = None,
           method: str = ORIGINAL) -> Receipt:
    """Refund `quantities` (line id -> how many; part of a weighed line's weight, 0,250 of 0,750 kg)
    of a paid sale at `till`, in one transaction."""
    # The sale's row, then its customer's, locked first: two tills refunding the same sale never
    # give back more than was sold, nor points the customer no longer has.
    lock_row(models.Order, order_id)
    lock_row(models.Customer, models.Order.select(models.Order.customer).where(models.Order.id == order_id).scalar())
    sale = refundable(order_id)
    till = check_till(till)
    if method not in (ORIGINAL, IN_CASH):
        raise ValidationError("method", _("refund to the original method or in cash"))
    S = models.PosSession
    session = S.get_or_none((S.till == till) & S.closed_at.is_null())
    if session is None:
        raise StateError(_("Open a session on till {till} before refunding.").format(till=till))
    by_id = {line.line_id: line for line in sale.lines}
    wanted = {line_id: qty for line_id, qty in quantities.items() if qty}
    if not wanted:
        raise ValidationError("quantity", _("choose at least one item to return"))
    errors = {}
    for line_id, qty in wanted.items():
        line = by_id.get(line_id)
        if line is None:
            errors["line"] = _("that line is not on sale {number}").format(number=sale.number)
        elif not 0 < qty <= line.returnable:
            errors[f"line {line.name}"] = _("at most {n} can come back").format(
                n=quantity.plain(line.returnable) + ("" if line.uom == quantity.UNITS else f" {line.uom}"))
        else:
            try:
                wanted[line_id] = quantity.check(qty, line.uom, f"line {line.name}")
            except ValidationError as exc:
                errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    original = models.Order.get_by_id(order_id)
    paid_at = now()
    back = models.Order.create(
        uuid=uuidlib.uuid4(), till=till, session=session, cashier=cashier_id or session.cashier_id,
        customer=original.customer_id, kind="refund", refund_of=original, state="paid",
        order_discount_bp=original.order_discount_bp, discount_bp=original.discount_bp, paid_at=paid_at)
    for sold in models.OrderLine.select().where(models.OrderLine.id.in_(list(wanted))):
        qty = wanted[sold.id]
        line = models.OrderLine(
            order=back, product=sold.product_id, sku=sold.sku, name=sold.name, quantity=-qty, uom=sold.uom,
            taxes=sold.taxes,
            unit_price_minor=sold.unit_price_minor, list_price_minor=sold.list_price_minor,
            tax_rate_bp=sold.tax_rate_bp, price_includes_tax=sold.price_includes_tax,
            discount_bp=sold.discount_bp, manual_discount=sold.manual_discount, refund_of=sold)
        line.taxes = sold.taxes  # several taxes: the credit note and the Z report show each
        figures = pricing.line_input(line, original.order_discount_bp).amounts()
        line.net_minor, line.tax_minor, line.total_minor, line.discount_minor = (
            figures.net_minor, figures.tax_minor, figures.total_minor, figures.discount_minor)
        line.save()
    totals = pricing.order_totals(back)
    back.net_minor, back.tax_minor, back.total_minor, back.discount_minor = (
        totals.net_minor, totals.tax_minor, totals.total_minor, totals.discount_minor)
    back.number = next_order_number(till)
    back.save()
    for name, amount in _refund_payments(original, back.total_minor, method):
        models.Payment.create(order=back, method=name, amount_minor=amount, tendered_minor=amount,
                              created_at=paid_at)
    loyalty.on_refund(original, back)
    first = models.Invoice.select().where(models.Invoice.order == original.id).order_by(models.Invoice.id).first()
    invoices.issue(back, invoices.CREDIT_NOTE, corrects=first)  # it corrects the invoice or the ticket
    events.emit(events.REFUND_PAID, "order", back.id, events.order_payload(back))
    stock.record_order(back, stock.REFUND)
    return get_receipt(back.id)
