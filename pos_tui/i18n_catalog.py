"""The translation catalogs: extract the messages from the source, update each language's `.po`,
compile the `.mo` files that ship in the package, and check that nothing is left untranslated.

    python -m pos_tui.i18n_catalog update     # extract + merge into every .po + compile the .mo
    python -m pos_tui.i18n_catalog check      # untranslated or fuzzy messages, placeholders that differ
    python -m pos_tui.i18n_catalog extract [-o FILE]   # the template (.pot) alone
    python -m pos_tui.i18n_catalog compile    # the .mo files from the .po files
    python -m pos_tui.i18n_catalog todo [-l es] > todo.json   # what is left, as {msgid: guess}
    python -m pos_tui.i18n_catalog fill todo.json [-l es]     # write those translations, compile

Messages are the strings given to `_`, `N_` and `ngettext` anywhere in `pos_tui/`, and the help
of every `pos` command and option (docstrings and `help=`, read from the Typer app itself, so
what is extracted is exactly what `--help` shows). After `update`, translate the new entries
(empty `msgstr`, or marked `#, fuzzy` for a guess to review) in `pos_tui/locale/es/LC_MESSAGES/pos_tui.po`,
then run `compile` (or `update` again). English is the source language: its `.po` stays empty.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from pos_tui import i18n

PACKAGE_DIR = Path(__file__).parent
ROOT = PACKAGE_DIR.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
COMMENT_TAGS = ["TRANSLATORS:"]
#: Languages with a catalog; the first is the source language.
LANGUAGES = i18n.LANGUAGES
#: The language whose catalog must be complete (every message translated).
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != i18n.DEFAULT)
HEADER = ("# {language} messages of pos-tui.\n"
          "# Updated by `python -m pos_tui.i18n_catalog update`; translate the empty msgstr.")
#: One singular and one plural, as the till's texts need (CLDR gives Spanish a third, for millions).
PLURAL_FORMS = {"es": "nplurals=2; plural=(n != 1);"}
_DATE_HEADERS = re.compile(r'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"$', re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(?:\([^)]*\))?[sdr]")


def po_path(language: str) -> Path:
    return i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def mo_path(language: str) -> Path:
    return po_path(language).with_suffix(".mo")


def _relative(filename: str) -> str:
    path = Path(filename)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def extract() -> Catalog:
    """Every message of the source: `_`/`N_`/`ngettext` calls, and the CLI's help texts."""
    catalog = Catalog(project="pos-tui", domain=i18n.DOMAIN, fuzzy=False, charset="utf-8")
    skip = ("locale",)
    for filename, lineno, message, comments, context in extract_from_dir(
            PACKAGE_DIR, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=COMMENT_TAGS,
            strip_comment_tags=True):
        if filename.split("/")[0] in skip:
            continue
        catalog.add(message, None, [(f"pos_tui/{filename}", lineno)], auto_comments=comments, context=context)
    from typer.main import get_command

    from pos_tui import cli, cli_help

    for filename, lineno, text, what in cli_help.help_messages(get_command(cli.app)):
        entry = catalog.get(text)
        comment = f"help of {what}"
        if entry is None:
            catalog.add(text, None, [(_relative(filename), lineno)], auto_comments=[comment])
        else:
            entry.locations.append((_relative(filename), lineno))
            if comment not in entry.auto_comments:
                entry.auto_comments.append(comment)
    return catalog


def _po_text(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=False, ignore_obsolete=True, include_previous=False)
    return out.getvalue()


def _same_but_dates(old: bytes, new: bytes) -> bool:
    strip = lambda b: _DATE_HEADERS.sub("", b.decode("utf-8"))  # noqa: E731
    return strip(old) == strip(new)


def read_catalog(language: str) -> Catalog:
    with open(po_path(language), "rb") as handle:
        return read_po(handle, locale=language, domain=i18n.DOMAIN)


def update(template: Catalog | None = None, languages: Iterable[str] = LANGUAGES) -> list[str]:
    """Merge the template into each language's `.po` (new messages come empty, changed ones as
    fuzzy guesses, gone ones are dropped), then compile. Returns the files written."""
    template = template or extract()
    written = []
    for language in languages:
        path = po_path(language)
        if path.exists():
            catalog = read_catalog(language)
            catalog.update(template, update_header_comment=False)
        else:
            catalog = Catalog(locale=language, domain=i18n.DOMAIN, project="pos-tui", version="0.1",
                              charset="utf-8", fuzzy=False, header_comment=HEADER.format(
                                  language=i18n.NAMES[language]))
            if language in PLURAL_FORMS:
                catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS[language])]
            catalog.update(template)
        new = _po_text(catalog)
        if not path.exists() or not _same_but_dates(path.read_bytes(), new):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(new)
            written.append(str(path))
    return written + compile_all(languages)


def mo_bytes(language: str) -> bytes:
    """The `.mo` the language's `.po` compiles to (fuzzy entries left out)."""
    out = io.BytesIO()
    write_mo(out, read_catalog(language), use_fuzzy=False)
    return out.getvalue()


def compile_all(languages: Iterable[str] = LANGUAGES) -> list[str]:
    written = []
    for language in languages:
        data = mo_bytes(language)
        path = mo_path(language)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
            written.append(str(path))
    return written


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def _texts(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def problems(language: str, template: Catalog | None = None) -> list[str]:
    """What is wrong with a language's catalog: messages of the source it lacks or leaves
    untranslated (or fuzzy), translations whose placeholders differ from the English, and a `.mo`
    that is not what the `.po` compiles to."""
    template = template or extract()
    catalog = read_catalog(language)
    found = []
    for message in template:
        if not message.id:
            continue
        entry: Message | None = catalog.get(message.id, context=message.context)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        english = _texts(message.id)
        if entry is None:
            found.append(f"missing from the .po ({where}): {english[0]!r}")
            continue
        strings = _texts(entry.string)
        if entry.fuzzy or not all(strings):
            found.append(f"{'fuzzy' if entry.fuzzy else 'untranslated'} ({where}): {english[0]!r}")
            continue
        for text in strings:
            if placeholders(text) != placeholders(english[-1]) and placeholders(text) != placeholders(english[0]):
                found.append(f"placeholders differ ({where}): {english[0]!r} → {text!r}")
    if not mo_path(language).exists() or mo_path(language).read_bytes() != mo_bytes(language):
        found.append(f"{mo_path(language)} is not what its .po compiles to: run `python -m pos_tui.i18n_catalog "
                     "compile`")
    return found


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def todo(language: str) -> dict[str, str | list[str]]:
    """The messages of `language` still empty or fuzzy: {msgid: current guess} ({singular: [forms]}
    for plurals), to be edited and given back to `fill`."""
    left: dict[str, str | list[str]] = {}
    for message in read_catalog(language):
        if not message.id:
            continue
        strings = list(message.string) if isinstance(message.string, tuple) else [message.string]
        if message.fuzzy or not all(strings):
            left[_key(message)] = strings if isinstance(message.id, tuple) else strings[0]
    return left


def fill(translations: dict[str, str | list[str]], language: str) -> int:
    """Write translations ({msgid: text}, or {singular: [forms]}) into the `.po`, clear their fuzzy
    mark, compile. Returns how many were written; an unknown msgid is an error."""
    catalog = read_catalog(language)
    by_key = {_key(m): m for m in catalog if m.id}
    unknown = sorted(set(translations) - set(by_key))
    if unknown:
        raise SystemExit(f"not in the {language} catalog: {unknown[:3]}")
    for key, text in translations.items():
        message = by_key[key]
        message.string = tuple(text) if isinstance(message.id, tuple) else text
        message.flags.discard("fuzzy")
    po_path(language).write_bytes(_po_text(catalog))
    compile_all([language])
    return len(translations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pos_tui.i18n_catalog", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    pot = sub.add_parser("extract", help="write the template (.pot) of every message")
    pot.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    sub.add_parser("update", help="extract, merge into every language's .po, compile the .mo files")
    sub.add_parser("compile", help="compile every .po to its .mo")
    sub.add_parser("check", help="list untranslated or fuzzy messages and placeholders that differ")
    left = sub.add_parser("todo", help="print the messages left to translate as JSON {msgid: guess}")
    left.add_argument("-l", "--language", default=TRANSLATED[0])
    given = sub.add_parser("fill", help="write translations from a JSON file {msgid: text} and compile")
    given.add_argument("file")
    given.add_argument("-l", "--language", default=TRANSLATED[0])
    args = parser.parse_args(argv)
    if args.command == "todo":
        json.dump(todo(args.language), sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    if args.command == "fill":
        with open(args.file, encoding="utf-8") as handle:
            print(f"{args.language}: {fill(json.load(handle), args.language)} translations written")
        return 0
    if args.command == "extract":
        data = _po_text(extract())
        if args.output == "-":
            sys.stdout.buffer.write(data)
        else:
            Path(args.output).write_bytes(data)
        return 0
    if args.command == "update":
        template = extract()
        for path in update(template):
            print(f"wrote {path}")
        pending = {language: problems(language, template) for language in TRANSLATED}
        for language, found in pending.items():
            print(f"{language}: {len(template) - 1} messages, {len(found)} to translate or fix")
        return 0
    if args.command == "compile":
        for path in compile_all():
            print(f"wrote {path}")
        return 0
    template = extract()
    status = 0
    for language in TRANSLATED:
        found = problems(language, template)
        for line in found:
            print(f"{language}: {line}")
        status = status or (1 if found else 0)
    if not status:
        print(f"{', '.join(TRANSLATED)}: all {len(template) - 1} messages translated")
    return status


if __name__ == "__main__":
    sys.exit(main())
