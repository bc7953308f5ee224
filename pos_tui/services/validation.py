"""Field validators shared by the till's forms, the CLI and CSV import.

Each returns the cleaned value or raises `ValidationError` naming the field and the problem.
"""

from __future__ import annotations

import unicodedata

from babel import Locale
from babel.numbers import list_currencies

from pos_tui.errors import ValidationError
from pos_tui.i18n import _

# CLDR's territories, less its groupings and placeholders (EU, UN, ZZ, …), are the countries.
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}
_COUNTRIES = frozenset(code for code in Locale("en").territories
                       if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES)
_CURRENCIES = frozenset(list_currencies())


def text(value: object, field: str, *, max_length: int, required: bool = False) -> str:
    """Trimmed single-line text: bounded length, no control characters."""
    cleaned = "" if value is None else str(value).strip()
    if required and not cleaned:
        raise ValidationError(field, _("is required"))
    if any(unicodedata.category(ch) == "Cc" for ch in cleaned):
        raise ValidationError(field, _("must not contain control characters"))
    if len(cleaned) > max_length:
        raise ValidationError(field, _("is too long (at most {n} characters)").format(n=max_length))
    return cleaned


def country(value: object, field: str = "country", *, required: bool = True) -> str:
    """An ISO 3166 alpha-2 country code, upper case."""
    code = text(value, field, max_length=2, required=required).upper()
    if code and code not in _COUNTRIES:
        raise ValidationError(field, _("“{code}” is not a country code (e.g. ES, MX, US)").format(code=code))
    return code


def currency(value: object, field: str = "currency") -> str:
    """An ISO 4217 currency code, upper case."""
    code = text(value, field, max_length=3, required=True).upper()
    if code not in _CURRENCIES:
        raise ValidationError(field, _("“{code}” is not a currency code (e.g. EUR, MXN, USD)")
                              .format(code=code))
    return code


def pin(value: object, field: str = "pin") -> str:
    """A cashier PIN: 4 to 8 digits."""
    raw = "" if value is None else str(value)
    if not (raw.isascii() and raw.isdigit() and 4 <= len(raw) <= 8):
        raise ValidationError(field, _("must be 4 to 8 digits"))
    return raw


class Checker:
    """Validate several fields and report every failing one at once.

    `value = check(validation.text, raw, "name", max_length=120)`; then `check.done()` raises
    one `ValidationError` holding all the field messages, if any.
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def __call__(self, validator, *args, **kwargs):
        try:
            return validator(*args, **kwargs)
        except ValidationError as exc:
            self.errors.update(exc.errors)
            return None

    def done(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
