"""A manager's approval, asked on the spot: what a cashier may not do alone, a manager's PIN
allows — and the approval is written in the same transaction as what it allowed.

A service that needs one raises `ApprovalNeeded`; the till then asks for a manager's PIN and
calls the service again with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from pos_tui import models
from pos_tui.db import transactional
from pos_tui.errors import PosError
from pos_tui.i18n import N_, _
from pos_tui.services.cashiers import find_manager

ACTIONS = {
    "discount": N_("a discount above the limit"),
    "price": N_("a price change"),
    "void": N_("voiding a paid sale"),
    "cash_difference": N_("closing with a cash difference"),
    "credit": N_("going over the credit limit"),
    "drawer": N_("opening the drawer"),
    "products": N_("changing the products"),
}


class ApprovalNeeded(PosError):
    """Nothing was written: ask a manager for their PIN and try again with it."""

    def __init__(self, action: str, reason: str):
        self.action = action
        self.reason = reason
        super().__init__(_("A manager must approve {what}: {reason}").format(
            what=_(ACTIONS[action]), reason=reason))


class WrongManagerPin(PosError):
    def __init__(self) -> None:
        super().__init__(_("That is not a manager's PIN."))


@dataclass(frozen=True)
class ApprovalInfo:
    at: datetime
    manager: str
    cashier: str | None
    till: str
    action: str
    order_id: int | None
    details: dict


def approve(manager_pin: str | None, action: str, reason: str, *, cashier_id: int | None = None,
            till: str = "", order_id: int | None = None, session_id: int | None = None,
            details: dict | None = None) -> int:
    """Check the manager's PIN and record the approval (inside the caller's transaction).
    Without a PIN: `ApprovalNeeded`; with a wrong one: `WrongManagerPin`. Returns the manager."""
    if not manager_pin:
        raise ApprovalNeeded(action, reason)
    manager = find_manager(manager_pin)
    if manager is None:
        raise WrongManagerPin()
    models.Approval.create(manager=manager.id, cashier=cashier_id, till=till, action=action,
                           order=order_id, session=session_id,
                           details=json.dumps(details or {}, ensure_ascii=False, default=str))
    return manager.id


@transactional
def grant(manager_pin: str | None, action: str, reason: str, *, cashier_id: int | None = None,
          till: str = "") -> int:
    """An approval asked for on its own, e.g. to let a cashier open the product screen: the PIN is
    checked and the approval recorded at once (with the till's open session, for its Z report).
    Returns the manager."""
    S = models.PosSession
    session = S.get_or_none((S.till == till) & S.closed_at.is_null()) if till else None
    return approve(manager_pin, action, reason, cashier_id=cashier_id, till=till,
                   session_id=session.id if session else None)


def list_approvals(session_id: int | None = None, order_id: int | None = None) -> list[ApprovalInfo]:
    A, M = models.Approval, models.Cashier
    query = A.select().order_by(A.id)
    if session_id is not None:
        query = query.where(A.session == session_id)
    if order_id is not None:
        query = query.where(A.order == order_id)
    names = {row.id: row.name for row in M.select(M.id, M.name)}
    return [ApprovalInfo(row.at, names.get(row.manager_id, "?"), names.get(row.cashier_id),
                         row.till, row.action, row.order_id, json.loads(row.details)) for row in query]
