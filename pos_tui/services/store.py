"""The store: its name, country and money. Set up once, from the demo or by hand."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pos_tui import l10n, models, quantity
from pos_tui.db import transactional
from pos_tui.errors import StateError, ValidationError
from pos_tui.i18n import _
from pos_tui.money import MAX_AMOUNT, ROUNDING_MODES, exponent, format_money, parse_minor
from pos_tui.services import cashiers, taxes, validation


@dataclass(frozen=True)
class StoreInfo:
    name: str
    country: str
    currency: str
    locale: str
    exponent: int

    def money(self, minor: int) -> str:
        """An amount in minor units, formatted for the store's currency, in the locale of the
        language being written in (a receipt in its customer's language follows it)."""
        return format_money(minor, self.currency, locale_for(self.country), self.exponent)

    @property
    def locale_here(self) -> str:
        """The locale of the language in use in the store's country (how numbers are typed)."""
        return locale_for(self.country)

    def quantity(self, value: Decimal | int, uom: str) -> str:
        """A line's quantity as people here write it: `3`, `0,750 kg`."""
        return quantity.format_quantity(value, uom, locale_for(self.country))

    def unit_price(self, minor: int, uom: str) -> str:
        """A price per unit: `1,20 €` for Units, `3,20 €/kg` for a weighed product."""
        return quantity.unit_price(self.money(minor), uom)


def locale_for(country: str, language: str | None = None) -> str:
    """The locale of amounts and dates: `language` (default: the one in use) in the store's country
    when CLDR pairs them (ES -> es_ES or en_ES, MX -> es_MX, US -> en_US or es_US), else the
    country's own locale."""
    return l10n.locale_for(country, language)


def get_store() -> StoreInfo | None:
    """The store. Its `locale` is its country's own (es_ES); amounts and dates are written in the
    locale of the language in use in that country (`StoreInfo.money`, `pos_tui.l10n`)."""
    row = models.Store.select().order_by(models.Store.id).first()
    if row is None:
        return None
    l10n.set_country(row.country)
    return StoreInfo(row.name, row.country, row.currency, row.locale or l10n.country_locale(row.country),
                     exponent(row.currency))


def require_store() -> StoreInfo:
    store = get_store()
    if store is None:
        raise StateError(_("This database has no store yet: run `pos demo` or set one up in the till."))
    return store


def _store_fields(check: validation.Checker, name: object, country: object, currency: object,
                  tax_id: object, address: object) -> dict:
    """A new store's fields as typed, checked (errors gathered in `check`)."""
    name = check(validation.text, name, "store_name", max_length=120, required=True)
    country = check(validation.country, country)
    currency = check(validation.currency, currency)
    checked_tax_id = check(validation.tax_id, tax_id, country or "", "tax_id") if country else None
    address = check(validation.text, address, "address", max_length=250) or ""
    return {"name": name, "country": country, "currency": currency, "locale": l10n.country_locale(country or ""),
            "tax_id": checked_tax_id.compact if checked_tax_id else "", "address": address}


def _create(fields: dict) -> None:
    if models.Store.select().exists():
        raise StateError(_("This database already has a store."))
    models.Store.create(**fields)
    taxes.ensure_standard(fields["country"])


@transactional
def setup_store(name: str, country: str, currency: str, cashier_name: str, pin: str, *,
                tax_id: str = "", address: str = "") -> StoreInfo:
    """Create the store (with its fiscal data, and the usual taxes of its country) and its first
    cashier (a manager). Refused when a store exists."""
    check = validation.Checker()
    fields = _store_fields(check, name, country, currency, tax_id, address)
    cashier_name = check(validation.text, cashier_name, "cashier", max_length=60, required=True)
    pin = check(validation.pin, pin)
    check.done()
    _create(fields)
    cashiers.add_cashier(cashier_name, pin, role="manager")
    return require_store()


@transactional
def create_store(name: object, country: object, currency: object, *, tax_id: object = "",
                 address: object = "", **settings: object) -> StoreInfo:
    """Create the store alone (with its fiscal data, its country's usual taxes, and any other
    `SETTINGS` given), on an empty database; its first manager is added afterwards
    (`pos cashier add NAME --role manager`)."""
    check = validation.Checker()
    fields = _store_fields(check, name, country, currency, tax_id, address)
    row = models.Store(**fields)
    _apply(row, settings, check)  # the other settings' problems said at once with the store's
    check.done()
    if models.Store.select().exists():
        raise StateError(_("This database already has a store."))
    row.save()
    taxes.ensure_standard(row.country)
    return require_store()


def paid_sales() -> int:
    """How many paid sales (and refunds) the store has: its country and currency are fixed then."""
    return models.Order.select().where(models.Order.state == "paid").count()


# Settings -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSettings:
    """Everything a manager may change about the store (`pos store show`), beside `StoreInfo`."""

    info: StoreInfo
    tax_id: str
    address: str
    rounding: str  # money.ROUNDING_MODES: "line" or "total"
    cash_rounding_minor: int  # 0: cash is not rounded
    discount_limit_bp: int
    cash_difference_limit_minor: int
    allow_negative_stock: bool = True  # selling below zero: allowed (flagged on the stock report) or refused


#: The settings `update_settings` takes, as typed by a person (amounts like "0,05", percents like "12,5").
SETTINGS = ("name", "country", "currency", "tax_id", "address", "rounding", "cash_rounding", "discount_limit",
            "cash_difference_limit", "negative_stock")
#: `negative_stock`: whether the till sells below zero.
NEGATIVE_STOCK = ("allow", "refuse")


def get_settings() -> StoreSettings:
    row = models.Store.select().order_by(models.Store.id).first()
    if row is None:
        require_store()  # the message that says how to set one up
    return StoreSettings(require_store(), row.tax_id, row.address, row.rounding, row.cash_rounding_minor,
                         row.discount_limit_bp, row.cash_difference_limit_minor,
                         allow_negative_stock=bool(row.allow_negative_stock))


def _rounding(value: object, field: str) -> str:
    mode = validation.text(value, field, max_length=10, required=True).lower()
    if mode not in ROUNDING_MODES:
        raise ValidationError(field, _("must be one of: {modes}").format(modes=", ".join(ROUNDING_MODES)))
    return mode


def _amount(value: object, field: str, exp: int, maximum: Decimal) -> int:
    """An amount as typed ("0,05", "5") in minor units; never negative."""
    return parse_minor("" if value is None else str(value), field, exp, maximum=maximum)


def _negative_stock(value: object, field: str) -> bool:
    choice = validation.text(value, field, max_length=10, required=True).lower()
    if choice not in NEGATIVE_STOCK:
        raise ValidationError(field, _("must be one of: {modes}").format(modes=", ".join(NEGATIVE_STOCK)))
    return choice == "allow"


@transactional
def update_settings(**changes: object) -> StoreInfo:
    """Change some of the store's settings (`SETTINGS`), given as a person types them: `name`,
    `country` and `currency` (only while the store has no paid sale; a new country brings its
    usual taxes), `tax_id` (checked for the store's country), `address`, `rounding` ("line" or "total"),
    `cash_rounding` (an amount, "0.05"; 0 turns it off), `discount_limit` (a percent) and
    `cash_difference_limit` (an amount), `negative_stock` ("allow" or "refuse" selling below zero).
    Every bad one is reported at once; then nothing is saved."""
    row = models.Store.select().order_by(models.Store.id).first()
    if row is None:
        require_store()
    check = validation.Checker()
    old_country = row.country
    _apply(row, changes, check)
    check.done()
    if changes:
        row.save()
    if row.country != old_country:
        taxes.ensure_standard(row.country)
    return require_store()


def _apply(row: models.Store, changes: dict, check: validation.Checker) -> None:
    """Set the settings typed on the store's row (saved or not); the errors gathered in `check`."""
    unknown = [key for key in changes if key not in SETTINGS]
    for key in unknown:
        check.errors[key] = _("is not a store setting (settings: {names})").format(names=", ".join(SETTINGS))
    if "name" in changes:
        row.name = check(validation.text, changes["name"], "name", max_length=120, required=True)
    old_country = row.country
    for key, validate in (("country", validation.country), ("currency", validation.currency)):
        if key in changes:
            value = check(validate, changes[key], key)
            if value and value != getattr(row, key):
                sold = paid_sales()
                if sold:
                    check.errors[key] = _("cannot change once the store has paid sales ({n}): they were "
                                          "made in {old}").format(n=sold, old=getattr(row, key))
                else:
                    setattr(row, key, value)
    if row.country != old_country:
        row.locale = l10n.country_locale(row.country)
    exp = exponent(row.currency) if row.currency else 2
    if "tax_id" in changes or (row.country != old_country and row.tax_id):
        checked = check(validation.tax_id, changes.get("tax_id", row.tax_id), row.country, "tax_id")
        row.tax_id = checked.compact if checked else ""
    if "address" in changes:
        row.address = check(validation.text, changes["address"], "address", max_length=250)
    if "rounding" in changes:
        row.rounding = check(_rounding, changes["rounding"], "rounding")
    if "cash_rounding" in changes:
        # Coins are rounded to 0,05 €, to 10 pesos…: a hundred units of the currency is a typo.
        row.cash_rounding_minor = check(_amount, changes["cash_rounding"], "cash_rounding", exp, Decimal(100))
    if "discount_limit" in changes:
        row.discount_limit_bp = check(validation.percent, changes["discount_limit"], "discount_limit")
    if "cash_difference_limit" in changes:
        row.cash_difference_limit_minor = check(_amount, changes["cash_difference_limit"], "cash_difference_limit",
                                                exp, MAX_AMOUNT)
    if "negative_stock" in changes:
        row.allow_negative_stock = check(_negative_stock, changes["negative_stock"], "negative_stock")
