"""Receipts on an ESC/POS thermal printer, and the cash drawer that hangs on it.

A printer that is off, out of paper or unreachable never blocks nor loses a sale: the sale commits
first, then a `PrintJob` is queued in the database (`enqueue_receipt`), and `drain` prints the
queue later, away from the till's screen, with short timeouts. A job that cannot print stays
`pending` with its error and is printed when asked again (`drain` with no ids, `pos printer retry`).
A drawer pulse that cannot be sent is `failed` at once and never retried: a drawer that springs
open minutes later would be a surprise, not a help.

The printed receipt is laid out from the same `Receipt` as the one on screen
(`receipts.render_text`), for the printer's width (32, 42 or 48 characters), in a code page that
has the Spanish letters and the euro sign (CP858 unless the printer is set otherwise). The bytes are
made by python-escpos (its `Dummy` printer), then sent in one go to the real device.

python-escpos is imported only when something is laid out or printed.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from textwrap import wrap
from typing import Any

from pos_tui import i18n, l10n, models, quantity
from pos_tui.db import local_time, now, transactional, write
from pos_tui.errors import NotFound, PosError, StateError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.money import TaxBreakdown, TaxPart, exponent, format_rate
from pos_tui.services import approvals, audit, validation
from pos_tui.services.payments import CASH, ROUNDING, method_label
from pos_tui.services.receipts import Receipt, ReceiptLine, ReceiptPayment
from pos_tui.services.sessions import check_till
from pos_tui.services.store import StoreInfo, require_store
from pos_tui.services.taxes import part_label

NETWORK, USB, SERIAL, FILE = "network", "usb", "serial", "file"
KINDS = (NETWORK, USB, SERIAL, FILE)
WIDTHS = (32, 42, 48)  # characters per line: 58 mm paper, 80 mm paper (two fonts)
DEFAULT_PORT = 9100
DEFAULT_BAUD = 9600
#: Seconds to connect, to get an answer, to write. The till never waits on them (a worker does).
TIMEOUT = 3.0
#: The code page when the printer's is not set: PC858 has á é í ó ú ñ Ñ ü ¿ ¡ and the euro sign.
DEFAULT_CODE_PAGE = "CP858"
#: Let python-escpos switch code pages by itself, character by character.
AUTO = "AUTO"
#: A cash receipt printed later than this after the sale (the printer was off) no longer opens the
#: drawer: the change was given long ago.
DRAWER_WINDOW = timedelta(minutes=2)
DRAWER_PIN = 2  # the drawer kick-out connector pin most drawers use
#: Dots across the paper for each width: where a barcode must fit.
DOTS = {32: 384, 42: 512, 48: 576}

PENDING, DONE, FAILED = N_("pending"), N_("done"), N_("failed")  # shown translated: _(state)
RECEIPT, DRAWER, TEST = "receipt", "drawer", "test"

#: Optional fields of a receipt job, printed when present (after the payments), for loyalty:
#: `enqueue_receipt(receipt, extras={"points_earned": 12, "points_balance": 340})`. A `Receipt` that
#: carries fields of these names (and `tier`) prints them too; `extras` wins.
LOYALTY_FIELDS = ("points_earned", "points_balance", "points_redeemed", "points_taken_back", "points_given_back")

#: The names the law gives each document, in the store's country, whatever the till's language.
#: Spain (Real Decreto 1619/2012): the ticket is a "factura simplificada", the refund's document
#: a "factura rectificativa".
LEGAL_TITLES = {
    "ES": {"simplified": "Factura simplificada", "invoice": "Factura", "credit_note": "Factura rectificativa"},
}
TAX_ID_LABELS = {"ES": "NIF"}
KIND_TITLES = {"simplified": N_("Simplified invoice"), "invoice": N_("Invoice"), "credit_note": N_("Credit note")}

# One drain at a time in this process: two threads never print the same job twice.
_DRAIN_LOCK = threading.Lock()


class PrintError(PosError):
    """The printer could not print: the message says why, plainly."""


# Settings -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrinterInfo:
    till: str
    kind: str
    address: str
    width: int
    code_page: str  # empty: DEFAULT_CODE_PAGE
    drawer: bool
    updated_at: datetime | None = None

    @property
    def encoding(self) -> str:
        return self.code_page or DEFAULT_CODE_PAGE

    def describe(self) -> str:
        return f"{self.kind} {self.address}"


def _info(row: models.Printer) -> PrinterInfo:
    return PrinterInfo(row.till, row.kind, row.address, row.width, row.code_page, row.drawer, row.updated_at)


def get_printer(till: str) -> PrinterInfo | None:
    row = models.Printer.get_or_none(models.Printer.till == check_till(till))
    return _info(row) if row else None


def list_printers() -> list[PrinterInfo]:
    return [_info(row) for row in models.Printer.select().order_by(models.Printer.till)]


def _split_port(address: str, default: int, what: str) -> tuple[str, int]:
    head, sep, tail = address.rpartition(":")
    if not sep or "]" in tail:
        return address, default
    if not tail.isdigit() or not 1 <= int(tail) <= 65535:
        raise ValidationError("address", _("“{value}” is not a {what}").format(value=tail, what=what))
    return head, int(tail)


def parse_address(kind: str, address: str) -> tuple:
    """What a printer's address means for its kind: (host, port), (vendor, product),
    (device, baud rate) or (path,). Raises `ValidationError` on the field "address"."""
    address = validation.text(address, "address", max_length=200, required=True)
    if kind == NETWORK:
        host, port = _split_port(address, DEFAULT_PORT, _("port number (1 to 65535)"))
        host = host.strip("[]")
        if not host or any(ch.isspace() for ch in host):
            raise ValidationError("address", _("give the printer's host name or IP address, e.g. 192.168.1.50:9100"))
        return host, port
    if kind == USB:
        vendor, sep, product = address.partition(":")
        try:
            ids = int(vendor, 16), int(product, 16)
        except ValueError:
            ids = None
        if not sep or ids is None or not all(0 <= n <= 0xFFFF for n in ids):
            raise ValidationError("address", _("give the USB vendor and product IDs in hex, e.g. 04b8:0202 "
                                               "(`lsusb` shows them)"))
        return ids
    if kind == SERIAL:
        device, baud = _split_port(address, DEFAULT_BAUD, _("baud rate"))
        return device, baud
    if kind == FILE:
        return (address,)
    raise ValidationError("kind", _("must be one of: {kinds}").format(kinds=", ".join(KINDS)))


def code_pages() -> list[str]:
    """The code pages python-escpos knows for a generic ESC/POS printer."""
    from escpos.printer import Dummy

    return sorted(name for name in Dummy().profile.get_code_pages() if name != "Unknown")


def _code_page(value: str) -> str:
    name = (value or "").strip().upper()
    if name in ("", "DEFAULT"):
        return ""
    if name == AUTO:
        return AUTO
    known = {page.upper(): page for page in code_pages()}
    if name not in known:
        raise ValidationError("code_page", _("unknown code page “{value}”; e.g. CP858, CP1252, AUTO").format(
            value=value))
    return known[name]


@transactional
def set_printer(till: str, kind: str | None = None, address: str | None = None, width: int | None = None,
                code_page: str | None = None, drawer: bool | None = None,
                cashier_id: int | None = None) -> PrinterInfo:
    """Set the till's printer, or change some of its settings (the others are kept). A new printer
    needs its kind and address. Every bad value is reported at once; then nothing is saved."""
    till = check_till(till)
    row = models.Printer.get_or_none(models.Printer.till == till)
    before = asdict(_info(row)) if row else {}
    check = validation.Checker()
    new_kind = (kind or (row.kind if row else "")).strip().lower()
    if new_kind not in KINDS:
        check.errors["kind"] = (_("must be one of: {kinds}").format(kinds=", ".join(KINDS)) if new_kind
                                else _("is required for a new printer (network, usb, serial or file)"))
    new_address = address if address is not None else (row.address if row else "")
    if new_kind in KINDS:
        if not (new_address or "").strip():
            check.errors["address"] = _("is required for a new printer")
        else:
            check(parse_address, new_kind, new_address)
    new_width = width if width is not None else (row.width if row else 42)
    if new_width not in WIDTHS:
        check.errors["width"] = _("must be one of: {widths}").format(widths=", ".join(map(str, WIDTHS)))
    new_code_page = check(_code_page, code_page) if code_page is not None else (row.code_page if row else "")
    check.done()
    values = {"kind": new_kind, "address": new_address.strip(), "width": new_width,
              "code_page": new_code_page, "drawer": drawer if drawer is not None else (row.drawer if row else True),
              "updated_at": now()}
    if row is None:
        row = models.Printer.create(till=till, **values)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.save()
    after = asdict(_info(row))
    audit.record("printer", row.id, "printer.set",
                 audit.diff(before, {k: v for k, v in after.items() if k != "updated_at"}), cashier_id)
    return _info(row)


@transactional
def remove_printer(till: str) -> bool:
    """The till prints no more (its queue is kept, for the record)."""
    return models.Printer.delete().where(models.Printer.till == check_till(till)).execute() > 0


# The queue ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobInfo:
    id: int
    till: str
    kind: str
    order_id: int | None
    number: str | None  # the receipt's number, for a receipt
    state: str
    attempts: int
    last_error: str
    created_at: datetime
    printed_at: datetime | None
    copy: bool = False


def _job_info(row: models.PrintJob) -> JobInfo:
    payload = json.loads(row.payload or "{}")
    return JobInfo(row.id, row.till, row.kind, row.order_id, (payload.get("receipt") or {}).get("number"),
                   row.state, row.attempts, row.last_error, row.created_at, row.printed_at,
                   bool(payload.get("copy")))


def list_jobs(till: str | None = None, states: Iterable[str] = (PENDING, FAILED), limit: int = 100) -> list[JobInfo]:
    """The queue, oldest first: by default what is still to print and what failed."""
    J = models.PrintJob
    query = J.select().where(J.state.in_(list(states))).order_by(J.id).limit(limit)
    if till is not None:
        query = query.where(J.till == check_till(till))
    return [_job_info(row) for row in query]


def pending_count(till: str) -> int:
    J = models.PrintJob
    return J.select().where((J.till == check_till(till)) & (J.state == PENDING)).count()


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return quantity.json_value(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _store_data() -> dict:
    info = require_store()
    row = models.Store.select().order_by(models.Store.id).first()
    return {"name": info.name, "country": info.country, "currency": info.currency, "locale": info.locale,
            "tax_id": row.tax_id, "address": row.address}


def receipt_payload(receipt: Receipt, *, copy: bool = False, open_drawer: bool = False,
                    extras: dict[str, Any] | None = None) -> dict:
    """What a receipt job prints, as JSON-ready data: the receipt, the store's fiscal header as it
    is now, and the optional fields (`LOYALTY_FIELDS`) when given."""
    payload = {"version": 1, "receipt": asdict(receipt), "store": _store_data(), "copy": copy,
               "open_drawer": open_drawer,
               # the customer's language, else the till's now: what the printed receipt is written in
               "language": i18n.normalize(receipt.language) or i18n.get_language()}
    for key, value in (extras or {}).items():
        if key not in LOYALTY_FIELDS:
            raise ValueError(f"unknown receipt field {key!r}; known: {', '.join(LOYALTY_FIELDS)}")
        if value is not None:
            payload[key] = value
    return json.loads(json.dumps(payload, ensure_ascii=False, default=_plain))


def _takes_cash(receipt: Receipt) -> bool:
    return any(p.method == CASH and (p.amount_minor or p.tendered_minor) for p in receipt.payments)


@transactional
def enqueue_receipt(receipt: Receipt, *, copy: bool = False, extras: dict[str, Any] | None = None) -> int | None:
    """Queue the receipt of a paid sale on its till's printer; None when the till has no printer.
    Called right after the sale committed. The first receipt of a sale is queued once (paying again
    returns the same sale, and the same job); a copy (`copy=True`) is a new job each time, marked
    as a copy, and never opens the drawer. A receipt whose payments include cash opens the drawer."""
    printer = models.Printer.get_or_none(models.Printer.till == receipt.till)
    if printer is None:
        return None
    J = models.PrintJob
    if not copy:
        existing = (J.select().where((J.order == receipt.order_id) & (J.kind == RECEIPT))
                    .order_by(J.id).first())
        if existing is not None:
            return existing.id
    payload = receipt_payload(receipt, copy=copy, open_drawer=not copy and printer.drawer and _takes_cash(receipt),
                              extras=extras)
    job = J.create(till=receipt.till, kind=RECEIPT, order=receipt.order_id,
                   payload=json.dumps(payload, ensure_ascii=False))
    return job.id


def last_order(till: str) -> int | None:
    """The till's last paid sale, refund or payment on account: what "print again" prints."""
    O = models.Order
    row = (O.select(O.id).where((O.till == check_till(till)) & (O.state == "paid"))
           .order_by(O.paid_at.desc(), O.id.desc()).first())
    return row.id if row else None


def reprint(order_id: int) -> int | None:
    """Print a paid sale's receipt again: its job still waiting, if it is, else a copy.
    None when its till has no printer."""
    from pos_tui.services.receipts import get_receipt

    J = models.PrintJob
    waiting = (J.select().where((J.order == order_id) & (J.kind == RECEIPT) & (J.state == PENDING))
               .order_by(J.id).first())
    if waiting is not None:
        return waiting.id
    return enqueue_receipt(get_receipt(order_id), copy=True)


@dataclass(frozen=True)
class PrintAgain:
    """What "print" on the sale screen queued: what waited (`waiting` jobs), or else a copy of
    the till's last receipt (`number`); nothing when the till never printed."""

    job_ids: tuple[int, ...]
    waiting: int = 0
    number: str | None = None


def print_again(till: str) -> PrintAgain:
    """The till's receipts waiting for the printer, or else a copy of its last receipt."""
    J = models.PrintJob
    waiting = [row.id for row in J.select(J.id).where((J.till == check_till(till)) & (J.state == PENDING))
               .order_by(J.id)]
    if waiting:
        return PrintAgain(tuple(waiting), len(waiting))
    order_id = last_order(till)
    if order_id is None:
        return PrintAgain(())
    job_id = reprint(order_id)
    return PrintAgain((job_id,) if job_id else (), 0, models.Order.get_by_id(order_id).number)


@transactional
def open_drawer(till: str, cashier_id: int | None = None, manager_pin: str | None = None) -> int:
    """Open the drawer with no sale: a manager approves (recorded), then the pulse is queued."""
    till = check_till(till)
    printer = models.Printer.get_or_none(models.Printer.till == till)
    if printer is None:
        raise StateError(_("Till {till} has no printer: the drawer opens with its key.").format(till=till))
    if not printer.drawer:
        raise StateError(_("The printer of till {till} has no drawer.").format(till=till))
    S = models.PosSession
    session = S.get_or_none((S.till == till) & S.closed_at.is_null())
    approvals.approve(manager_pin, "drawer", _("no sale, till {till}").format(till=till), cashier_id=cashier_id,
                      till=till, session_id=session.id if session else None)
    return models.PrintJob.create(till=till, kind=DRAWER, payload=json.dumps({"version": 1})).id


@transactional
def requeue(job_ids: Iterable[int]) -> int:
    """Put failed jobs back in the queue (a drawer pulse is never put back)."""
    J = models.PrintJob
    return J.update(state=PENDING).where(J.id.in_(list(job_ids)) & (J.state == FAILED) & (J.kind != DRAWER)).execute()


# Laying the receipt out ----------------------------------------------------------------------------

# A laid-out receipt: (style, text) rows; style is "title", "center", "bold", "text" or "barcode".
Row = tuple[str, str]


def _fields_of(cls: type, data: dict) -> dict:
    """The keys of `data` that `cls` (a dataclass) takes: a job queued by another version of
    `Receipt` still prints."""
    known = {f.name for f in fields(cls)}
    return {key: value for key, value in data.items() if key in known}


def _receipt_from(data: dict) -> Receipt:
    def when(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return Receipt(**{
        **_fields_of(Receipt, data),
        "paid_at": when(data["paid_at"]),
        "lines": tuple(ReceiptLine(**{**_fields_of(ReceiptLine, line), "quantity": Decimal(str(line["quantity"]))})
                       for line in data["lines"]),
        "taxes": tuple(TaxBreakdown(**{**_fields_of(TaxBreakdown, tax),
                                        "parts": tuple(TaxPart(**_fields_of(TaxPart, part))
                                                       for part in tax.get("parts") or ())})
                       for tax in data["taxes"]),
        "payments": tuple(ReceiptPayment(**{**_fields_of(ReceiptPayment, p), "due_at": when(p.get("due_at"))})
                          for p in data["payments"]),
    })


def _money_of(store: dict) -> Callable[[int], str]:
    info = StoreInfo(store["name"], store["country"], store["currency"], store["locale"], exponent(store["currency"]))
    return info.money


def layout_receipt(payload: dict, width: int) -> list[Row]:
    """The printed receipt, row by row, `width` characters at most: the same content as the
    receipt on screen, with the store's fiscal header, the legal title of the document in the
    store's country, and the number as a barcode; in the language the job was queued with (the
    customer's, else the till's)."""
    with i18n.in_language(payload.get("language") or payload["receipt"].get("language")):
        return _layout_receipt(payload, width)


def _layout_receipt(payload: dict, width: int) -> list[Row]:
    data = payload["receipt"]
    receipt = _receipt_from(data)
    store = payload["store"]
    money = _money_of(store)
    country = store.get("country", "")
    rows: list[Row] = []

    def pair(left: str, right: str, style: str = "text") -> None:
        """Left and right on one line; when they do not fit, the left on its own line(s) and the
        right under it, at the right edge: nothing is cut off."""
        room = width - len(right) - 1
        if len(left) <= room:
            rows.append((style, f"{left:<{room}} {right}"))
            return
        for part in wrap(left, width, drop_whitespace=False) or [""]:
            rows.append((style, part.rstrip()))
        for part in wrap(right, width) or [""]:
            rows.append((style, part.rjust(width)))

    def centred(text: str, style: str = "center") -> None:
        for part in wrap(text, width) or [""]:
            rows.append((style, part))

    rule = ("text", "-" * width)
    centred(store["name"], "title")
    if store.get("address"):
        centred(store["address"])
    if store.get("tax_id"):
        centred(f"{TAX_ID_LABELS.get(country) or _('Tax ID')}: {store['tax_id']}")
    rows.append(rule)
    if payload.get("copy"):
        centred("*** " + _("COPY") + " ***", "bold")
    if receipt.invoice_number:
        kind = receipt.invoice_kind or "invoice"
        title = LEGAL_TITLES.get(country, {}).get(kind) or _(KIND_TITLES.get(kind, N_("Invoice")))
        pair(title, receipt.invoice_number, "bold")
    title = {"refund": _("Refund"), "account_payment": _("Payment on account")}.get(receipt.kind, _("Receipt"))
    pair(title, receipt.number)
    pair(_("Date"), l10n.format_datetime(local_time(receipt.paid_at), l10n.locale_for(country)))
    pair(_("Till"), receipt.till)
    pair(_("Cashier"), receipt.cashier)
    if receipt.refund_of:
        pair(_("Refund of"), receipt.refund_of)
    if receipt.customer:
        pair(_("Customer"), receipt.customer)
    rows.append(rule)
    for line in receipt.lines:
        for part in wrap(line.name, width) or [""]:
            rows.append(("text", part))
        if line.discount_minor:
            pair("  " + quantity.times_price(line.quantity, line.uom, money(line.unit_price_minor), l10n.locale_for(country)), money(line.total_minor + line.discount_minor))
            pair("  " + _("discount {rate}").format(rate=format_rate(line.discount_bp)), money(-line.discount_minor))
        else:
            pair("  " + quantity.times_price(line.quantity, line.uom, money(line.unit_price_minor), l10n.locale_for(country)), money(line.total_minor))
    rows.append(rule)
    if receipt.discount_minor:
        pair(_("You saved"), money(receipt.discount_minor))
    pair(_("TOTAL"), money(receipt.total_minor), "bold")
    for tax in receipt.taxes:
        if tax.parts:  # several taxes on one base (VAT + surcharge): each on its own line
            for part in tax.parts:
                pair(_("  {tax} on {base}").format(tax=part_label(part.name, part.rate_bp), base=money(tax.net_minor)),
                     money(part.tax_minor))
            continue
        pair(_("  VAT {rate} on {base}").format(rate=format_rate(tax.rate_bp), base=money(tax.net_minor)),
             money(tax.tax_minor))
    rows.append(rule)
    for payment in receipt.payments:
        shown = payment.amount_minor if payment.method == ROUNDING else payment.tendered_minor
        label = method_label(payment.method) + (f" ****{payment.card_last4}" if payment.card_last4 else "")
        pair(label, money(shown))
        if payment.due_at:
            pair("  " + _("due"), l10n.format_date(local_time(payment.due_at), l10n.locale_for(country)))
    if receipt.change_minor:
        pair(_("Change"), money(receipt.change_minor), "bold")
    points = {key: payload.get(key, data.get(key)) for key in LOYALTY_FIELDS}
    if points["points_balance"] is not None or points["points_earned"]:
        rows.append(rule)
        for label, moved in ((_("Points redeemed"), -(points["points_redeemed"] or 0)),
                             (_("Points taken back"), -(points["points_taken_back"] or 0)),
                             (_("Points given back"), points["points_given_back"] or 0)):
            if moved:
                pair(label, f"{moved:+d}")
        if points["points_earned"]:
            pair(_("Points earned"), str(points["points_earned"]))
        if points["points_balance"] is not None:
            tier = data.get("tier") or ""
            pair(_("Points balance ({tier})").format(tier=tier) if tier else _("Points balance"),
                 str(points["points_balance"]))
    rows.append(rule)
    if receipt.kind == "sale" and _barcode_width(receipt.number, width):
        rows.append(("barcode", receipt.number))
    centred(_("Thank you!"))
    return rows


def layout_test_page(printer: PrinterInfo, store_name: str) -> list[Row]:
    """A page that shows at a glance whether the width, the accents and the barcode come out right."""
    width = printer.width
    rows: list[Row] = [("title", part) for part in wrap(store_name, width) or [""]]
    rows.append(("center", _("Printer test page")))
    rows.append(("text", "-" * width))
    for text in (_("Till {till}").format(till=printer.till), printer.describe(),
                 _("{width} characters a line, code page {page}").format(width=width, page=printer.encoding)):
        rows += [("text", part) for part in wrap(text, width)]
    rows.append(("text", ("1234567890" * 5)[:width]))
    rows += [("text", part) for part in wrap("Atún, Señora, Ñandú, ¿qué? ¡sí! 12,50 €", width)]
    rows.append(("bold", "ÁÉÍÓÚ Üü Çç ºª"))
    rows.append(("text", "-" * width))
    if _barcode_width("T1-000001", width):
        rows.append(("barcode", "T1-000001"))
    rows += [("center", part) for part in wrap(_("If the accents and the euro sign above read right, "
                                                 "receipts will print well."), width)]
    return rows


def preview(rows: list[Row]) -> str:
    """The rows as plain text (the barcode as its number), for tests and the command line."""
    return "\n".join(f"|{text}|" if style == "barcode" else text for style, text in rows)


def _barcode_width(number: str, width: int) -> int:
    """The widest CODE128 module (2 or 3 dots) with which the number fits the paper; 0: it does not."""
    if not number or not number.isascii() or not number.isprintable():
        return 0
    modules = 11 * (len(number) + 3) + 2 + 20  # start, data, check, stop, and the quiet zones
    for dots in (3, 2):
        if modules * dots <= DOTS.get(width, 384):
            return dots
    return 0


_SPACES = {"\xa0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " "}
#: Letters with no accent to take off (Unicode does not decompose them).
_NEAREST = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "Œ": "OE", "œ": "oe", "Ŧ": "T", "ŧ": "t",
            "‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."}


def _printable(text: str, can_encode: Callable[[str], bool]) -> str:
    """What the code page cannot print becomes its nearest letter (ł -> l), or "?"."""
    out = []
    for ch in text:
        ch = _SPACES.get(ch, ch)
        if ord(ch) < 128 or can_encode(ch):
            out.append(ch)
            continue
        base = _NEAREST.get(ch) or unicodedata.normalize("NFKD", ch)[:1]
        out.append(base if base and all(ord(c) < 128 or can_encode(c) for c in base) else "?")
    return "".join(out)


def escpos_bytes(rows: list[Row], printer: PrinterInfo, *, open_drawer: bool = False, cut: bool = True) -> bytes:
    """The rows as ESC/POS bytes, made by python-escpos: reset, code page, text styles, the
    barcode (CODE128), the partial cut, and the drawer pulse when asked."""
    from escpos.printer import Dummy

    out = Dummy()
    out.hw("INIT")
    encoding = printer.encoding
    if encoding == AUTO:
        out.charcode("AUTO")

        def can_encode(ch: str) -> bool:
            return True
    else:
        out.charcode(encoding)

        def can_encode(ch: str) -> bool:
            return out.magic.encoder.can_encode(encoding, ch)

    styles = {"title": {"align": "center", "bold": True, "double_height": True},
              "center": {"align": "center", "bold": False, "normal_textsize": True},
              "bold": {"align": "left", "bold": True, "normal_textsize": True},
              "text": {"align": "left", "bold": False, "normal_textsize": True}}
    current = None
    for style, text in rows:
        if style == "barcode":
            with contextlib.redirect_stdout(io.StringIO()):  # python-escpos says which renderer it used
                out.barcode("{B" + text, "CODE128", height=60, width=_barcode_width(text, printer.width),
                            pos="BELOW", function_type="B")
            out.set(align="left")
            current = None
            continue
        if style != current:
            out.set(**styles[style])
            current = style
        out.textln(_printable(text, can_encode))
    out.set(align="left", bold=False, normal_textsize=True)
    if cut:
        out.cut(mode="PART")
    if open_drawer:
        out.cashdraw(DRAWER_PIN)
    return out.output


def drawer_bytes() -> bytes:
    from escpos.printer import Dummy

    out = Dummy()
    out.cashdraw(DRAWER_PIN)
    return out.output


def job_bytes(job: models.PrintJob, printer: PrinterInfo, at: datetime | None = None) -> bytes:
    """What a queued job sends to the printer now. A cash receipt printed well after its sale
    (`DRAWER_WINDOW`) prints without opening the drawer."""
    payload = json.loads(job.payload or "{}")
    if job.kind == DRAWER:
        return drawer_bytes()
    if job.kind == RECEIPT:
        fresh = (at or now()) - job.created_at <= DRAWER_WINDOW
        return escpos_bytes(layout_receipt(payload, printer.width), printer,
                            open_drawer=bool(payload.get("open_drawer")) and printer.drawer and fresh)
    raise ValueError(f"cannot print a {job.kind!r} job")


# Talking to the printer ------------------------------------------------------------------------------


def _within(seconds: float, action: Callable[[], str | None], what: str) -> str | None:
    """Run `action` in a helper thread and stop waiting after `seconds`: a device that hangs
    (a USB or serial port that never takes the data) cannot hold the queue forever."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = action()
        except BaseException as exc:  # handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=run, name="pos-printer-io", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise PrintError(_("Printer {what} did not take the data in {seconds:g} s: is it on, with paper, "
                           "the cover closed?").format(what=what, seconds=seconds))
    if "error" in box:
        raise box["error"]
    return box.get("result")


def _network_error(exc: BaseException, host: str, port: int, timeout: float) -> PrintError:
    where = f"{host}:{port}"
    cause = exc.__context__ if exc.__context__ is not None and not isinstance(exc, OSError) else exc
    if isinstance(cause, ConnectionRefusedError):
        return PrintError(_("Printer {where} refused the connection: is it on, at that address?").format(
            where=where))
    if isinstance(cause, socket.gaierror):
        return PrintError(_("Cannot find the printer's host “{host}”: check its address.").format(host=host))
    if isinstance(cause, TimeoutError | socket.timeout):
        return PrintError(_("No answer from printer {where} in {seconds:g} s: is it on the network?").format(
            where=where, seconds=timeout))
    detail = getattr(cause, "strerror", None) or str(cause) or type(cause).__name__
    return PrintError(_("Cannot reach printer {where}: {detail}.").format(where=where, detail=detail))


def _send_network(address: str, data: bytes, timeout: float) -> str | None:
    from escpos.exceptions import DeviceNotFoundError
    from escpos.printer import Network

    host, port = parse_address(NETWORK, address)
    device = Network(host, port, timeout=timeout)
    try:
        try:
            device.open()
        except DeviceNotFoundError as exc:
            raise _network_error(exc, host, port, timeout) from None
        try:
            paper = device.paper_status()  # a real-time status request, answered even when offline
        except (TimeoutError, socket.timeout):
            raise PrintError(_("Printer {where} does not answer: busy, cover open, jammed?").format(
                where=f"{host}:{port}")) from None
        except OSError as exc:
            raise _network_error(exc, host, port, timeout) from None
        if paper == 0:
            raise PrintError(_("Printer {where} is out of paper.").format(where=f"{host}:{port}"))
        try:
            device._raw(data)  # python-escpos's way to send bytes laid out beforehand
        except OSError as exc:
            raise _network_error(exc, host, port, timeout) from None
        return _("The printer's paper is running out.") if paper == 1 else None
    finally:
        device.close()


def _send_file(address: str, data: bytes, timeout: float) -> str | None:
    (path,) = parse_address(FILE, address)

    def append() -> None:
        with open(Path(path).expanduser(), "ab") as out:
            out.write(data)
            out.flush()

    try:
        _within(timeout, append, path)
    except FileNotFoundError:
        raise PrintError(_("Cannot write to {path}: no such file or folder (is the printer plugged in?)").format(
            path=path)) from None
    except PermissionError:
        raise PrintError(_("Cannot write to {path}: permission denied (add the till's user to the "
                           "printer's group, e.g. lp).").format(path=path)) from None
    except OSError as exc:
        raise PrintError(_("Cannot write to {path}: {detail}.").format(path=path, detail=exc.strerror or exc)) from None
    return None


def _send_device(kind: str, address: str, data: bytes, timeout: float) -> str | None:
    from escpos.exceptions import DeviceNotFoundError
    from escpos.printer import Serial, Usb

    if kind == USB:
        if not Usb.is_usable():
            raise PrintError(_("USB printers need the pyusb package: pip install pyusb (or set the printer "
                               "as a file, e.g. /dev/usb/lp0)."))
        vendor, product = parse_address(USB, address)
        device = Usb(vendor, product, timeout=int(timeout * 1000))
    else:
        if not Serial.is_usable():
            raise PrintError(_("Serial printers need the pyserial package: pip install pyserial."))
        port, baud = parse_address(SERIAL, address)
        device = Serial(port, baud, timeout=timeout)

    def send() -> None:
        try:
            device.open()
            if kind == SERIAL:
                device.device.write_timeout = timeout
            device._raw(data)
        finally:
            device.close()

    try:
        _within(timeout * 2 + 1, send, address)
    except DeviceNotFoundError:
        raise PrintError(_("No {kind} printer at {address}: is it plugged in and on?").format(
            kind=kind, address=address)) from None
    except PrintError:
        raise
    except Exception as exc:  # the device's own errors (USBError, SerialTimeoutException, …)
        raise PrintError(_("The {kind} printer at {address} failed: {detail}").format(
            kind=kind, address=address, detail=str(exc) or type(exc).__name__)) from None
    return None


def send(printer: PrinterInfo, data: bytes, timeout: float = TIMEOUT) -> str | None:
    """Send bytes to the printer, or raise `PrintError` saying plainly what went wrong. Returns a
    warning worth showing (paper running out), or None."""
    if printer.kind == NETWORK:
        return _within(timeout * 3 + 1, lambda: _send_network(printer.address, data, timeout), printer.address)
    if printer.kind == FILE:
        return _send_file(printer.address, data, timeout)
    return _send_device(printer.kind, printer.address, data, timeout)


def print_test_page(till: str, timeout: float = TIMEOUT) -> PrinterInfo:
    """Print a test page now (not queued): accents, the euro sign, a barcode, the width.
    Raises `PrintError` saying what went wrong."""
    printer = get_printer(till)
    if printer is None:
        raise NotFound(_("Till {till} has no printer: set one with `pos printer set`.").format(till=till))
    send(printer, escpos_bytes(layout_test_page(printer, require_store().name), printer), timeout)
    return printer


# Printing the queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrainResult:
    """What one pass over the queue did."""

    printed: tuple[int, ...] = ()
    failed_job: int | None = None  # the job that could not print (it stays pending, a pulse fails)
    error: str | None = None
    warning: str | None = None
    pending: int = 0  # jobs still waiting afterwards
    numbers: tuple[str, ...] = field(default=())  # the receipts printed

    @property
    def ok(self) -> bool:
        return self.error is None


def _claim(job: models.PrintJob) -> bool:
    """Count the attempt; False when another printer run took the job meanwhile."""
    J = models.PrintJob
    with write():
        return J.update(attempts=J.attempts + 1).where(
            (J.id == job.id) & (J.state == PENDING) & (J.attempts == job.attempts)).execute() == 1


def _finish(job_id: int, state: str, error: str = "") -> None:
    J = models.PrintJob
    with write():
        J.update(state=state, last_error=error, printed_at=now() if state == DONE else None).where(
            J.id == job_id).execute()


def drain(till: str, job_ids: Iterable[int] | None = None, timeout: float = TIMEOUT) -> DrainResult:
    """Print the till's pending jobs, oldest first (only `job_ids` when given). Stops at the first
    job the printer cannot take: it stays pending with its error (a drawer pulse is marked failed).
    Never raises for a printer's trouble: the result says what happened. Runs in a worker thread
    or the command line, never on the till's screen thread."""
    till = check_till(till)
    with _DRAIN_LOCK:
        printer = get_printer(till)
        J = models.PrintJob
        if printer is None:
            return DrainResult(error=_("Till {till} has no printer.").format(till=till), pending=pending_count(till))
        query = J.select().where((J.till == till) & (J.state == PENDING)).order_by(J.id)
        if job_ids is not None:
            query = query.where(J.id.in_(list(job_ids)))
        printed, numbers, warning = [], [], None
        for job in list(query):
            if not _claim(job):
                continue
            try:
                data = job_bytes(job, printer)
            except Exception as exc:  # a job that cannot be laid out will never print: set it aside
                _finish(job.id, FAILED, _("Cannot lay this job out: {error}").format(error=exc))
                continue
            try:
                warning = send(printer, data, timeout) or warning
            except PrintError as exc:
                _finish(job.id, FAILED if job.kind == DRAWER else PENDING, exc.message)
                return DrainResult(tuple(printed), job.id, exc.message, warning, pending_count(till), tuple(numbers))
            _finish(job.id, DONE)
            printed.append(job.id)
            number = _job_info(job).number
            if number:
                numbers.append(number)
        return DrainResult(tuple(printed), None, None, warning, pending_count(till), tuple(numbers))
