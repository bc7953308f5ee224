"""How tendered money settles a sale: what each payment counts for, what is still due, the change.

Pure: the payment screen shows the plan while the cashier types, and checkout checks the very
same plan before it writes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pos_tui.errors import ValidationError
from pos_tui.i18n import _
from pos_tui.money import cash_due

CASH, CARD, TRANSFER, ACCOUNT, POINTS = "cash", "card", "transfer", "account", "points"
METHODS = (CASH, CARD, TRANSFER, ACCOUNT, POINTS)
#: Not a way to pay: the cents a cash payment rounded away (store option `cash_rounding_minor`).
ROUNDING = "rounding"


def method_label(method: str) -> str:
    return {CASH: _("Cash"), CARD: _("Card"), TRANSFER: _("Transfer"),
            ACCOUNT: _("Customer account"), POINTS: _("Points"), ROUNDING: _("Cash rounding")}.get(method, method)


@dataclass(frozen=True)
class Tender:
    """Money handed over: for cash, what the customer gave; otherwise the amount charged. A card
    payment may carry the card's last four digits and the terminal's authorisation code, never
    more of the card."""

    method: str
    amount_minor: int
    card_last4: str = ""
    auth_code: str = ""


def card_reference(last4: str, auth_code: str) -> tuple[str, str]:
    """Check what a cashier typed from the card terminal's slip."""
    last4, auth_code = (last4 or "").strip(), (auth_code or "").strip().upper()
    errors = {}
    if last4 and not (len(last4) == 4 and last4.isascii() and last4.isdigit()):
        errors["card_last4"] = _("type only the last 4 digits of the card")
    if auth_code and not (len(auth_code) <= 12 and auth_code.isascii() and auth_code.isalnum()):
        errors["auth_code"] = _("an authorisation code is 1 to 12 letters and digits")
    if errors:
        raise ValidationError(errors)
    return last4, auth_code


@dataclass(frozen=True)
class PaymentLine:
    method: str
    amount_minor: int  # what counts towards the total
    tendered_minor: int
    change_minor: int
    card_last4: str = ""
    auth_code: str = ""


@dataclass(frozen=True)
class PaymentPlan:
    total_minor: int
    lines: tuple[PaymentLine, ...]

    @property
    def paid_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)

    @property
    def remaining_minor(self) -> int:
        return self.total_minor - self.paid_minor

    @property
    def change_minor(self) -> int:
        return sum(line.change_minor for line in self.lines)

    @property
    def complete(self) -> bool:
        return self.remaining_minor == 0


def plan_payments(total_minor: int, tenders: Sequence[Tender], cash_increment: int = 0) -> PaymentPlan:
    """Apply tenders in order. Only cash may exceed what is due (the rest is change). With a cash
    increment (5: coins under 0,05 are not used), cash that settles the sale pays the due rounded
    to it, and the difference is a `rounding` line."""
    lines: list[PaymentLine] = []
    remaining = total_minor
    for tender in tenders:
        if tender.method not in METHODS:
            raise ValidationError("method", _("unknown payment method “{m}”").format(m=tender.method))
        if tender.amount_minor <= 0:
            raise ValidationError("amount", _("must be more than zero"))
        if remaining <= 0:
            raise ValidationError("amount", _("the sale is already paid in full"))
        if tender.method != CASH and tender.amount_minor > remaining:
            raise ValidationError("amount", _("a {method} payment cannot be more than what is due")
                                  .format(method=method_label(tender.method).lower()))
        if tender.method == CASH and cash_increment > 1:
            rounded = cash_due(remaining, cash_increment)
            if tender.amount_minor >= rounded:
                lines.append(PaymentLine(CASH, rounded, tender.amount_minor, tender.amount_minor - rounded))
                if remaining != rounded:
                    lines.append(PaymentLine(ROUNDING, remaining - rounded, 0, 0))
                remaining = 0
                continue
        if tender.method != CARD and (tender.card_last4 or tender.auth_code):
            raise ValidationError("card_last4", _("only a card payment has card details"))
        last4, auth = card_reference(tender.card_last4, tender.auth_code)
        applied = min(tender.amount_minor, remaining)
        lines.append(PaymentLine(tender.method, applied, tender.amount_minor,
                                 tender.amount_minor - applied, last4, auth))
        remaining -= applied
    return PaymentPlan(total_minor, tuple(lines))
