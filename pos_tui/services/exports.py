"""Data out: whole tables as CSV, JSON or JSON lines, streamed with constant memory, and the
change feed (`pos export …`).

How values are written, in every format:

- text as UTF-8; times in ISO 8601, UTC (`2026-03-31T09:15:02.123456+00:00`);
- amounts as decimal numbers in the currency's major units (`12.50`), computed from the stored
  integer minor units with `Decimal` (never a float), beside a `currency` column. In JSON they
  are JSON numbers written digit for digit from the `Decimal` (`12.50`, never `12.499999…`);
- percentages (discounts, tax rates) as decimal numbers of percent (`21`, `12.5`);
- yes/no as `true`/`false`; nothing as an empty cell (CSV) or `null` (JSON);
- CSV records end in CRLF (RFC 4180), and a cell holding a comma, a quote or a line break is quoted.

CSV is safe to open in a spreadsheet: a text cell that begins with `=`, `+`, `-`, `@`, a tab or a
carriage return gets a `'` in front, so that no formula in the data runs (and one that already
begins with `'` before such a character gets one more, so that `pos import` reads back exactly what
was stored). Phone numbers are the one exception in plain CSV: a phone column's value made only of
digits, spaces and `+ - . ( ) /` (`+34 612 000 111`) can hold no formula and other programs read
phone numbers, so it is left as it is; `excel=True` prefixes those too, since a spreadsheet would
compute them. Amounts are numbers and never prefixed, negative ones included.
`excel=True` also writes a UTF-8 byte order mark, and where the store's locale writes decimal
commas (Babel's `get_decimal_symbol`), `;` between cells and amounts with a decimal comma;
its times are `YYYY-MM-DD HH:MM:SS` (UTC), which spreadsheets read as dates.

Rows are read a chunk at a time by keyset pagination on the primary key (`WHERE id > last ORDER
BY id LIMIT n`), so memory stays flat whatever the table's size and no read transaction is held
for the whole export. Each row is turned into its cells by a function compiled once per export
from the column list (see `_compile`): at a million rows, calling one small function per cell
would cost more than reading the database.
"""

from __future__ import annotations

import csv
import gc
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import ROUND_HALF_UP, Decimal
from json.encoder import encode_basestring
from typing import TextIO

from babel import Locale
from babel.core import get_global
from babel.numbers import get_decimal_symbol

from pos_tui import models, quantity
from pos_tui.db import database, is_sqlite
from pos_tui.errors import ValidationError
from pos_tui.i18n import _
from pos_tui.money import exponent
from pos_tui.services import events, fiscal
from pos_tui.services.store import get_store

FORMATS = ("csv", "json", "jsonl")
KINDS = ("customers", "orders", "order-lines", "payments", "invoices", "loyalty", "sessions")
PROFILES = ("native", "odoo")
#: Rows read per query.
CHUNK = 2_000

# What a column holds, which decides how each format writes it.
INT, TEXT, PHONE, BOOL, TIME, MONEY, PERCENT, CONST = (
    "int", "text", "phone", "bool", "time", "money", "percent", "const")
#: A quantity: exact decimal text (`0.75`, `3`), never a float.
QUANTITY = "quantity"

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_START = frozenset("=+-@\t\r")
#: The first characters `neutralise` looks at: a formula's, and the quote it adds.
_CHECKED_START = FORMULA_START | {"'"}
_NUMBER_CHARS = frozenset("0123456789 +-.()/")
#: A value `neutralise` leaves as it is when not strict (a phone number), as a pattern.
_PHONE_LIKE = re.compile(r"[+\-][0-9 +\-.()/]+").fullmatch


@dataclass(frozen=True)
class Column:
    """A column of an export: its name in the file, the SQL that reads it (`t` is the table
    exported), what it holds, and for a few a Python function applied to the value read."""

    name: str
    sql: str
    kind: str
    convert: Callable[[object], object] | None = None
    value: object = None  # CONST: the same value on every row


@dataclass(frozen=True)
class Table:
    """One kind of export: a table, its columns, its joins and the time `--since/--until` filter."""

    table: str
    columns: tuple[Column, ...]
    date_sql: str
    joins: str = ""
    key: str = "id"
    where: str = ""  # SQL every row exported meets (none: every row)


@dataclass(frozen=True)
class Options:
    fmt: str = "csv"
    excel: bool = False
    profile: str = "native"
    since: datetime | None = None  # naive UTC, included
    until: datetime | None = None  # naive UTC, excluded


@dataclass
class ExportResult:
    kind: str
    rows: int
    columns: list[str] = field(default_factory=list)


# Values --------------------------------------------------------------------------------------------


def _formula_like(text: str) -> bool:
    """Begins with a formula character, or with quotes before one (what `neutralise` wrote)."""
    rest = text.lstrip("'")
    return bool(rest) and rest[0] in FORMULA_START


def neutralise(text: str, strict: bool = True) -> str:
    """A text cell a spreadsheet will not run: `'` before a leading `=`, `+`, `-`, `@`, tab or
    carriage return (and before quotes that precede one, so `unneutralise` gives back the text).
    Not `strict` (a phone column in plain CSV): phone-like values (`+34 612 000 111`) stay as
    they are."""
    if not text or text[0] not in _CHECKED_START or not _formula_like(text):
        return text
    if not strict and text[0] in "+-" and len(text) > 1 and set(text) <= _NUMBER_CHARS:
        return text
    return "'" + text


def unneutralise(text: str) -> str:
    """What `neutralise` wrote, read back: the `'` it put before a formula character taken off."""
    if len(text) > 1 and text[0] == "'" and _formula_like(text[1:]):
        return text[1:]
    return text


def major(minor: int | None, exp: int) -> Decimal | None:
    """Minor units as an exact decimal amount: 1250 → Decimal("12.50")."""
    return None if minor is None else Decimal(minor).scaleb(-exp)


def percent(bp: int | None) -> Decimal | None:
    """Basis points as a percentage: 2100 → Decimal("21"), 1250 → Decimal("12.5")."""
    if bp is None:
        return None
    value = Decimal(bp).scaleb(-2)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def iso_time(value: object) -> str | None:
    """A stored naive UTC timestamp (SQLite gives `2026-03-31 09:15:02.123456`) in ISO 8601."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc).isoformat() if value.tzinfo is None else value.isoformat()
    text = str(value)
    return text[:10] + "T" + text[11:] + "+00:00" if len(text) > 10 else text


def sheet_time(value: object) -> str | None:
    """A stored timestamp as spreadsheets read dates: `2026-03-31 09:15:02` (UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)[:19]


def day_start(day: date) -> datetime:
    """The start of a local calendar day as stored timestamps are kept (naive UTC)."""
    return datetime.combine(day, time.min).astimezone().astimezone(timezone.utc).replace(tzinfo=None)


def _json_number(value: Decimal) -> str:
    return f"{value:f}"


# The tables ----------------------------------------------------------------------------------------


def _fiscal_columns() -> tuple[Column, ...]:
    keys = list(dict.fromkeys(extra.key for _country, extra in fiscal.all_extra_fields()))

    def getter(key: str) -> Callable[[object], object]:
        # most customers have none: skip parsing "{}" (three columns a row, a million rows)
        return lambda raw: "" if not raw or raw == "{}" else json.loads(raw).get(key, "")

    return tuple(Column(f"fiscal.{key}", "t.fiscal_extra", TEXT, getter(key)) for key in keys)


#: The customer columns that hold phone numbers (see `neutralise`).
PHONE_COLUMNS = frozenset({"phone", "phone_e164", "mobile", "mobile_e164"})


def _customers_native(currency: str) -> Table:
    text = ("name", "email", "phone", "phone_e164", "mobile", "mobile_e164", "street", "street2", "city",
            "state", "postal_code", "country", "language", "preferred_payment", "tax_id", "tax_country",
            "fiscal_name")
    columns = [Column("id", "t.id", INT), *(Column(n, f"t.{n}", TEXT) for n in text[:1]),
               Column("is_company", "t.is_company", BOOL),
               *(Column(n, f"t.{n}", PHONE if n in PHONE_COLUMNS else TEXT) for n in text[1:]),
               Column("needs_invoice", "t.needs_invoice", BOOL), *_fiscal_columns(),
               Column("discount", "t.discount_bp", PERCENT), Column("credit_limit", "t.credit_limit_minor", MONEY),
               Column("currency", "", CONST, value=currency),
               Column("payment_terms_days", "t.payment_terms_days", INT),
               Column("special_terms", "t.special_terms", TEXT), Column("loyalty_card", "t.loyalty_card", TEXT),
               Column("points", "t.points", INT), Column("marketing_consent", "t.marketing_consent", BOOL),
               Column("marketing_consent_at", "t.marketing_consent_at", TIME), Column("notes", "t.notes", TEXT),
               Column("archived", "t.archived", BOOL), Column("anonymised_at", "t.anonymised_at", TIME),
               Column("created_at", "t.created_at", TIME), Column("updated_at", "t.updated_at", TIME),
               Column("last_visit_at", "t.last_visit_at", TIME), Column("visit_count", "t.visit_count", INT)]
    return Table("customer", tuple(columns), "t.created_at")


def odoo_language(language: str, country: str = "") -> str:
    """Our language code as Odoo names its languages: "es" → "es_ES" (the language's most likely
    country), "es_MX" stays."""
    if not language or "_" in language:
        return language or ""
    likely = get_global("likely_subtags").get(language, "")
    parts = [p for p in likely.split("_") if p and len(p) == 2 and p.isupper()]
    return f"{language}_{parts[0]}" if parts else language


def from_odoo_language(code: str) -> str:
    """An Odoo language code in our terms: "es_ES" → "es" (the likely country is implied),
    "es_MX" stays, "" stays."""
    code = (code or "").strip()
    if "_" not in code:
        return code
    base = code.split("_", 1)[0]
    return base if odoo_language(base) == code else code


#: The Odoo contact (res.partner) import columns written, and the customer fields they come from.
ODOO_COLUMNS = ("ref", "name", "is_company", "email", "phone", "mobile", "street", "street2", "city", "zip",
                "state_id", "country_id", "vat", "lang", "comment", "barcode", "active")


def _customers_odoo() -> Table:
    columns = (
        Column("ref", "t.id", INT), Column("name", "t.name", TEXT), Column("is_company", "t.is_company", BOOL),
        Column("email", "t.email", TEXT), Column("phone", "t.phone", PHONE), Column("mobile", "t.mobile", PHONE),
        Column("street", "t.street", TEXT), Column("street2", "t.street2", TEXT), Column("city", "t.city", TEXT),
        Column("zip", "t.postal_code", TEXT), Column("state_id", "t.state", TEXT),
        Column("country_id", "t.country", TEXT), Column("vat", "t.tax_id", TEXT),
        Column("lang", "t.language || '|' || t.country", TEXT, lambda v: odoo_language(*str(v).split("|", 1))),
        Column("comment", "t.notes", TEXT), Column("barcode", "t.loyalty_card", TEXT),
        Column("active", "t.archived", BOOL, lambda v: not v),
    )
    return Table("customer", columns, "t.created_at")


def _uuid_text(value: object) -> str | None:
    """A stored UUID (32 hex digits in SQLite, a UUID elsewhere) in its usual form, with dashes."""
    if value is None:
        return None
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def _orders(currency: str) -> Table:
    return Table("sale_order", (
        Column("id", "t.id", INT), Column("uuid", "t.uuid", TEXT, _uuid_text), Column("number", "t.number", TEXT),
        Column("state", "t.state", TEXT), Column("kind", "t.kind", TEXT), Column("refund_of_id", "t.refund_of_id", INT),
        Column("till", "t.till", TEXT), Column("session_id", "t.session_id", INT),
        Column("cashier_id", "t.cashier_id", INT), Column("customer_id", "t.customer_id", INT),
        Column("invoice_requested", "t.invoice_requested", BOOL),
        Column("order_discount_percent", "t.order_discount_bp", PERCENT),
        Column("customer_discount_percent", "t.discount_bp", PERCENT),
        Column("discount", "t.discount_minor", MONEY), Column("net", "t.net_minor", MONEY),
        Column("tax", "t.tax_minor", MONEY), Column("total", "t.total_minor", MONEY),
        Column("currency", "", CONST, value=currency), Column("created_at", "t.created_at", TIME),
        Column("updated_at", "t.updated_at", TIME), Column("paid_at", "t.paid_at", TIME),
        Column("voided_at", "t.voided_at", TIME),
    ), "COALESCE(t.paid_at, t.created_at)")


def _order_lines(currency: str) -> Table:
    return Table("order_line", (
        Column("id", "t.id", INT), Column("order_id", "t.order_id", INT), Column("order_number", "o.number", TEXT),
        Column("product_id", "t.product_id", INT), Column("sku", "t.sku", TEXT), Column("name", "t.name", TEXT),
        Column("quantity", "t.quantity", QUANTITY), Column("uom", "t.uom", TEXT),
        Column("unit_price", "t.unit_price_minor", MONEY),
        Column("list_price", "t.list_price_minor", MONEY), Column("tax_rate", "t.tax_rate_bp", PERCENT),
        Column("price_includes_tax", "t.price_includes_tax", BOOL),
        Column("discount_percent", "t.discount_bp", PERCENT), Column("manual_discount", "t.manual_discount", BOOL),
        Column("refund_of_id", "t.refund_of_id", INT), Column("discount", "t.discount_minor", MONEY),
        Column("net", "t.net_minor", MONEY), Column("tax", "t.tax_minor", MONEY),
        Column("total", "t.total_minor", MONEY), Column("currency", "", CONST, value=currency),
    ), "COALESCE(o.paid_at, o.created_at)", joins="JOIN sale_order o ON o.id = t.order_id")


def _payments(currency: str) -> Table:
    return Table("payment", (
        Column("id", "t.id", INT), Column("order_id", "t.order_id", INT), Column("order_number", "o.number", TEXT),
        Column("method", "t.method", TEXT), Column("amount", "t.amount_minor", MONEY),
        Column("tendered", "t.tendered_minor", MONEY), Column("change", "t.change_minor", MONEY),
        Column("currency", "", CONST, value=currency), Column("created_at", "t.created_at", TIME),
        Column("due_at", "t.due_at", TIME), Column("card_last4", "t.card_last4", TEXT),
        Column("auth_code", "t.auth_code", TEXT),
    ), "t.created_at", joins="JOIN sale_order o ON o.id = t.order_id")


def _snapshot(key: str) -> Callable[[object], object]:
    return lambda raw: json.loads(raw or "{}").get(key) or ""


def _invoices() -> Table:
    return Table("invoice", (
        Column("id", "t.id", INT), Column("number", "t.number", TEXT), Column("series", "t.series", TEXT),
        Column("kind", "t.kind", TEXT), Column("order_id", "t.order_id", INT),
        Column("order_number", "o.number", TEXT), Column("corrects", "c.number", TEXT),
        Column("issued_at", "t.issued_at", TIME), Column("customer_id", "o.customer_id", INT),
        Column("customer_name", "t.customer_snapshot", TEXT, _snapshot("name")),
        Column("customer_tax_id", "t.customer_snapshot", TEXT, _snapshot("tax_id")),
        Column("net", "t.net_minor", MONEY), Column("tax", "t.tax_minor", MONEY),
        Column("total", "t.total_minor", MONEY), Column("currency", "t.currency", TEXT),
    ), "t.issued_at", joins="JOIN sale_order o ON o.id = t.order_id LEFT JOIN invoice c ON c.id = t.corrects_id")


def _sessions(currency: str) -> Table:
    return Table("pos_session", (
        Column("id", "t.id", INT), Column("till", "t.till", TEXT), Column("cashier_id", "t.cashier_id", INT),
        Column("cashier", "k.name", TEXT), Column("opened_at", "t.opened_at", TIME),
        Column("closed_at", "t.closed_at", TIME), Column("opening_float", "t.opening_float_minor", MONEY),
        Column("expected_cash", "t.expected_cash_minor", MONEY), Column("counted_cash", "t.counted_cash_minor", MONEY),
        Column("cash_difference", "t.counted_cash_minor - t.expected_cash_minor", MONEY),
        Column("closed_by_id", "t.closed_by_id", INT), Column("currency", "", CONST, value=currency),
    ), "t.opened_at", joins="LEFT JOIN cashier k ON k.id = t.cashier_id")


def loyalty_available() -> bool:
    """The loyalty ledger exists in this version of the models."""
    return hasattr(models, "LoyaltyEntry")


def _loyalty(currency: str) -> Table:
    """The ledger, column for column from its model (whatever fields it grows)."""
    from peewee import BooleanField, DateTimeField, ForeignKeyField, IntegerField

    meta = models.LoyaltyEntry._meta
    columns: list[Column] = []
    date_sql = ""
    for f in meta.sorted_fields:
        name = f.column_name
        if isinstance(f, ForeignKeyField) or f is meta.primary_key:
            kind = INT
        elif isinstance(f, DateTimeField):
            kind = TIME
            date_sql = date_sql or f"t.{name}"
        elif isinstance(f, BooleanField):
            kind = BOOL
        elif isinstance(f, IntegerField):
            kind = MONEY if name.endswith("_minor") else PERCENT if name.endswith("_bp") else INT
        else:
            kind = TEXT
        columns.append(Column(name, f"t.{name}", kind))
        if name == "order_id":
            columns.append(Column("order_number", "o.number", TEXT))
    if any(c.kind == MONEY for c in columns):
        columns.append(Column("currency", "", CONST, value=currency))
    return Table(meta.table_name, tuple(columns), date_sql or "t.id",
                 joins="LEFT JOIN sale_order o ON o.id = t.order_id" if "order_id" in meta.columns else "",
                 key=meta.primary_key.column_name)


def table_for(kind: str, profile: str = "native") -> Table:
    """The columns of an export kind."""
    store = get_store()
    currency = store.currency if store else ""
    if kind == "customers":
        return _customers_odoo() if profile == "odoo" else _customers_native(currency)
    if profile != "native":
        raise ValidationError("--profile", _("the {profile} profile is for customers only").format(profile=profile))
    if kind == "loyalty":
        if not loyalty_available():
            raise ValidationError("kind", _("this version has no loyalty ledger to export"))
        return _loyalty(currency)
    builders = {"orders": _orders, "order-lines": _order_lines, "payments": _payments,
                "sessions": _sessions, "invoices": lambda _currency: _invoices()}
    if kind not in builders:
        raise ValidationError("kind", _("must be one of: {kinds}").format(kinds=", ".join(KINDS)))
    return builders[kind](currency)


def quantity_text(value: object) -> str | None:
    """A quantity read from the database as exact text: `3`, `0.75`, `-0.25`. SQLite hands a
    decimal column back as an int or a float (its shortest text is the decimal stored), PostgreSQL
    as a Decimal; either way at most 3 decimals, no trailing zeros, no exponent."""
    if value is None:
        return None
    if value.__class__ is int:
        return str(value)
    return quantity.plain(Decimal(str(value)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


# Compiling a table into a row function ---------------------------------------------------------------


def _compile(columns: tuple[Column, ...], options: Options, exp: int, decimal_comma: bool) -> Callable:
    """A function turning one row read from the database into what the format writes: a tuple of
    cells for CSV, a JSON object's text for JSON. Built as one expression per cell, so a row
    costs one call whatever its width; the common cases (an integer amount, a stored timestamp's
    text) are written inline, the rest goes through the functions above."""
    env: dict[str, object] = {"D": Decimal, "FS": _CHECKED_START, "neut": neutralise, "esc": encode_basestring,
                              "it": sheet_time if options.excel else iso_time, "pct": percent, "int": int,
                              "str": str, "phone": _PHONE_LIKE, "qty": quantity_text}
    csv_mode = options.fmt == "csv"
    empty = "None" if csv_mode else repr("null")
    comma = ".replace('.', ',')" if csv_mode and decimal_comma else ""
    unit = 10 ** exp

    def amount(x: str) -> str:
        """An integer amount in minor units as exact decimal text, by integer arithmetic."""
        if exp == 0:
            return f"str({x})"
        return (f"(f'{{{x} // {unit}}}.{{{x} % {unit}:0{exp}d}}' if {x} >= 0 "
                f"else f'-{{-{x} // {unit}}}.{{-{x} % {unit}:0{exp}d}}')")

    def time_text(x: str) -> str:
        if options.excel:  # SQLite's text `2026-03-31 09:15:02.123456` cut to the second
            return f"({x}[:19] if {x}.__class__ is str else it({x}))"
        return f"({x}[:10] + 'T' + {x}[11:] + '+00:00' if {x}.__class__ is str and len({x}) > 10 else it({x}))"

    cells = []
    for i, column in enumerate(columns):
        v = f"r[{i + 1}]"  # r[0]: the key the rows were paged by
        if column.convert is not None:
            env[f"f{i}"] = column.convert
            v = f"f{i}({v})"
        kind = column.kind
        if kind == CONST:
            env[f"c{i}"] = column.value
            cell = f"c{i}" if csv_mode else repr(encode_basestring(str(column.value)))
        elif kind == INT:
            cell = v if csv_mode else f"('null' if (x := {v}) is None else str(x))"
        elif kind == QUANTITY:
            cell = f"({empty} if (x := qty({v})) is None else x{comma})" if csv_mode else \
                f"('null' if (x := qty({v})) is None else x)"
        elif kind == BOOL:
            cell = f"('true' if {v} else 'false')"
        elif kind == TIME:
            cell = (f"(None if (x := {v}) is None else {time_text('x')})" if csv_mode else
                    f"('null' if (x := {v}) is None or (x := {time_text('x')}) is None else esc(x))")
        elif kind == MONEY:
            cell = (f"({empty} if (x := {v}) is None else ({amount('x')} if x.__class__ is int "
                    f"else format(D(x).scaleb(-{exp}), 'f')){comma})")
        elif kind == PERCENT:
            cell = (f"({empty} if (x := {v}) is None else (str(x // 100) if x.__class__ is int and x % 100 == 0 "
                    f"else format(pct(x), 'f')){comma})")
        elif csv_mode and kind == PHONE and not options.excel:  # a phone number stays as it is (`neutralise`)
            cell = f"(x if not (x := {v}) or x[0] not in FS or phone(x) else neut(x))"
        elif csv_mode:  # text: neutralised
            cell = f"(x if not (x := {v}) or x[0] not in FS else neut(x))"
        else:
            cell = f"('null' if (x := {v}) is None else esc(x))"
        cells.append(cell)
    if csv_mode:
        body = "(" + ", ".join(cells) + ",)"
    else:
        parts = []
        for i, (column, cell) in enumerate(zip(columns, cells)):
            key = ("{" if i == 0 else ",") + encode_basestring(column.name) + ":"
            parts.append(repr(key) + " + " + cell)
        body = " + ".join(parts) + " + '}'"
    source = f"def row(r):\n    return {body}\n"
    exec(compile(source, f"<export row: {options.fmt}>", "exec"), env)  # the source is our own column list
    return env["row"]  # type: ignore[return-value]


# Reading -------------------------------------------------------------------------------------------


def _when(value: datetime) -> object:
    """A time as a query parameter: SQLite compares the text it stores; other engines take the
    datetime itself."""
    return str(value) if is_sqlite() else value


def _where(table: Table, options: Options) -> tuple[str, list]:
    clauses, params = [table.where] if table.where else [], []
    if options.since is not None:
        clauses.append(f"{table.date_sql} >= ?")
        params.append(_when(options.since))
    if options.until is not None:
        clauses.append(f"{table.date_sql} < ?")
        params.append(_when(options.until))
    return " AND ".join(clauses), params


def _param(sql: str) -> str:
    return sql.replace("?", database.param) if database.param != "?" else sql


def count_rows(kind: str, options: Options = Options()) -> int:
    """How many rows an export will write (for the progress bar)."""
    table = table_for(kind, options.profile)
    where, params = _where(table, options)
    sql = f"SELECT COUNT(*) FROM {table.table} t {table.joins}" + (f" WHERE {where}" if where else "")
    return database.execute_sql(_param(sql), params).fetchone()[0]


def _rows(table: Table, options: Options, chunk: int | None = None) -> Iterator[list[tuple]]:
    """The rows, a chunk at a time (`CHUNK` rows), by keyset pagination on the key, which each row
    read begins with (the columns' values follow it: `_compile`'s functions skip it)."""
    chunk = chunk or CHUNK
    selected = ", ".join(c.sql if c.kind != CONST else "NULL" for c in table.columns)
    where, params = _where(table, options)
    sql = (f"SELECT t.{table.key}, {selected} FROM {table.table} t {table.joins} "
           f"WHERE t.{table.key} > ?{' AND ' + where if where else ''} ORDER BY t.{table.key} LIMIT ?")
    sql = _param(sql)
    last = None
    while True:
        # -2**63: the smallest key SQLite has; the first page starts below it.
        rows = database.execute_sql(sql, [-(2**63) if last is None else last, *params, chunk]).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield rows
        if len(rows) < chunk:
            return


def _locale_uses_decimal_comma() -> bool:
    store = get_store()
    return bool(store) and get_decimal_symbol(store.locale) == ","


def export(kind: str, out: TextIO, options: Options = Options(),
           progress: Callable[[int], None] | None = None) -> ExportResult:
    """Write a whole table to `out` (a text stream: UTF-8, opened with newline=""). `progress`
    is called with the number of rows written after each chunk."""
    if options.fmt not in FORMATS:
        raise ValidationError("--format", _("must be one of: {formats}").format(formats=", ".join(FORMATS)))
    if options.excel and options.fmt != "csv":
        raise ValidationError("--excel", _("is for CSV only (use --format csv)"))
    if options.profile not in PROFILES:
        raise ValidationError("--profile", _("must be one of: {profiles}").format(profiles=", ".join(PROFILES)))
    with no_gc():
        return _export(kind, out, options, progress)


@contextmanager
def no_gc():
    """The cyclic garbage collector paused: an export makes millions of short-lived tuples and
    strings and no cycle, and the collector would walk them again and again (a fifth of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _export(kind: str, out: TextIO, options: Options, progress: Callable[[int], None] | None) -> ExportResult:
    return write_table(table_for(kind, options.profile), kind, out, options, progress)


def write_table(table: Table, kind: str, out: TextIO, options: Options,
                progress: Callable[[int], None] | None = None) -> ExportResult:
    """Write the rows of `table` to `out` in the options' format (other modules' tables too: the
    products' export)."""
    store = get_store()
    exp = exponent(store.currency) if store else 2
    comma = options.excel and _locale_uses_decimal_comma()
    to_row = _compile(table.columns, options, exp, comma)
    names = [c.name for c in table.columns]
    written = 0
    if options.fmt == "csv":
        if options.excel:
            out.write("\ufeff")
        # Records end in CRLF (RFC 4180): the csv module then quotes a cell holding a lone CR too.
        writer = csv.writer(out, delimiter=";" if comma else ",", lineterminator="\r\n")
        writer.writerow(names)
        for chunk in _rows(table, options):
            writer.writerows(map(to_row, chunk))
            written += len(chunk)
            if progress:
                progress(written)
    else:
        array = options.fmt == "json"
        if array:
            out.write("[")
        for chunk in _rows(table, options):
            lines = list(map(to_row, chunk))
            if array:
                out.write(("\n" if written == 0 else ",\n") + ",\n".join(lines))
            else:
                out.write("\n".join(lines) + "\n")
            written += len(chunk)
            if progress:
                progress(written)
        if array:
            out.write("\n]\n" if written else "]\n")
    return ExportResult(kind, written, names)


# The change feed -----------------------------------------------------------------------------------

EVENT_COLUMNS = ("cursor", "at", "kind", "entity", "entity_id", "payload")


def _event_doc(event: events.EventRecord) -> dict:
    return {"cursor": event.cursor, "at": iso_time(event.at), "kind": event.kind, "entity": event.entity,
            "entity_id": event.entity_id, "payload": event.payload}


def export_events(out: TextIO, after: int = 0, fmt: str = "jsonl", limit: int | None = None, page: int = 1000,
                  progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Write the events after cursor `after`, oldest first, each with its cursor (read from
    `events.after` a page at a time, to the end or `limit` events). Returns (events written,
    the last cursor written — or `after` when there were none): the next call starts there."""
    if fmt not in FORMATS:
        raise ValidationError("--format", _("must be one of: {formats}").format(formats=", ".join(FORMATS)))
    if after < 0:
        raise ValidationError("--after", _("must not be negative"))
    written, cursor = 0, after
    writer = csv.writer(out, lineterminator="\r\n") if fmt == "csv" else None
    if writer:
        writer.writerow(EVENT_COLUMNS)
    elif fmt == "json":
        out.write("[")
    while limit is None or written < limit:
        size = page if limit is None else min(page, limit - written)
        batch = events.after(cursor, size)
        if not batch:
            break
        for event in batch:
            doc = _event_doc(event)
            if writer:
                writer.writerow([doc["cursor"], doc["at"], neutralise(doc["kind"]), neutralise(doc["entity"]),
                                 doc["entity_id"], json.dumps(doc["payload"], ensure_ascii=False, sort_keys=True)])
            else:
                text = json.dumps(doc, ensure_ascii=False, sort_keys=False)
                if fmt == "json":
                    out.write(("\n" if written == 0 else ",\n") + text)
                else:
                    out.write(text + "\n")
            written += 1
            cursor = event.cursor
        if progress:
            progress(written)
        if len(batch) < size:
            break
    if fmt == "json":
        out.write("\n]\n" if written else "]\n")
    return written, cursor


def country_code(value: str) -> str:
    """A country as Odoo may write it, as an ISO code: "ES", "base.es", "Spain", "España"."""
    text = (value or "").strip()
    if not text:
        return ""
    if text.lower().startswith("base.") and len(text) == 7:
        text = "GB" if text[5:].lower() == "uk" else text[5:]  # Odoo's United Kingdom is base.uk
    if len(text) == 2 and text.isalpha():
        return text.upper()
    wanted = text.casefold()
    for language in ("en", "es", "pt", "fr"):
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha() and name.casefold() == wanted:
                return code
    return text
