"""The receipt of a paid sale, as plain data and as plain text (screen, CLI, later the printer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pos_tui import l10n, models, quantity
from pos_tui.db import local_time
from pos_tui.errors import NotFound
from pos_tui.i18n import _, in_language
from pos_tui.money import TaxBreakdown, format_rate
from pos_tui.services import loyalty, pricing
from pos_tui.services.payments import ROUNDING, method_label
from pos_tui.services.taxes import part_label


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    quantity: Decimal
    unit_price_minor: int
    total_minor: int
    discount_bp: int = 0
    discount_minor: int = 0
    uom: str = "Units"


@dataclass(frozen=True)
class ReceiptPayment:
    method: str
    amount_minor: int
    tendered_minor: int
    change_minor: int
    due_at: datetime | None = None
    card_last4: str = ""


@dataclass(frozen=True)
class Receipt:
    order_id: int
    number: str
    paid_at: datetime
    till: str
    cashier: str
    customer: str | None
    lines: tuple[ReceiptLine, ...]
    net_minor: int
    tax_minor: int
    total_minor: int
    taxes: tuple[TaxBreakdown, ...]
    payments: tuple[ReceiptPayment, ...]
    discount_minor: int = 0
    invoice_number: str | None = None
    invoice_kind: str | None = None
    refund_of: str | None = None
    kind: str = "sale"  # sale | refund | account_payment
    points_earned: int = 0
    points_balance: int | None = None  # with a customer
    tier: str = ""
    language: str = ""  # the customer's, when set: the receipt is written in it
    points_redeemed: int = 0  # used to pay (a "points" payment)
    points_taken_back: int = 0  # earned on what a refund brought back (or a voided sale)
    points_given_back: int = 0  # redeemed on what a refund brought back

    @property
    def received_on_account_minor(self) -> int:
        return sum(p.amount_minor for p in self.payments if p.method != "account") if self.kind == \
            "account_payment" else 0

    @property
    def change_minor(self) -> int:
        return sum(p.change_minor for p in self.payments)


def get_receipt(order_id: int) -> Receipt:
    order = models.Order.get_or_none(models.Order.id == order_id)
    if order is None or order.state != "paid":
        raise NotFound(_("No paid sale with id {id}.").format(id=order_id))
    line_rows = list(order.lines.order_by(models.OrderLine.id))
    totals = pricing.order_totals(order)
    return Receipt(
        order.id, order.number, order.paid_at, order.till,
        order.cashier.name if order.cashier else "",
        order.customer.name if order.customer else None,
        tuple(ReceiptLine(r.name, quantity.quantize(r.quantity, r.uom), r.unit_price_minor, r.total_minor,
                          r.discount_bp, r.discount_minor, r.uom) for r in line_rows),
        order.net_minor, order.tax_minor, order.total_minor, totals.taxes,
        tuple(ReceiptPayment(p.method, p.amount_minor, p.tendered_minor, p.change_minor, p.due_at, p.card_last4)
              for p in order.payments.order_by(models.Payment.id)),
        order.discount_minor,
        *_invoice_of(order),
        order.refund_of.number if order.refund_of_id else None,
        order.kind,
        *_points_of(order),
        language=order.customer.language if order.customer else "",
        **_points_moved(order),
    )


def _points_of(order: models.Order) -> tuple[int, int | None, str]:
    """Points earned, the balance right after the sale (not today's: a copy printed later says
    the same), the tier."""
    if order.customer_id is None:
        return 0, None, ""
    return (loyalty.earned_on(order.id), loyalty.balance_after(order),
            loyalty.tier_of(order.customer_id, order.paid_at).name)


def _points_moved(order: models.Order) -> dict[str, int]:
    if order.customer_id is None:
        return {}
    moved = loyalty.on_order(order.id)
    return {"points_redeemed": -moved.get(loyalty.REDEEM, 0), "points_taken_back": -moved.get(loyalty.REVERSE, 0),
            "points_given_back": moved.get(loyalty.RESTORE, 0)}


def _invoice_of(order: models.Order) -> tuple[str | None, str | None]:
    invoice = models.Invoice.select().where(models.Invoice.order == order.id).order_by(models.Invoice.id).first()
    return (invoice.number, invoice.kind) if invoice else (None, None)


def render_text(receipt: Receipt, store_name: str, money: Callable[[int], str], width: int = 40) -> str:
    """The receipt laid out in `width` columns of plain text, in the customer's language when the
    receipt has one (else the till's); `money` should follow the language in use
    (`StoreInfo.money` does)."""
    with in_language(receipt.language):
        return _render_text(receipt, store_name, money, width)


def _render_text(receipt: Receipt, store_name: str, money: Callable[[int], str], width: int) -> str:

    def pair(left: str, right: str) -> str:
        room = width - len(right) - 1
        return f"{left[:room]:<{room}} {right}"

    rule = "-" * width
    title = {"refund": _("Refund"), "account_payment": _("Payment on account")}.get(receipt.kind, _("Receipt"))
    out = [store_name.center(width), rule,
           pair(title, receipt.number),
           pair(_("Date"), l10n.format_datetime(local_time(receipt.paid_at))),
           pair(_("Till"), receipt.till),
           pair(_("Cashier"), receipt.cashier)]
    if receipt.invoice_number:
        labels = {"invoice": _("Invoice"), "simplified": _("Simplified invoice"), "credit_note": _("Credit note")}
        out.append(pair(labels.get(receipt.invoice_kind, _("Invoice")), receipt.invoice_number))
    if receipt.refund_of:
        out.append(pair(_("Refund of"), receipt.refund_of))
    if receipt.customer:
        out.append(pair(_("Customer"), receipt.customer))
    out.append(rule)
    for line in receipt.lines:
        out.append(line.name[:width])
        if line.discount_minor:
            out.append(pair("  " + quantity.times_price(line.quantity, line.uom, money(line.unit_price_minor), l10n.current_locale()),
                            money(line.total_minor + line.discount_minor)))
            out.append(pair("  " + _("discount {rate}").format(rate=format_rate(line.discount_bp)),
                            money(-line.discount_minor)))
        else:
            out.append(pair("  " + quantity.times_price(line.quantity, line.uom, money(line.unit_price_minor), l10n.current_locale()), money(line.total_minor)))
    out.append(rule)
    if receipt.discount_minor:
        out.append(pair(_("You saved"), money(receipt.discount_minor)))
    out.append(pair(_("TOTAL"), money(receipt.total_minor)))
    for tax in receipt.taxes:
        if tax.parts:  # several taxes on one base (VAT + surcharge): each on its own line
            for part in tax.parts:
                out.append(pair(_("  {tax} on {base}").format(tax=part_label(part.name, part.rate_bp),
                                                              base=money(tax.net_minor)), money(part.tax_minor)))
            continue
        out.append(pair(_("  VAT {rate} on {base}").format(rate=format_rate(tax.rate_bp),
                                                          base=money(tax.net_minor)),
                        money(tax.tax_minor)))
    out.append(rule)
    for payment in receipt.payments:
        shown = payment.amount_minor if payment.method == ROUNDING else payment.tendered_minor
        label = method_label(payment.method) + (f" ****{payment.card_last4}" if payment.card_last4 else "")
        out.append(pair(label, money(shown)))
        if payment.due_at:
            out.append(pair("  " + _("due"), l10n.format_date(local_time(payment.due_at))))
    if receipt.change_minor:
        out.append(pair(_("Change"), money(receipt.change_minor)))
    if receipt.points_balance is not None:
        out.append(rule)
        for label, points in ((_("Points redeemed"), -receipt.points_redeemed),
                              (_("Points taken back"), -receipt.points_taken_back),
                              (_("Points given back"), receipt.points_given_back)):
            if points:
                out.append(pair(label, f"{points:+d}"))
        if receipt.points_earned:
            out.append(pair(_("Points earned"), str(receipt.points_earned)))
        out.append(pair(_("Points balance ({tier})").format(tier=receipt.tier), str(receipt.points_balance)))
    out.append(rule)
    out.append(_("Thank you!").center(width))
    return "\n".join(out)
