"""One gettext entry point for every user-facing string, and the choice of language.

The catalogs are `pos_tui/locale/<lang>/LC_MESSAGES/pos_tui.po`, compiled to `.mo` beside them
and shipped in the package; `python -m pos_tui.i18n_catalog update` refreshes them from the
source. English is the source language: an English `.mo` exists but changes nothing.

The language is chosen once per process (`--lang`, then `POS_LANG`, then the system's locale:
`LC_ALL`, `LC_MESSAGES`, `LANG`; English when none names a language we have), and a cashier can
switch it at login. A receipt or an invoice is written in its customer's language when set:
`in_language(code)` changes the language for the code inside it, in this thread (or asyncio
task) only, so a receipt printed by a worker never changes what the screen shows.
"""

from __future__ import annotations

import contextlib
import gettext
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "pos_tui"
#: The languages the till speaks, the first one being the source language of the code.
LANGUAGES = ("en", "es")
DEFAULT = "en"
#: Each language's name in that language (never translated: a Spanish speaker looks for "Español").
NAMES = {"en": "English", "es": "Español"}
#: Where the language is read from in the environment, in order.
ENV_VARS = ("POS_LANG", "LC_ALL", "LC_MESSAGES", "LANG")

_language = DEFAULT
_translations: dict[str, gettext.NullTranslations] = {}
#: A language for the code inside `in_language`, else the process's.
_override: ContextVar[str | None] = ContextVar("pos_tui_language", default=None)


def normalize(code: str | None) -> str | None:
    """The language of a code as people and locales write it ("es_ES.UTF-8", "es-MX", "ES", "es")
    if it is one the till speaks; None for anything else ("", "C", "POSIX", "fr")."""
    if not code:
        return None
    base = code.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else None


def _translation(language: str) -> gettext.NullTranslations:
    found = _translations.get(language)
    if found is None:
        found = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)
        _translations[language] = found
    return found


def set_language(language: str | None) -> str:
    """Switch the process to `language` (e.g. "es", "es_ES.UTF-8"); one the till does not speak,
    or none, is English. Returns the language now in use."""
    global _language
    _language = normalize(language) or DEFAULT
    return _language


def get_language() -> str:
    """The language text is being written in now ("en" or "es")."""
    return _override.get() or _language


def process_language() -> str:
    """The till's own language, whatever `in_language` says for the moment."""
    return _language


@contextlib.contextmanager
def in_language(language: str | None) -> Iterator[str]:
    """Write in `language` inside the block (this thread or task only); a language the till does
    not speak, or none, keeps the current one. Yields the language used."""
    chosen = normalize(language) or get_language()
    token = _override.set(chosen)
    try:
        yield chosen
    finally:
        _override.reset(token)


def language_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The language the environment asks for: `POS_LANG`, then the locale (`LC_ALL`,
    `LC_MESSAGES`, `LANG`). The first variable that is set decides; None when it names no
    language the till speaks."""
    environ = os.environ if environ is None else environ
    for name in ENV_VARS:
        value = environ.get(name, "").strip()
        if value:
            return normalize(value)
    return None


def choose_language(option: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """`--lang` if given, else `POS_LANG`, else the system's locale, else English."""
    return normalize(option) or language_from_env(environ) or DEFAULT


def _(message: str) -> str:
    if not message:
        return message
    return _translation(get_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation(get_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; translate it with `_` where shown."""
    return message
