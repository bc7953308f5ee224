"""Data in: customers from a CSV file (or the JSON that `pos export customers` writes), checked
row by row with the till form's own rules — `customers.clean` for every field and
`customers.find_duplicates` against the store — and against the rows above them in the file.

A dry run reports every problem (row, column, message) and writes nothing. Applying writes the
valid rows in one transaction: all of them or, when a row is bad and `skip_invalid` is not given,
none. Every customer gets what `customers.create_customer` gives one: search tokens, its audit
entry and its `customer.created` event — written in bulk, since a transaction per row (and a
disk sync each) would take minutes for a hundred thousand rows.

The file's encoding (UTF-8, with or without a byte order mark, UTF-16, else Windows-1252 or
Latin-1) and delimiter (`,`, `;` or tab) are detected. Profiles name the columns: `native` reads
what `pos export customers` writes (the form's field names; the columns it cannot set are
ignored), `odoo` reads Odoo's contact export and what `pos export customers --profile odoo`
writes.
"""

from __future__ import annotations

import codecs
import csv
import functools
import html
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from peewee import IntegrityError
from peewee import __exception_wrapper__ as driver_errors

from pos_tui import models
from pos_tui.db import database, is_sqlite, now, write
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import _
from pos_tui.services import bulk, customer_search, customers, events, exports, fiscal, validation
from pos_tui.services.store import require_store

PROFILES = ("native", "odoo")
#: Rows checked against the store at once, and written per statement.
BATCH = 500

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Problem:
    """Something wrong with a row: `row` counts as a spreadsheet does (the header is row 1)."""

    row: int
    column: str
    message: str
    value: str = ""
    duplicate: bool = False  # the row is valid but looks like a customer the store has, or a row above



@dataclass
class Source:
    path: Path
    encoding: str
    delimiter: str  # "" for JSON
    columns: list[str]
    fields: dict[str, str]  # column -> form field
    ignored: list[str]


@dataclass
class ImportReport:
    source: Source
    rows: int = 0
    valid: int = 0
    created: int = 0
    applied: bool = False
    problems: list[Problem] = field(default_factory=list)
    check_seconds: float = 0.0
    write_seconds: float = 0.0

    @property
    def invalid_rows(self) -> int:
        return len({p.row for p in self.problems})


# Reading the file ------------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without a byte order mark), UTF-16 (with one), else Windows-1252, else
    Latin-1 (which reads any byte)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def detect_delimiter(header: str) -> str:
    """The delimiter of a CSV file, from its header line: `,`, `;` or tab, whichever it has most
    of outside quotes (a comma when none)."""
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# The columns each profile reads: column (lower case) -> form field.
_NATIVE = {name: name for name in customers.FORM_FIELDS} | {
    "archived": "archived", "currency": "currency", "marketing_consent_at": "marketing_consent_at"}
_ODOO = {
    "name": "name", "is_company": "is_company", "is a company": "is_company", "company_type": "company_type",
    "company type": "company_type", "email": "email", "phone": "phone", "mobile": "mobile",
    "street": "street", "street2": "street2", "city": "city", "zip": "postal_code",
    "state_id": "state", "state": "state", "state_id/name": "state", "country_id": "country",
    "country": "country", "country_id/code": "country", "country_id/id": "country", "country_code": "country",
    "country code": "country", "vat": "tax_id", "tax id": "tax_id", "lang": "language", "language": "language",
    "comment": "notes", "notes": "notes", "barcode": "loyalty_card", "active": "active",
}


def _fiscal_fields() -> dict[str, str]:
    return {f"fiscal.{extra.key}": f"fiscal.{extra.key}" for _country, extra in fiscal.all_extra_fields()}


def _map_columns(columns: list[str], profile: str, known: dict[str, str] | None = None,
                 ) -> tuple[dict[str, str], list[str]]:
    if known is None:
        known = (_ODOO if profile == "odoo" else _NATIVE) | _fiscal_fields()
    fields, ignored, taken = {}, [], {}
    for column in columns:
        target = known.get(column.strip().lower())
        if target is None:
            ignored.append(column)
            continue
        if target in taken:
            raise PosError(_("The columns “{a}” and “{b}” both give the {field}.").format(
                a=taken[target], b=column, field=target))
        taken[target] = column
        fields[column] = target
    if "name" not in taken:
        raise PosError(_("The file has no “name” column (its columns: {columns}).").format(
            columns=", ".join(columns) or "—"))
    return fields, ignored


def _text(value: object) -> str:
    """A cell as the form would receive it (JSON numbers and booleans as typed text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def _json_records(path: Path, encoding: str) -> tuple[list[str], Iterator[dict]]:
    with open(path, encoding=encoding) as handle:
        start = handle.read(1 << 16).lstrip()[:1]
    if start == "[":
        with open(path, encoding=encoding) as handle:
            try:
                records = json.load(handle, parse_float=Decimal)
            except json.JSONDecodeError as exc:
                raise PosError(_("The file is not valid JSON: {error}.").format(error=exc)) from None
        if not all(isinstance(r, dict) for r in records):
            raise PosError(_("The JSON file must hold a list of objects, one per customer."))
        columns = list(dict.fromkeys(k for r in records[:100] for k in r))
        return columns, iter(records)

    def lines() -> Iterator[dict]:
        with open(path, encoding=encoding) as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        yield json.loads(line, parse_float=Decimal)
                    except json.JSONDecodeError as exc:
                        raise PosError(_("Line {n} is not valid JSON: {error}.").format(n=number, error=exc)) from None

    first = next(lines(), {})
    return list(first), lines()


def read_rows(path: Path, profile: str = "native", known: dict[str, str] | None = None,
              ) -> tuple[Source, Iterator[tuple[int, dict[str, str]]]]:
    """The file's columns and its rows: (row number, {column: text}). `known`: the columns read
    (lower case -> field) when not the customer profile's (the product import's)."""
    if profile not in PROFILES:
        raise ValidationError("--profile", _("must be one of: {profiles}").format(profiles=", ".join(PROFILES)))
    path = Path(path)
    if not path.is_file():
        raise PosError(_("No file {path}.").format(path=path))
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as handle:
        head = handle.read(1 << 16)
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson") or head.lstrip()[:1] in ("[", "{"):
        columns, records = _json_records(path, encoding)
        fields, ignored = _map_columns(columns, profile, known)
        source = Source(path, encoding, "", columns, fields, ignored)

        def json_rows() -> Iterator[tuple[int, dict[str, str]]]:
            for number, record in enumerate(records, start=2):
                yield number, {key: _text(value) for key, value in record.items()}

        return source, json_rows()
    delimiter = detect_delimiter(head.split("\n", 1)[0])
    handle = open(path, encoding=encoding, newline="")
    reader = csv.reader(handle, delimiter=delimiter)
    columns = [c.strip() for c in next(reader, [])]
    if not columns:
        handle.close()
        raise PosError(_("The file {path} is empty.").format(path=path))
    fields, ignored = _map_columns(columns, profile, known)
    source = Source(path, encoding, delimiter, columns, fields, ignored)

    def csv_rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            for number, cells in enumerate(reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue
                yield number, dict(zip(columns, cells))
        finally:
            handle.close()

    return source, csv_rows()


def count_records(source: Source) -> int:
    """How many rows the file holds (a quick pass, for a progress bar; 0 when unknown)."""
    if not source.delimiter:
        return 0
    with open(source.path, encoding=source.encoding, newline="") as handle:
        return max(0, sum(1 for _record in csv.reader(handle, delimiter=source.delimiter)) - 1)


# From a row to the form's data -------------------------------------------------------------------


_TAGS = re.compile(r"<[^>]+>")


def _plain_text(value: str) -> str:
    """Odoo writes notes as HTML: its text, a line per paragraph."""
    if "<" not in value or not _TAGS.search(value):
        return value
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", value)
    return html.unescape(_TAGS.sub("", text)).strip()


def form_data(raw: dict[str, str], source: Source, profile: str) -> tuple[dict, dict[str, str]]:
    """What the form would receive from this row, and the problems found on the way (field ->
    message) with values that cannot even reach the form."""
    data: dict = {}
    errors: dict[str, str] = {}
    for column, target in source.fields.items():
        value = (raw.get(column) or "").strip()
        if value[:1] == "'":  # what an export neutralised
            value = exports.unneutralise(value)
        data[target] = value
    if profile == "odoo":
        if "company_type" in data:
            kind = data.pop("company_type").lower()
            if kind:
                data.setdefault("is_company", "true" if kind == "company" else "false")
        if data.get("country"):
            data["country"] = exports.country_code(data["country"])
        if data.get("state"):
            data["state"] = re.sub(r"\s*\([A-Z]{2}\)$", "", data["state"])  # Odoo's "Madrid (ES)"
        if data.get("language"):
            data["language"] = exports.from_odoo_language(data["language"])
        if data.get("notes"):
            data["notes"] = _plain_text(data["notes"])
        if "active" in data:
            active = data.pop("active")
            try:
                data["archived"] = not validation.boolean(active, "active") if active else False
            except ValidationError as exc:
                errors.update(exc.errors)
    if "archived" in data and not isinstance(data["archived"], bool):
        try:
            data["archived"] = validation.boolean(data["archived"], "archived")
        except ValidationError as exc:
            errors.update(exc.errors)
            data["archived"] = False
    if data.get("marketing_consent_at"):
        try:
            data["marketing_consent_at"] = _utc(data["marketing_consent_at"])
        except ValueError:
            errors["marketing_consent_at"] = _("“{text}” is not a date and time (e.g. 2026-03-31T09:15:02+00:00)"
                                               ).format(text=data["marketing_consent_at"])
    return data, errors


def _utc(text: str) -> datetime:
    """A time as exports write it (ISO 8601, or `YYYY-MM-DD HH:MM:SS` in UTC) as it is stored:
    naive UTC. A time without an offset is taken as UTC."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


# Duplicates in the file ---------------------------------------------------------------------------

# A row's name is folded several times (its keys, the store's, the file's): once is enough.
_name_key = functools.lru_cache(maxsize=256)(customer_search.name_key)
_words = functools.lru_cache(maxsize=256)(customer_search.significant_words)



class _Seen:
    """The keys of the valid rows so far, to find duplicates within the file by the form's rules."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], int] = {}
        self.words: dict[tuple[str, str], list[int]] = {}
        self.word_sets: dict[int, set[str]] = {}
        self.names: dict[int, str] = {}

    @staticmethod
    def _keys(values: dict) -> list[tuple[str, str, str, str]]:
        """(key kind, value, reason, field) by the rules of `find_duplicates`."""
        found = []
        if values.get("tax_id"):
            for form in customers.tax_id_forms(values["tax_id"], values.get("tax_country", "")):
                found.append(("tax", form, _("same tax ID"), "tax_id"))
        if values.get("email"):
            found.append(("email", values["email"], _("same email"), "email"))
        for name in ("phone", "mobile"):
            if values.get(f"{name}_e164"):
                found.append(("phone", values[f"{name}_e164"], _("same phone"), name))
        key = _name_key(values.get("name", ""))
        if " " in key:
            found.append(("name", key, _("same first and last name"), "name"))
        return found

    def matches(self, values: dict) -> dict[int, list[tuple[str, str]]]:
        """Earlier rows this one may be the same customer as: row -> [(reason, field)]."""
        hits: dict[int, list[tuple[str, str]]] = {}
        for kind, value, reason, name in self._keys(values):
            row = self.keys.get((kind, value))
            if row is not None and all(reason != r for r, _f in hits.setdefault(row, [])):
                hits[row].append((reason, name))
        words = set(_words(values.get("name", "")))
        postal = values.get("postal_code")
        if postal and words:
            shared: dict[int, int] = {}
            for word in words:
                for row in self.words.get((postal, word), ()):
                    shared[row] = shared.get(row, 0) + 1
            for row, count in shared.items():
                if row not in hits and count >= min(2, len(words), len(self.word_sets[row])):
                    hits[row] = [(_("similar name, same postal code"), "name")]
        return {row: reasons for row, reasons in hits.items() if reasons}

    def add(self, row: int, values: dict) -> None:
        for kind, value, _reason, _field in self._keys(values):
            self.keys.setdefault((kind, value), row)
        if values.get("loyalty_card"):
            self.keys.setdefault(("card", values["loyalty_card"]), row)
        words = set(_words(values.get("name", "")))
        if values.get("postal_code") and words:
            self.word_sets[row] = words
            for word in words:
                self.words.setdefault((values["postal_code"], word), []).append(row)
        self.names[row] = values.get("name", "")


# Duplicates in the store ----------------------------------------------------------------------------


def _store_hits(batch: list[tuple[int, dict]]) -> dict[int, str]:
    """The rows of `batch` that share a key with a customer of the store (row -> the field): only
    those can have duplicates by `find_duplicates`' rules, which then decides. A few queries per
    batch instead of several per row."""
    C = models.Customer
    taxes, emails, phones, names, postals = set(), set(), set(), set(), set()
    for _row, values in batch:
        if values.get("tax_id"):
            taxes.update(customers.tax_id_forms(values["tax_id"], values.get("tax_country", "")))
        if values.get("email"):
            emails.add(values["email"])
        phones.update({values.get("phone_e164"), values.get("mobile_e164")} - {None, ""})
        key = _name_key(values.get("name", ""))
        if " " in key:
            names.add(key)
        if values.get("postal_code") and _words(values.get("name", "")):
            postals.add(values["postal_code"])
    active = C.archived == False  # noqa: E712

    def existing(column, wanted: set) -> set:
        if not wanted:
            return set()
        return {v for (v,) in C.select(column).where(column.in_(list(wanted)) & active).distinct().tuples()}

    found_taxes, found_emails, found_names = existing(C.tax_id, taxes), existing(C.email, emails), existing(
        C.name_key, names)
    found_phones = existing(C.phone_e164, phones) | existing(C.mobile_e164, phones)
    found_postals = existing(C.postal_code, postals)
    hits = {}
    for row, values in batch:
        if values.get("tax_id") and found_taxes & set(
                customers.tax_id_forms(values["tax_id"], values.get("tax_country", ""))):
            hits[row] = "tax_id"
        elif values.get("email") in found_emails:
            hits[row] = "email"
        elif values.get("phone_e164") in found_phones:
            hits[row] = "phone"
        elif values.get("mobile_e164") in found_phones:
            hits[row] = "mobile"
        elif _name_key(values.get("name", "")) in found_names:
            hits[row] = "name"
        elif values.get("postal_code") in found_postals:
            hits[row] = "postal_code"
    return hits


def _cards_taken(cards: set[str]) -> dict[str, str]:
    """The loyalty cards of `cards` that customers of the store hold (archived ones too, as the
    form checks): card -> the holder's name."""
    if not cards:
        return {}
    C = models.Customer
    return dict(C.select(C.loyalty_card, C.name).where(C.loyalty_card.in_(sorted(cards))).tuples())


# Checking -----------------------------------------------------------------------------------------


@dataclass
class _Valid:
    row: int
    values: dict
    archived: bool
    consent_at: datetime | None = None  # when the file says the customer gave it
    candidates: list[int] = field(default_factory=list)


def _column_of(source: Source, target: str) -> str:
    for column, name in source.fields.items():
        if name == target:
            return column
    return target


def check_rows(source: Source, rows: Iterator[tuple[int, dict[str, str]]], profile: str, *,
               allow_duplicates: bool = False, progress: Callable[[int], None] | None = None,
               ) -> tuple[list[_Valid], list[Problem], int]:
    """Every row through the form's checks, then the duplicate rules. Returns the valid rows,
    the problems and how many rows were read."""
    shop = require_store()
    seen = _Seen()
    valid: list[_Valid] = []
    problems: list[Problem] = []
    pending: list[_Valid] = []
    count = 0

    def problem(row: int, target: str, message: str, raw: dict[str, str], duplicate: bool = False) -> None:
        column = _column_of(source, target)
        problems.append(Problem(row, column, message, (raw.get(column) or "")[:200], duplicate))

    def settle(batch: list[_Valid]) -> None:
        hits = _store_hits([(item.row, item.values) for item in batch])
        cards = _cards_taken({item.values["loyalty_card"] for item in batch} - {None})
        for item in batch:
            holder = cards.get(item.values["loyalty_card"])
            if holder is not None:
                problem(item.row, "loyalty_card", _("already belongs to {name}").format(name=holder),
                        raws.pop(item.row, {}))
                continue
            if item.row in hits:
                found = customers.find_duplicates(item.values)
                if found and not allow_duplicates:
                    detail = "; ".join(_("customer {id} ({name}): {reasons}").format(
                        id=d.customer.id, name=d.customer.name, reasons=", ".join(d.reasons)) for d in found[:3])
                    problem(item.row, hits[item.row], _("may be a customer the store has: {who}").format(who=detail),
                            raws.pop(item.row, {}), duplicate=True)
                    continue
                item.candidates = [d.customer.id for d in found]
            raws.pop(item.row, None)
            valid.append(item)

    raws: dict[int, dict[str, str]] = {}
    for row, raw in rows:
        count += 1
        data, errors = form_data(raw, source, profile)
        currency = data.pop("currency", "")
        if currency and currency.upper() != shop.currency and str(data.get("credit_limit") or "").strip():
            errors["currency"] = _("the credit limit is in {theirs}; this store counts in {ours}").format(
                theirs=currency, ours=shop.currency)
        archived = bool(data.pop("archived", False))
        consent_at = data.pop("marketing_consent_at", None) or None
        # The card's text is checked here and whether the store has it once per batch (`settle`):
        # the form's rule without a query per row.
        card = data.pop("loyalty_card", None)
        try:
            card = validation.text(card, "loyalty_card", max_length=40, code=True) or None
        except ValidationError as exc:
            errors.update(exc.errors)
        try:
            cleaned = customers.clean(data, shop.country, shop.exponent)
        except ValidationError as exc:
            errors = {**exc.errors, **errors}
            cleaned = None
        else:
            cleaned.values["loyalty_card"] = card
        if errors:
            for target, message in errors.items():
                problem(row, target, message, raw)
        elif cleaned is not None:
            values = cleaned.values
            card = values.get("loyalty_card")
            if card and ("card", card) in seen.keys:
                problem(row, "loyalty_card", _("already belongs to row {row}").format(row=seen.keys[("card", card)]),
                        raw)
            else:
                earlier = seen.matches(values)
                if earlier and not allow_duplicates:
                    first = min(earlier)
                    reasons = ", ".join(reason for reason, _field in earlier[first])
                    problem(row, earlier[first][0][1], _("may be the same customer as row {row} ({name}): {reasons}")
                            .format(row=first, name=seen.names[first], reasons=reasons), raw, duplicate=True)
                else:
                    seen.add(row, values)
                    raws[row] = raw
                    pending.append(_Valid(row, values, archived, consent_at))
        if len(pending) >= BATCH:
            settle(pending)
            pending = []
        if progress and count % 100 == 0:
            progress(count)
    if pending:
        settle(pending)
    if progress:
        progress(count)
    problems.sort(key=lambda p: p.row)
    return valid, problems, count


# Writing ------------------------------------------------------------------------------------------

def _insert_sql() -> tuple[str, list]:
    meta = models.Customer._meta
    fields = [f for f in meta.sorted_fields if f is not meta.primary_key]
    names = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = ", ".join([database.param] * len(fields))
    returning = "" if is_sqlite() else f' RETURNING "{meta.primary_key.column_name}"'
    return f'INSERT INTO "{meta.table_name}" ({names}) VALUES ({marks}){returning}', fields


def _insert(cursor, sql: str, params: list) -> int:
    """One customer row in, its id back (SQLite's last row id, else RETURNING)."""
    with driver_errors:  # as peewee's own errors (IntegrityError, …), whatever the driver
        cursor.execute(sql, params)
    return cursor.lastrowid if is_sqlite() else cursor.fetchone()[0]




def _audited(values: dict) -> dict:
    """As `customers.create_customer` audits a new customer: the fields that were filled in."""
    return {k: [None, v] for k, v in values.items() if v not in ("", None, False, 0, "{}")}


@contextmanager
def _page_cache(kib: int):
    """SQLite's page cache of this connection raised to `kib` for a bulk write: the customer
    indexes and the search tokens it grows are written all over, and the default 2 MB would
    read the same pages again and again."""
    if not is_sqlite():
        yield
        return
    before = database.execute_sql("PRAGMA cache_size").fetchone()[0]
    database.execute_sql(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        database.execute_sql(f"PRAGMA cache_size = {int(before)}")


def write_rows(valid: list[_Valid], cashier_id: int | None = None,
               progress: Callable[[int], None] | None = None) -> int:
    """Create the customers of `valid` in one transaction, each as `create_customer` would: the
    row, its search tokens, its audit entry (and one for a duplicate created anyway), its
    `customer.created` event. Returns how many."""
    sql, fields = _insert_sql()
    defaults = {f.name: f.default() if callable(f.default) else f.default for f in fields}
    A, T = models.AuditLog, models.CustomerToken
    convert = [i for i, flag in enumerate(bulk.times(fields)) if flag]
    with write(), _page_cache(64 * 1024):
        cursor = database.cursor()
        created = now()
        for start in range(0, len(valid), BATCH):
            batch = valid[start:start + BATCH]
            tokens, audits, told = [], [], []
            for item in batch:
                values = dict(item.values)
                if values["marketing_consent"]:
                    values["marketing_consent_at"] = item.consent_at or created
                token_set = customer_search.tokens(values)
                rank = customer_search.score(created, None, 0)
                row = {**defaults, **values, "search_key": customer_search.search_key(token_set), "score": rank,
                       "name_key": _name_key(values["name"]), "created_at": created,
                       "updated_at": created, "archived": item.archived}
                params = [row[f.name] for f in fields]
                for i in convert:
                    if params[i] is not None:
                        params[i] = str(params[i])
                customer_id = _insert(cursor, sql, params)
                if not item.archived:
                    tokens.extend({"token": t, "score": rank, "customer": customer_id} for t in token_set)
                changes = _audited({**values, **({"archived": True} if item.archived else {})})
                audits.append({"entity": "customer", "entity_id": customer_id, "action": "create",
                               "cashier": cashier_id, "at": created,
                               "changes": _to_json(changes)})
                if item.candidates:
                    audits.append({"entity": "customer", "entity_id": customer_id,
                                   "action": "create_despite_duplicates", "cashier": cashier_id, "at": created,
                                   "changes": json.dumps({"candidates": item.candidates})})
                payload = {"id": customer_id, **{name: row[name] for name in customers.EVENT_FIELDS},
                           "fiscal_extra": json.loads(values["fiscal_extra"] or "{}")}
                told.append((events.CUSTOMER_CREATED, "customer", customer_id, payload))
            bulk.insert(T, tokens)
            bulk.insert(A, audits)
            events.emit_many(told)
            if progress:
                progress(start + len(batch))
    return len(valid)


def _plain(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


_to_json = json.JSONEncoder(ensure_ascii=False, default=_plain).encode


# The whole import ---------------------------------------------------------------------------------


def import_customers(path: Path | str, profile: str = "native", *, apply: bool = False, skip_invalid: bool = False,
                     allow_duplicates: bool = False, cashier_id: int | None = None,
                     progress: Progress | None = None) -> ImportReport:
    """Check a file of customers and, with `apply`, create them. Without `skip_invalid` a single
    problem means nothing is written; with it the valid rows go in and the report lists the
    others."""
    with exports.no_gc():  # many small objects and no cycle: see `exports.no_gc`
        return _import_customers(path, profile, apply, skip_invalid, allow_duplicates, cashier_id, progress)


def _import_customers(path: Path | str, profile: str, apply: bool, skip_invalid: bool, allow_duplicates: bool,
                      cashier_id: int | None, progress: Progress | None) -> ImportReport:
    source, rows = read_rows(Path(path), profile)
    report = ImportReport(source)
    started = time.perf_counter()
    total = count_records(source) if progress else 0
    valid, report.problems, report.rows = check_rows(
        source, rows, profile, allow_duplicates=allow_duplicates,
        progress=(lambda done: progress("check", done, total)) if progress else None)
    report.valid = len(valid)
    report.check_seconds = time.perf_counter() - started
    if not apply or (report.problems and not skip_invalid) or not valid:
        return report
    started = time.perf_counter()
    try:
        report.created = write_rows(valid, cashier_id,
                                    (lambda done: progress("write", done, len(valid))) if progress else None)
    except IntegrityError as exc:  # a till saved the same loyalty card since the check: all rolled back
        raise PosError(_("Nothing was written: the database refused a row ({error}); another till may have "
                         "just saved one of these customers. Run the import again.").format(error=exc)) from None
    report.applied = True
    report.write_seconds = time.perf_counter() - started
    return report


REPORT_COLUMNS = ("row", "column", "message", "value")


def report_path(path: Path | str) -> Path:
    """Where the report of an import goes: beside the file, `FILE.report.csv`."""
    path = Path(path)
    return path.with_name(path.name + ".report.csv")


def write_report(problems: list[Problem], target: Path) -> Path:
    """The problems as CSV (UTF-8 with a byte order mark, so spreadsheets read the accents)."""
    with open(target, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REPORT_COLUMNS)
        for p in problems:
            writer.writerow([p.row, exports.neutralise(p.column), exports.neutralise(p.message),
                             exports.neutralise(p.value)])
    return target
