"""Customers: created at the till in the middle of a sale, found again by what the cashier knows."""

from __future__ import annotations

from dataclasses import dataclass, fields

from pos_tui import models
from pos_tui.db import transactional
from pos_tui.errors import NotFound
from pos_tui.i18n import _
from pos_tui.services import validation


@dataclass(frozen=True)
class CustomerInfo:
    id: int
    name: str
    phone: str = ""
    email: str = ""
    street: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""
    tax_id: str = ""
    archived: bool = False


#: Field name -> (maximum length, required)
FIELD_RULES: dict[str, tuple[int, bool]] = {
    "name": (120, True),
    "phone": (40, False),
    "email": (254, False),
    "street": (120, False),
    "city": (80, False),
    "postal_code": (20, False),
    "country": (2, False),
    "tax_id": (40, False),
}


def _info(row: models.Customer) -> CustomerInfo:
    return CustomerInfo(**{f.name: getattr(row, f.name) for f in fields(CustomerInfo)})


def clean(data: dict[str, object]) -> dict[str, str]:
    """Validate a customer's fields; every bad field is reported at once."""
    check = validation.Checker()
    cleaned: dict[str, str] = {}
    for field, (max_length, required) in FIELD_RULES.items():
        if field == "country":
            cleaned[field] = check(validation.country, data.get(field), required=False) or ""
        else:
            cleaned[field] = check(validation.text, data.get(field), field, max_length=max_length,
                                   required=required) or ""
    check.done()
    return cleaned


@transactional
def create_customer(data: dict[str, object]) -> CustomerInfo:
    values = clean(data)
    return _info(models.Customer.create(**values))


def get_customer(customer_id: int) -> CustomerInfo:
    row = models.Customer.get_or_none(models.Customer.id == customer_id)
    if row is None:
        raise NotFound(_("No customer with id {id}.").format(id=customer_id))
    return _info(row)


def search_customers(query: str, limit: int = 30) -> list[CustomerInfo]:
    """Customers matching every word typed, by name, phone, email or tax ID."""
    C = models.Customer
    q = C.select().where(C.archived == False)  # noqa: E712
    for word in query.split():
        pattern = f"%{word}%"
        q = q.where(C.name ** pattern | C.phone ** pattern | C.email ** pattern | C.tax_id ** pattern)
    return [_info(row) for row in q.order_by(C.name).limit(limit)]

