"""One gettext entry point, so every user-facing string can be translated later without a hunt."""

from __future__ import annotations

import gettext
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
_translation: gettext.NullTranslations = gettext.NullTranslations()


def set_language(language: str | None) -> None:
    """Switch the process to `language` (e.g. "es"); unknown languages fall back to English."""
    global _translation
    if not language:
        _translation = gettext.NullTranslations()
        return
    _translation = gettext.translation("pos_tui", LOCALE_DIR, languages=[language], fallback=True)


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; translate it with `_` where shown."""
    return message
