"""Till sessions: a cashier's shift from the opening float to the counted cash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from pos_tui import models
from pos_tui.db import now, transactional
from pos_tui.errors import StateError, ValidationError
from pos_tui.i18n import _
from pos_tui.services.payments import CASH

MAX_TILL_NAME = 40


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
    expected_cash_minor: int
    counted_cash_minor: int | None

    @property
    def difference_minor(self) -> int | None:
        if self.counted_cash_minor is None:
            return None
        return self.counted_cash_minor - self.expected_cash_minor


def check_till(till: str) -> str:
    till = (till or "").strip()
    if not till or len(till) > MAX_TILL_NAME or not till.isprintable():
        raise ValidationError("till", _("a till name is 1 to {n} printable characters")
                              .format(n=MAX_TILL_NAME))
    return till


def _info(row: models.PosSession) -> SessionInfo:
    O, P = models.Order, models.Payment
    paid = O.select().where((O.session == row.id) & (O.state == "paid"))
    count, total = paid.select(fn.COUNT(O.id), fn.COALESCE(fn.SUM(O.total_minor), 0)).scalar(as_tuple=True)
    by_method = dict(
        P.select(P.method, fn.SUM(P.amount_minor))
        .join(O).where((O.session == row.id) & (O.state == "paid"))
        .group_by(P.method).tuples()
    )
    if row.closed_at is not None and row.expected_cash_minor is not None:
        expected = row.expected_cash_minor
    else:
        expected = row.opening_float_minor + by_method.get(CASH, 0)
    return SessionInfo(row.id, row.till, row.cashier_id, row.cashier.name, row.opened_at,
                       row.closed_at, row.opening_float_minor, count, total, by_method, expected,
                       row.counted_cash_minor)


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


@transactional
def open_session(till: str, cashier_id: int, opening_float_minor: int) -> SessionInfo:
    till = check_till(till)
    if opening_float_minor < 0:
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


@transactional
def close_session(till: str, counted_cash_minor: int) -> SessionInfo:
    """Close the till's session with the cash counted in the drawer; returns the result."""
    if counted_cash_minor < 0:
        raise ValidationError("counted", _("must not be negative"))
    row = _open_row(check_till(till))
    if row is None:
        raise StateError(_("Till {till} has no open session.").format(till=till))
    expected = _info(row).expected_cash_minor
    row.closed_at = now()
    row.expected_cash_minor = expected
    row.counted_cash_minor = counted_cash_minor
    row.save()
    return _info(row)


def list_sessions(limit: int = 50) -> list[SessionInfo]:
    S = models.PosSession
    return [_info(row) for row in S.select().order_by(S.opened_at.desc()).limit(limit)]
