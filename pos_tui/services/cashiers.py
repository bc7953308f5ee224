"""Cashiers and their PINs. PINs are kept only as salted scrypt hashes."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pos_tui import models
from pos_tui.db import now, transactional, write
from pos_tui.errors import NotFound, PosError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.services import validation

ROLES = (N_("cashier"), N_("manager"))  # shown translated: _(role)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class CashierInfo:
    id: int
    name: str
    role: str
    active: bool


def _info(row: models.Cashier) -> CashierInfo:
    return CashierInfo(row.id, row.name, row.role, row.active)


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), dklen=len(digest) // 2,
                               n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate.hex(), digest)


@transactional
def add_cashier(name: str, pin: str, role: str = "cashier") -> CashierInfo:
    check = validation.Checker()
    name = check(validation.text, name, "name", max_length=60, required=True)
    pin = check(validation.pin, pin)
    if role not in ROLES:
        check.errors["role"] = _("must be one of: {roles}").format(roles=", ".join(ROLES))
    check.done()
    if models.Cashier.select().where(models.Cashier.name == name).exists():
        raise ValidationError("name", _("a cashier called “{name}” already exists").format(name=name))
    return _info(models.Cashier.create(name=name, pin_hash=hash_pin(pin), role=role))


def list_cashiers(active_only: bool = True) -> list[CashierInfo]:
    query = models.Cashier.select().order_by(models.Cashier.name)
    if active_only:
        query = query.where(models.Cashier.active == True)  # noqa: E712
    return [_info(row) for row in query]


def find_cashier(name: str) -> CashierInfo | None:
    row = models.Cashier.get_or_none(models.Cashier.name == name.strip())
    return _info(row) if row else None


#: Wrong PINs allowed in a row before the cashier must wait; each further one doubles the wait.
FREE_ATTEMPTS = 3
FIRST_WAIT = timedelta(seconds=5)
LONGEST_WAIT = timedelta(minutes=5)


def _wait_after(failures: int) -> timedelta | None:
    if failures < FREE_ATTEMPTS:
        return None
    return min(FIRST_WAIT * 2 ** (failures - FREE_ATTEMPTS), LONGEST_WAIT)


class LockedOut(PosError):
    """Too many wrong PINs: no PIN is even checked until `until`."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(_("Too many wrong PINs. Try again in {n} s.").format(n=seconds))


def _locked_for(row: models.Cashier, at: datetime) -> int:
    if row.locked_until is None or row.locked_until <= at:
        return 0
    return max(1, math.ceil((row.locked_until - at).total_seconds()))


def authenticate(name: str, pin: str) -> CashierInfo:
    """The cashier for this name and PIN, or a refusal that does not say which one was wrong.
    Wrong PINs in a row make the next try wait longer and longer."""
    with write():
        row = models.Cashier.get_or_none((models.Cashier.name == (name or "").strip())
                                         & (models.Cashier.active == True))  # noqa: E712
        at = now()
        if row is not None:
            wait = _locked_for(row, at)
            if wait:
                raise LockedOut(wait)
        if row is not None and verify_pin(pin or "", row.pin_hash):
            if row.failed_attempts or row.locked_until:
                row.failed_attempts, row.locked_until = 0, None
                row.save()
            return _info(row)
        if row is not None:
            row.failed_attempts += 1
            pause = _wait_after(row.failed_attempts)
            row.locked_until = at + pause if pause else None
            row.save()
    raise PosError(_("Wrong cashier or PIN."))


@transactional
def reset_pin(name: str, pin: str) -> CashierInfo:
    """A new PIN (and the lock lifted), e.g. when a cashier forgot theirs."""
    row = _row(name)
    row.pin_hash = hash_pin(validation.pin(pin))
    row.failed_attempts, row.locked_until = 0, None
    row.save()
    return _info(row)


@transactional
def set_active(name: str, active: bool) -> CashierInfo:
    """Disable a cashier who left (their sales keep their name), or enable them again."""
    row = _row(name)
    if not active and row.role == "manager":
        M = models.Cashier
        others = M.select().where((M.role == "manager") & (M.active == True) & (M.id != row.id))  # noqa: E712
        if not others.exists():
            raise PosError(_("{name} is the last active manager; add another manager first.").format(name=row.name))
    row.active = active
    row.save()
    return _info(row)


def _row(name: str) -> models.Cashier:
    row = models.Cashier.get_or_none(models.Cashier.name == (name or "").strip())
    if row is None:
        raise NotFound(_("No cashier called “{name}”.").format(name=name))
    return row


def find_manager(pin: str) -> CashierInfo | None:
    """The active manager whose PIN this is, if any."""
    M = models.Cashier
    for row in M.select().where((M.role == "manager") & (M.active == True)):  # noqa: E712
        if verify_pin(pin or "", row.pin_hash):
            return _info(row)
    return None
