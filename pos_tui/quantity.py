"""Quantities: Decimal in code, each unit of measure with its own precision (kg to 3 decimals,
Units whole). Pure functions, beside `money`, so the till, the CLI and the imports read and
write a quantity the same way."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_decimal

from pos_tui.errors import ValidationError
from pos_tui.i18n import N_, _

UNITS, KG, G, L, ML, M = "Units", "kg", "g", "L", "mL", "m"

#: The units' names as shown (translated with `_(uom)`).
UNIT_NAMES = (N_("Units"), N_("kg"), N_("g"), N_("L"), N_("mL"), N_("m"))

#: The units of measure a product is sold in, with the decimals a quantity of each may have.
PRECISION: dict[str, int] = {UNITS: 0, KG: 3, G: 0, L: 3, ML: 0, M: 3}

#: Other spellings read from files (Odoo writes "Units", "kg", "Litre(s)" …), folded to ours.
_ALIASES = {"unit": UNITS, "units": UNITS, "unit(s)": UNITS, "u": UNITS, "ud": UNITS, "uds": UNITS,
            "unidad": UNITS, "unidades": UNITS, "pc": UNITS, "pcs": UNITS,
            "kg": KG, "kgs": KG, "kilogram": KG, "kilograms": KG, "kilogramo": KG, "kilogramos": KG,
            "g": G, "gram": G, "grams": G, "gramo": G, "gramos": G,
            "l": L, "liter": L, "liters": L, "litre": L, "litres": L, "litre(s)": L, "liter(s)": L,
            "litro": L, "litros": L,
            "ml": ML, "milliliter": ML, "milliliters": ML, "millilitre": ML, "millilitres": ML,
            "mililitro": ML, "mililitros": ML,
            "m": M, "meter": M, "meters": M, "metre": M, "metres": M, "metro": M, "metros": M}

#: The most one line may hold (of any unit): more is a typo, not a sale.
MAX_QUANTITY = Decimal(9999)

_NUMBER = re.compile(r"^\d+(?:[.,]\d*)?$|^[.,]\d+$")


def unit(value: object, field: str = "unit") -> str:
    """A unit of measure by any of its usual names (`kg`, `Units`, `Litre(s)`), as we write it."""
    raw = "" if value is None else str(value).strip()
    if not raw:
        return UNITS
    found = _ALIASES.get(raw.lower())
    if found is None:
        raise ValidationError(field, _("“{unit}” is not a unit of measure (use one of: {units})").format(
            unit=raw, units=", ".join(PRECISION)))
    return found


def decimals(uom: str) -> int:
    return PRECISION.get(uom, 0)


def quantize(value: Decimal | int, uom: str = UNITS) -> Decimal:
    """`value` at the unit's precision, half up (a scale's 0,7505 kg is 0,751 kg)."""
    step = Decimal(1).scaleb(-decimals(uom))
    return Decimal(value).quantize(step, rounding=ROUND_HALF_UP)


def parse(text: object, uom: str = UNITS, field: str = "quantity", *, allow_zero: bool = False,
          maximum: Decimal = MAX_QUANTITY) -> Decimal:
    """A quantity typed by a person or read from a file: digits with a decimal point or comma, at
    most the unit's decimals (Units stay whole), more than zero unless `allow_zero`."""
    raw = "" if text is None else str(text).strip().replace(" ", "")
    if not raw:
        raise ValidationError(field, _("enter a quantity"))
    if raw.startswith("-"):
        raise ValidationError(field, _("must not be negative"))
    if not _NUMBER.match(raw):
        raise ValidationError(field, _("“{q}” is not a quantity").format(q=str(text).strip()))
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern above refuses these
        raise ValidationError(field, _("“{q}” is not a quantity").format(q=raw)) from None
    return check(value, uom, field, allow_zero=allow_zero, maximum=maximum)


def check(value: Decimal | int, uom: str = UNITS, field: str = "quantity", *, allow_zero: bool = False,
          maximum: Decimal = MAX_QUANTITY) -> Decimal:
    """`value` if it fits the unit: not below zero (nor zero unless allowed), at most `maximum`,
    no more decimals than the unit has."""
    value = Decimal(value)
    places = decimals(uom)
    if value != value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        if places == 0:
            raise ValidationError(field, _("{unit} are counted in whole numbers").format(unit=_(uom)))
        raise ValidationError(field, _("use at most {n} decimals for {unit}").format(n=places, unit=_(uom)))
    if value < 0:
        raise ValidationError(field, _("must not be negative"))
    if value == 0 and not allow_zero:
        raise ValidationError(field, _("must be more than zero"))
    if value > maximum:
        raise ValidationError(field, _("must be at most {max}").format(max=maximum))
    return quantize(value, uom)


def plain(value: Decimal | int) -> str:
    """A quantity without trailing zeros, with a point: `0.75`, `3` (for files and JSON)."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}"


def format_quantity(value: Decimal | int, uom: str, locale: str) -> str:
    """A quantity as a person reads it: `3` for Units, `0,750 kg` in Spain, `1.5 L` in the US."""
    places = decimals(uom)
    if places == 0:
        shown = format_decimal(Decimal(value), format="#,##0", locale=locale)
        return shown if uom == UNITS else f"{shown} {uom}"
    shown = format_decimal(quantize(value, uom), format="#,##0." + "0" * places, locale=locale)
    return f"{shown} {uom}"


def json_value(value: Decimal | int) -> int | str:
    """A quantity in JSON: a number when whole, else its exact decimal as a string (never a float)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else plain(value)


def unit_price(price: str, uom: str) -> str:
    """A formatted price per unit: `3,20 €/kg` for a measured unit, the price alone for Units."""
    return price if uom == UNITS else f"{price}/{uom}"


def times_price(value: Decimal | int, uom: str, price: str, locale: str, times: str = "x") -> str:
    """A line's quantity at its unit price, as receipts and invoices write it: `3 x 1,20 €`, and for
    a weighed line `0,750 kg x 3,20 €/kg` (`price` already formatted in the store's money)."""
    return f"{format_quantity(value, uom, locale)} {times} {unit_price(price, uom)}"


def editable(value: Decimal | int, uom: str, locale: str) -> str:
    """A quantity as typed back into a field: no grouping, the unit's decimals, the locale's decimal
    sign (`0,750` in Spain, `3` for Units); `parse` reads it again."""
    places = decimals(uom)
    if places == 0:
        return str(int(Decimal(value)))
    return format_decimal(quantize(value, uom), format="0." + "0" * places, locale=locale)
