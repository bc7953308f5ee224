"""The demo store: a Spanish corner shop with a catalog, sample customers and two cashiers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from pos_tui import l10n, models
from pos_tui.db import transactional
from pos_tui.errors import StateError
from pos_tui.i18n import _
from pos_tui.money import to_minor
from pos_tui.services import cashiers, customers, taxes

STORE = {"name": "Ultramarinos La Esquina", "country": "ES", "currency": "EUR", "tax_id": "B85743219",
         "address": "Calle Mayor 1, 28013 Madrid"}
#: (name, PIN, role): shown on the first screen and in the README, so a new user can log in.
DEMO_CASHIERS = (("Ana", "1234", "manager"), ("Luis", "2345", "cashier"))


@dataclass(frozen=True)
class DemoSummary:
    store_name: str
    products: int
    customers: int
    cashiers: tuple[tuple[str, str, str], ...]


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("pos_tui.data").joinpath(filename).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@transactional
def load_demo() -> DemoSummary:
    """Fill an empty database with the demo store. Refused when a store already exists."""
    if models.Store.select().exists():
        raise StateError(_("This database already has a store; the demo goes into an empty one."))
    models.Store.create(name=STORE["name"], country=STORE["country"], currency=STORE["currency"],
                        locale=l10n.country_locale(STORE["country"]), tax_id=STORE["tax_id"], address=STORE["address"])
    for name, pin, role in DEMO_CASHIERS:
        cashiers.add_cashier(name, pin, role)
    taxes.ensure_standard(STORE["country"])
    products = _rows("products.csv")
    models.Product.insert_many([
        {"sku": row["sku"], "barcode": row["barcode"] or None, "name": row["name"],
         "price_minor": to_minor(Decimal(row["price"])),
         "tax_rate_bp": int(Decimal(row["tax_rate"]) * 100),
         "price_includes_tax": row["price_includes_tax"].lower() in ("yes", "true", "1"),
         "category": row.get("category") or "", "uom": row.get("unit") or "Units",
         "by_weight": (row.get("by_weight") or "").lower() in ("yes", "true", "1"),
         "track_stock": (row.get("track_stock") or "yes").lower() in ("yes", "true", "1"),
         "cost_minor": to_minor(Decimal(row.get("cost") or "0"))}
        for row in products
    ]).execute()
    taxes.link_existing_products()
    sample = _rows("customers.csv")
    for row in sample:
        customers.create_customer(row)
    return DemoSummary(STORE["name"], len(products), len(sample), DEMO_CASHIERS)
