"""Dates, times and numbers as the store's locale writes them, with Babel.

The locale is the language being written in, in the store's country: Spanish in Spain is es_ES
(`4/3/2025 15:06`, `1.234.567`), Spanish in Mexico es_MX, English in the United States en_US
(`3/4/2025 3:06 PM`, `1,234,567`). English in Spain is en_ES, which keeps Spain's conventions
(`1.234,56 €`); a language CLDR does not pair with the country (English in Mexico) takes the
country's own locale (es_MX). Money is formatted in `pos_tui.money` with the same locale.

The store's country is remembered when the store is read (`pos_tui.services.store.get_store`),
so code with no store at hand (a CLI table, a receipt laid out by a worker) formats alike.
"""

from __future__ import annotations

import functools
from datetime import date, datetime

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel.numbers import format_decimal

from pos_tui import i18n

_country = ""


def set_country(country: str) -> None:
    """The store's country (ISO 3166 alpha-2), for the locale of every date and number."""
    global _country
    _country = (country or "").upper()


def locale_for(country: str, language: str | None = None) -> str:
    """The locale for `language` (default: the current one) in `country`: es_ES, en_ES, es_MX,
    en_US…; the country's most likely locale when CLDR has no such pair; en_US for no country."""
    return _locale_for((country or "").upper(), i18n.normalize(language) or i18n.get_language())


@functools.cache
def _locale_for(country: str, language: str) -> str:
    if country:
        for code in (f"{language}_{country}", f"und_{country}"):
            try:
                return str(Locale.parse(code))
            except (UnknownLocaleError, ValueError):
                continue
    return {"es": "es_ES", "en": "en_US"}.get(language, "en_US")


def country_locale(country: str) -> str:
    """The country's own most likely locale (ES -> es_ES, MX -> es_MX, US -> en_US)."""
    try:
        return str(Locale.parse(f"und_{country}"))
    except (UnknownLocaleError, ValueError):
        return "en_US"


def current_locale() -> str:
    """The locale of the current language in the store's country."""
    return locale_for(_country)


def format_date(value: date | datetime | None, locale: str | None = None) -> str:
    """A day, all digits, in the locale's order: 4/3/2025 (es_ES), 3/4/2025 (en_US); "—" for none."""
    if value is None:
        return "—"
    return babel_dates.format_skeleton("yMd", value, locale=locale or current_locale())


def format_time(value: datetime | None, locale: str | None = None) -> str:
    """The time of day the locale's way: 15:06 (es_ES), 3:06 PM (en_US)."""
    if value is None:
        return "—"
    return babel_dates.format_time(value.replace(tzinfo=None), "short", locale=locale or current_locale())


def format_datetime(value: datetime | None, locale: str | None = None) -> str:
    """A local date and time: 4/3/2025 15:06 (es_ES), 3/4/2025 3:06 PM (en_US); "—" for none.
    `value` is already in local time (`pos_tui.db.local_time`)."""
    if value is None:
        return "—"
    locale = locale or current_locale()
    return f"{format_date(value, locale)} {format_time(value, locale)}"


def format_month(value: date | datetime, locale: str | None = None) -> str:
    """A month: 3/2025 (es_ES), 3/2025 (en_US)."""
    return babel_dates.format_skeleton("yM", value, locale=locale or current_locale())


def format_number(value: int | float, locale: str | None = None) -> str:
    """A count with the locale's grouping: 1.234.567 (es_ES), 1,234,567 (en_US)."""
    return format_decimal(value, locale=locale or current_locale())
