"""Money and tax: Decimal in code, integer minor units in the database, one rounding rule.

Pure functions only, so the screen, the receipt and every export compute the same cents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision, get_decimal_symbol

from pos_tui.errors import ValidationError
from pos_tui.i18n import _

#: Notes and coins in minor units, for counting a drawer.
DENOMINATIONS = {
    "EUR": (20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1),
    "USD": (10000, 5000, 2000, 1000, 500, 100, 25, 10, 5, 1),
    "MXN": (100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50),
    "GBP": (5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1),
}

#: The largest amount a till accepts in one input: more is a typo, not a sale.
MAX_AMOUNT = Decimal("1000000")

_AMOUNT_RE = re.compile(r"^\d+(?:[.,]\d*)?$|^[.,]\d+$")


def exponent(currency: str) -> int:
    """Digits after the decimal point for a currency (EUR 2, CLP 0, …)."""
    return get_currency_precision(currency)


def round_minor(value: Decimal) -> int:
    """Round to a whole minor unit, half away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_minor(amount: Decimal, exp: int = 2) -> int:
    return round_minor(amount.scaleb(exp))


def from_minor(minor: int, exp: int = 2) -> Decimal:
    return Decimal(minor).scaleb(-exp)


def parse_amount(text: str, field: str = "amount", exp: int = 2, *, allow_zero: bool = True,
                 maximum: Decimal = MAX_AMOUNT) -> Decimal:
    """Read an amount typed by a person: digits, one decimal point or comma. Never negative."""
    cleaned = (text or "").strip().replace(" ", "")
    if not cleaned:
        raise ValidationError(field, _("enter an amount"))
    if cleaned.startswith("-"):
        raise ValidationError(field, _("must not be negative"))
    if not _AMOUNT_RE.match(cleaned):
        raise ValidationError(field, _("“{text}” is not an amount (use digits and one decimal "
                                       "separator, e.g. 12.50)").format(text=text.strip()))
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern above already refuses these
        raise ValidationError(field, _("“{text}” is not an amount").format(text=text)) from None
    if value.as_tuple().exponent < -exp and value != value.quantize(Decimal(1).scaleb(-exp)):
        raise ValidationError(field, _("use at most {n} decimals").format(n=exp))
    if value == 0 and not allow_zero:
        raise ValidationError(field, _("must be more than zero"))
    if value > maximum:
        raise ValidationError(field, _("{value} is too large").format(value=value))
    return value


def parse_minor(text: str, field: str = "amount", exp: int = 2, **kwargs) -> int:
    return to_minor(parse_amount(text, field, exp, **kwargs), exp)


def format_money(minor: int, currency: str, locale: str, exp: int | None = None) -> str:
    """`1.234,56 €` for es_ES, `$1,234.56` for en_US."""
    if exp is None:
        exp = exponent(currency)
    return format_currency(from_minor(minor, exp), currency, locale=locale)


def format_plain(minor: int, exp: int, locale: str) -> str:
    """An amount as a person would type it back: `4,30` in Spain, `4.30` in Mexico."""
    text = f"{from_minor(minor, exp):f}"
    return text.replace(".", get_decimal_symbol(locale)) if exp else text


def format_rate(rate_bp: int) -> str:
    """21 % from 2100 basis points; 10.5 % from 1050."""
    return f"{Decimal(rate_bp).scaleb(-2).normalize():f} %"


@dataclass(frozen=True)
class LineAmounts:
    net_minor: int
    tax_minor: int
    total_minor: int
    discount_minor: int = 0


def discount_of(gross_minor: int, *discounts_bp: int) -> int:
    """What discounts taken one after the other (the line's, then the whole sale's) take off
    `gross_minor`, rounded once, half up."""
    keep = Decimal(1)
    for bp in discounts_bp:
        keep *= 1 - Decimal(bp).scaleb(-4)
    return round_minor(Decimal(gross_minor) * (1 - keep))


def line_amounts(unit_price_minor: int, quantity: int | Decimal, tax_rate_bp: int,
                 price_includes_tax: bool, discount_bp: int = 0, order_discount_bp: int = 0) -> LineAmounts:
    """The one tax rule for a line: the price times the quantity (a weight: rounded once, half
    up), the discount off that (in the price's own terms, tax included or not), then the tax at
    the line's rate (the sum of its taxes); each rounded per line, half up, in minor units."""
    gross = unit_price_minor * quantity
    if not isinstance(gross, int):
        gross = round_minor(Decimal(gross))
    discount = discount_of(gross, discount_bp, order_discount_bp)
    price = gross - discount
    rate = Decimal(tax_rate_bp).scaleb(-4)
    if price_includes_tax:
        net = round_minor(Decimal(price) / (1 + rate))
        return LineAmounts(net, price - net, price, discount)
    tax = round_minor(Decimal(price) * rate)
    return LineAmounts(price, tax, price + tax, discount)


@dataclass(frozen=True)
class TaxPart:
    """One of several taxes on the same base (Spain's VAT and its equivalence surcharge): its
    name, rate and share of the group's tax."""

    name: str
    rate_bp: int
    tax_minor: int


def split_tax(tax_minor: int, parts: tuple[tuple[str, int], ...]) -> tuple[TaxPart, ...]:
    """The tax of a group of several taxes, shared between them in proportion to their rates
    (each rounded half up; the last takes what rounding left, so the parts add up exactly)."""
    total_rate = sum(rate for _name, rate in parts)
    out, left = [], tax_minor
    for index, (name, rate) in enumerate(parts):
        if index == len(parts) - 1:
            share = left
        else:
            share = round_minor(Decimal(tax_minor) * rate / total_rate) if total_rate else 0
        out.append(TaxPart(name, rate, share))
        left -= share
    return tuple(out)


@dataclass(frozen=True)
class TaxBreakdown:
    """The lines taxed at one rate: their base and their tax. A line with several taxes (VAT and
    surcharge) is taxed at their sum; `parts` then says what each of them is."""

    rate_bp: int
    net_minor: int
    tax_minor: int
    parts: tuple[TaxPart, ...] = ()


@dataclass(frozen=True)
class Totals:
    net_minor: int
    tax_minor: int
    total_minor: int
    taxes: tuple[TaxBreakdown, ...]
    discount_minor: int = 0


@dataclass(frozen=True)
class LineInput:
    """What the tax engine needs of a line."""

    unit_price_minor: int
    quantity: int | Decimal
    tax_rate_bp: int
    price_includes_tax: bool
    discount_bp: int = 0
    order_discount_bp: int = 0
    #: (name, rate) of each tax when there are several; their rates add up to `tax_rate_bp`.
    tax_parts: tuple[tuple[str, int], ...] = ()

    def amounts(self) -> LineAmounts:
        return line_amounts(self.unit_price_minor, self.quantity, self.tax_rate_bp, self.price_includes_tax,
                            self.discount_bp, self.order_discount_bp)


LINE, TOTAL = "line", "total"
ROUNDING_MODES = (LINE, TOTAL)


def compute_totals(lines: Iterable[LineInput], rounding: str = LINE) -> Totals:
    """The totals of a sale. `line`: tax rounded on every line, then added up. `total`: the
    prices of each tax rate added up first, the tax rounded once per rate. The screen, the
    receipt, the invoice and every export call this, so they agree to the cent."""
    lines = list(lines)
    if rounding == LINE:
        return order_totals(((line.tax_rate_bp, line.tax_parts), line.amounts()) for line in lines)
    if rounding != TOTAL:
        raise ValueError(f"unknown rounding mode {rounding!r}")
    groups: dict[tuple, list[int]] = {}
    for line in lines:
        amounts = line.amounts()
        price = amounts.total_minor if line.price_includes_tax else amounts.net_minor
        bucket = groups.setdefault((line.tax_rate_bp, line.tax_parts, line.price_includes_tax), [0, 0])
        bucket[0] += price
        bucket[1] += amounts.discount_minor
    per_group = []
    for (rate_bp, parts, included), (price, discount) in groups.items():
        rate = Decimal(rate_bp).scaleb(-4)
        if included:
            net = round_minor(Decimal(price) / (1 + rate))
            per_group.append(((rate_bp, parts), LineAmounts(net, price - net, price, discount)))
        else:
            tax = round_minor(Decimal(price) * rate)
            per_group.append(((rate_bp, parts), LineAmounts(price, tax, price + tax, discount)))
    return order_totals(per_group)


def cash_due(due_minor: int, increment_minor: int) -> int:
    """What a cash payer hands over for `due_minor` where coins below `increment_minor` are not
    used (e.g. 5 for 0,05): the due rounded to the increment, half up."""
    if increment_minor <= 1:
        return due_minor
    return round_minor(Decimal(due_minor) / increment_minor) * increment_minor


def order_totals(lines: Iterable[tuple[int | tuple[int, tuple], LineAmounts]]) -> Totals:
    """Sum (tax rate, line amounts) pairs into order totals with a breakdown per rate. The rate
    may be (rate, parts) for lines with several taxes: their tax is then split between them."""
    by_rate: dict[tuple[int, tuple], list[int]] = {}
    net = tax = total = discount = 0
    for key, amounts in lines:
        rate_bp, parts = key if isinstance(key, tuple) else (key, ())
        discount += amounts.discount_minor
        net += amounts.net_minor
        tax += amounts.tax_minor
        total += amounts.total_minor
        bucket = by_rate.setdefault((rate_bp, tuple(parts) if len(parts) > 1 else ()), [0, 0])
        bucket[0] += amounts.net_minor
        bucket[1] += amounts.tax_minor
    taxes = tuple(TaxBreakdown(rate, n, t, split_tax(t, parts) if parts else ())
                  for (rate, parts), (n, t) in sorted(by_rate.items()))
    return Totals(net, tax, total, taxes, discount)
