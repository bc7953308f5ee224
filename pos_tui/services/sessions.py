"""Till sessions: a cashier's shift from the opening float to the counted drawer.

At closing every payment method is counted against what the sales say it should hold; cash may
be counted note by note. A cash difference above the store's limit needs a manager's PIN, and
a till with a sale in progress cannot close (park it or void it first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN, Case, fn

from pos_tui import models
from pos_tui.db import now, transactional
from pos_tui.errors import StateError, ValidationError
from pos_tui.i18n import _
from pos_tui.money import MAX_AMOUNT
from pos_tui.services import approvals, events, validation
from pos_tui.services.payments import ACCOUNT, CASH, METHODS, POINTS, ROUNDING
from pos_tui.services.store import require_store

MAX_TILL_NAME = 40
PAID = "paid"


@dataclass(frozen=True)
class MethodCount:
    method: str
    expected_minor: int
    counted_minor: int

    @property
    def difference_minor(self) -> int:
        return self.counted_minor - self.expected_minor


@dataclass(frozen=True)
class SessionInfo:
    id: int
    till: str
    cashier_id: int
    cashier_name: str
    opened_at: datetime
    closed_at: datetime | None
    opening_float_minor: int
    sales_count: int
    sales_total_minor: int
    totals_by_method: dict[str, int]
    cash_moves_minor: int
    expected_cash_minor: int
    counted_cash_minor: int | None
    counts: tuple[MethodCount, ...] = ()
    cash_count: dict[int, int] | None = None

    @property
    def difference_minor(self) -> int | None:
        if self.counted_cash_minor is None:
            return None
        return self.counted_cash_minor - self.expected_cash_minor

    def expected(self, method: str) -> int:
        if method == CASH:
            return self.expected_cash_minor
        return self.totals_by_method.get(method, 0)


class SaleInProgress(StateError):
    """The till has a sale in progress: it must be paid, parked or voided before closing."""

    def __init__(self, order_id: int):
        self.order_id = order_id
        super().__init__(_("This till has a sale in progress: park it or void it before closing."))


def check_till(till: str) -> str:
    till = (till or "").strip()
    if not till or len(till) > MAX_TILL_NAME or not till.isprintable():
        raise ValidationError("till", _("a till name is 1 to {n} printable characters")
                              .format(n=MAX_TILL_NAME))
    return till


def _paid_totals(session_id: int) -> tuple[int, int, dict[str, int]]:
    """Sales made, net takings (sales less refunds), and what each payment method took in."""
    O, P = models.Order, models.Payment
    paid = (O.session == session_id) & (O.state == PAID)
    is_sale = Case(None, [(O.kind == "sale", 1)], 0)
    count, total = (O.select(fn.COALESCE(fn.SUM(is_sale), 0), fn.COALESCE(fn.SUM(O.total_minor), 0))
                    .where(paid).scalar(as_tuple=True))
    by_method = dict(P.select(P.method, fn.SUM(P.amount_minor)).join(O).where(paid).group_by(P.method).tuples())
    return int(count), int(total), {method: int(amount) for method, amount in by_method.items()}


def _cash_moves(session_id: int) -> int:
    M = models.CashMovement
    return int(M.select(fn.COALESCE(fn.SUM(M.amount_minor), 0)).where(M.session == session_id).scalar())


def _info(row: models.PosSession) -> SessionInfo:
    count, total, by_method = _paid_totals(row.id)
    moves = _cash_moves(row.id)
    if row.closed_at is not None and row.expected_cash_minor is not None:
        expected = row.expected_cash_minor
    else:
        expected = row.opening_float_minor + by_method.get(CASH, 0) + moves
    C = models.SessionCount
    counts = tuple(MethodCount(c.method, c.expected_minor, c.counted_minor)
                   for c in C.select().where(C.session == row.id).order_by(C.id))
    cash_count = {int(k): v for k, v in json.loads(row.cash_count or "{}").items()} or None
    return SessionInfo(row.id, row.till, row.cashier_id, row.cashier.name, row.opened_at, row.closed_at,
                       row.opening_float_minor, count, total, by_method, moves, expected,
                       row.counted_cash_minor, counts, cash_count)


def _open_row(till: str) -> models.PosSession | None:
    S = models.PosSession
    return S.get_or_none((S.till == till) & (S.closed_at.is_null()))


def current_session(till: str) -> SessionInfo | None:
    row = _open_row(till)
    return _info(row) if row else None


def get_session(session_id: int) -> SessionInfo:
    row = models.PosSession.get_or_none(models.PosSession.id == session_id)
    if row is None:
        raise StateError(_("No session with id {id}.").format(id=session_id))
    return _info(row)


def list_sessions(limit: int = 50, till: str | None = None) -> list[SessionInfo]:
    S = models.PosSession
    query = S.select().order_by(S.opened_at.desc(), S.id.desc()).limit(limit)
    if till:
        query = query.where(S.till == till)
    return [_info(row) for row in query]


@transactional
def open_session(till: str, cashier_id: int, opening_float_minor: int) -> SessionInfo:
    till = check_till(till)
    if not 0 <= opening_float_minor <= MAX_AMOUNT * 100:
        raise ValidationError("float", _("must not be negative"))
    existing = _open_row(till)
    if existing is not None:
        raise StateError(_("Till {till} already has a session open (by {cashier}).")
                         .format(till=till, cashier=existing.cashier.name))
    cashier = models.Cashier.get_or_none((models.Cashier.id == cashier_id) & (models.Cashier.active == True))  # noqa: E712
    if cashier is None:
        raise ValidationError("cashier", _("no active cashier with that name"))
    row = models.PosSession.create(till=till, cashier=cashier, opening_float_minor=opening_float_minor)
    return _info(row)


def _require_open(till: str) -> models.PosSession:
    row = _open_row(check_till(till))
    if row is None:
        raise StateError(_("Till {till} has no open session.").format(till=till))
    return row


@dataclass(frozen=True)
class CashMove:
    at: datetime
    amount_minor: int
    reason: str
    cashier: str | None


@transactional
def move_cash(till: str, amount_minor: int, reason: str, cashier_id: int | None = None) -> SessionInfo:
    """Cash put into the drawer (positive) or taken out (negative), with the reason."""
    row = _require_open(till)
    check = validation.Checker()
    reason = check(validation.text, reason, "reason", max_length=200, required=True)
    if amount_minor == 0:
        check.errors["amount"] = _("must not be zero")
    check.done()
    if amount_minor < 0 and -amount_minor > _info(row).expected_cash_minor:
        raise ValidationError("amount", _("is more than the drawer should hold"))
    models.CashMovement.create(session=row, cashier=cashier_id, amount_minor=amount_minor, reason=reason)
    return _info(row)


def cash_moves(session_id: int) -> list[CashMove]:
    M, C = models.CashMovement, models.Cashier
    query = (M.select(M.at, M.amount_minor, M.reason, C.name).join(C, JOIN.LEFT_OUTER)
             .where(M.session == session_id).order_by(M.id).tuples())
    return [CashMove(*row) for row in query]


def sale_in_progress(till: str) -> int | None:
    """The till's draft sale that has lines, if any."""
    O, L = models.Order, models.OrderLine
    row = (O.select(O.id).join(L).where((O.till == till) & (O.state == "draft"))
           .order_by(O.id.desc()).first())
    return row.id if row else None


def count_cash(cash_count: dict[int, int]) -> int:
    """The cash in the drawer from how many of each note and coin (in minor units)."""
    total = 0
    for denomination, pieces in cash_count.items():
        if denomination <= 0 or pieces < 0:
            raise ValidationError("cash_count", _("counts must not be negative"))
        total += denomination * pieces
    return total


@transactional
def close_session(till: str, counted: dict[str, int] | int, cashier_id: int | None = None, *,
                  cash_count: dict[int, int] | None = None, manager_pin: str | None = None) -> SessionInfo:
    """Close the till's session with what was counted for each method (a method not counted is
    taken as expected). Cash may come as a count of notes and coins."""
    row = _require_open(till)
    if isinstance(counted, int):
        counted = {CASH: counted}
    counted = dict(counted)
    if cash_count:
        from_count = count_cash(cash_count)
        if CASH in counted and counted[CASH] != from_count:
            raise ValidationError("counted", _("does not match the count of notes and coins"))
        counted[CASH] = from_count
    for method, amount in counted.items():
        if method not in METHODS or method in (ACCOUNT, POINTS):
            raise ValidationError("method", _("unknown payment method “{m}”").format(m=method))
        if amount < 0:
            raise ValidationError("counted", _("must not be negative"))
    in_progress = sale_in_progress(row.till)
    if in_progress is not None:
        raise SaleInProgress(in_progress)
    info = _info(row)
    # what the till holds, cash and the rest; sales on a customer's account are not money in hand
    methods = [CASH, *sorted(m for m in set(info.totals_by_method) | set(counted)
                             if m not in (CASH, ACCOUNT, POINTS, ROUNDING))]
    counts = [MethodCount(m, info.expected(m), counted.get(m, info.expected(m))) for m in methods]
    cash = counts[0]
    shop = require_store()
    limit = models.Store.get().cash_difference_limit_minor
    if abs(cash.difference_minor) > limit:
        approvals.approve(manager_pin, "cash_difference",
                          _("the cash differs by {diff} (the limit is {limit})").format(
                              diff=shop.money(cash.difference_minor), limit=shop.money(limit)),
                          cashier_id=cashier_id, till=row.till, session_id=row.id,
                          details={"expected": cash.expected_minor, "counted": cash.counted_minor})
    for count in counts:
        models.SessionCount.create(session=row, method=count.method, expected_minor=count.expected_minor,
                                   counted_minor=count.counted_minor)
    row.closed_at = now()
    row.expected_cash_minor = cash.expected_minor
    row.counted_cash_minor = cash.counted_minor
    row.cash_count = json.dumps({str(k): v for k, v in (cash_count or {}).items()})
    row.closed_by = cashier_id
    row.save()
    closed = _info(row)
    events.emit(events.SESSION_CLOSED, "session", row.id, {
        "id": row.id, "till": row.till, "cashier": closed.cashier_name, "opened_at": row.opened_at,
        "closed_at": row.closed_at, "sales_count": closed.sales_count, "sales_total_minor": closed.sales_total_minor,
        "by_method": closed.totals_by_method,
        "counts": [{"method": c.method, "expected_minor": c.expected_minor, "counted_minor": c.counted_minor}
                   for c in closed.counts]})
    return closed

