"""Cashiers and their PINs. PINs are kept only as salted scrypt hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from pos_tui import models
from pos_tui.db import transactional
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import _
from pos_tui.services import validation

ROLES = ("cashier", "manager")
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


def authenticate(name: str, pin: str) -> CashierInfo:
    """The cashier for this name and PIN, or a refusal that does not say which one was wrong."""
    row = models.Cashier.get_or_none((models.Cashier.name == name.strip())
                                     & (models.Cashier.active == True))  # noqa: E712
    if row is None or not verify_pin(pin, row.pin_hash):
        raise PosError(_("Wrong cashier or PIN."))
    return _info(row)
