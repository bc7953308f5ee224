"""The store: its name, country and money. Set up once, from the demo or by hand."""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

from pos_tui import models
from pos_tui.db import transactional
from pos_tui.errors import StateError
from pos_tui.i18n import _
from pos_tui.money import exponent, format_money
from pos_tui.services import cashiers, validation


@dataclass(frozen=True)
class StoreInfo:
    name: str
    country: str
    currency: str
    locale: str
    exponent: int

    def money(self, minor: int) -> str:
        """An amount in minor units, formatted for the store's currency and locale."""
        return format_money(minor, self.currency, self.locale, self.exponent)


def locale_for(country: str) -> str:
    """The most likely locale of a country (ES -> es_ES, MX -> es_MX, US -> en_US)."""
    try:
        return str(Locale.parse(f"und_{country}"))
    except (UnknownLocaleError, ValueError):
        return "en_US"


def get_store() -> StoreInfo | None:
    row = models.Store.select().order_by(models.Store.id).first()
    if row is None:
        return None
    return StoreInfo(row.name, row.country, row.currency, row.locale, exponent(row.currency))


def require_store() -> StoreInfo:
    store = get_store()
    if store is None:
        raise StateError(_("This database has no store yet: run `pos demo` or set one up in the till."))
    return store


@transactional
def setup_store(name: str, country: str, currency: str, cashier_name: str, pin: str) -> StoreInfo:
    """Create the store and its first cashier (a manager). Refused when a store exists."""
    check = validation.Checker()
    name = check(validation.text, name, "store_name", max_length=120, required=True)
    country = check(validation.country, country)
    currency = check(validation.currency, currency)
    cashier_name = check(validation.text, cashier_name, "cashier", max_length=60, required=True)
    pin = check(validation.pin, pin)
    check.done()
    if models.Store.select().exists():
        raise StateError(_("This database already has a store."))
    models.Store.create(name=name, country=country, currency=currency, locale=locale_for(country))
    cashiers.add_cashier(cashier_name, pin, role="manager")
    return require_store()
