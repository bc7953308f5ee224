"""`pos invoice …` and `pos store …`: issued invoices (list, show, print to PDF) and the store's own
settings (its fiscal data, the tax and cash rounding, the managers' limits).

An invoice is shown as it was frozen when it was issued: its store and customer blocks never follow
later edits. `--format json` prints plain values: amounts in integer minor units (`…_minor`) beside
`currency` and `currency_exponent`, times in ISO 8601 (UTC).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from pos_tui import cli_common, db, l10n
from pos_tui.cli_common import Format, console, fail, open_db, require_store, run
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.money import exponent, format_rate
from pos_tui.services import invoice_pdf, invoices, store
from pos_tui.services.invoices import InvoiceView
from pos_tui.services.payments import method_label

invoice_app = typer.Typer(help="Invoices, simplified invoices and credit notes: list, show, print to PDF.",
                          no_args_is_help=True)
store_app = typer.Typer(help="The store's settings: name, tax ID, address, rounding, managers' limits.",
                        no_args_is_help=True)

FormatOpt = Annotated[Format, typer.Option("--format", help="table for people, json for scripts.")]
NumberArg = Annotated[str, typer.Argument(metavar="NUMBER", show_default=False,
                                          help="The invoice's number, e.g. F2026-000001 (see `pos invoice list`).")]


class Kind(str, Enum):
    invoice = invoices.INVOICE
    simplified = invoices.SIMPLIFIED
    credit_note = invoices.CREDIT_NOTE


def parse_day(text: str, field: str) -> date:
    """A calendar day typed as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(field, _("“{text}” is not a date: use YYYY-MM-DD, e.g. 2026-03-31")
                              .format(text=text)) from None


def _utc_start(day: date) -> datetime:
    """The start of a local calendar day, as stored timestamps are (naive UTC)."""
    return datetime.combine(day, time.min).astimezone().astimezone(timezone.utc).replace(tzinfo=None)


def _when(value: datetime | None) -> str:
    return l10n.format_datetime(db.local_time(value)) if value else ""


def _money_header(currency: str) -> dict:
    return {"currency": currency, "currency_exponent": exponent(currency)}


# pos invoice ------------------------------------------------------------------------------------


@invoice_app.command("list")
def invoice_list(
    ctx: typer.Context,
    kind: Annotated[Kind | None, typer.Option("--kind", help="Only this kind.", show_default=False)] = None,
    since: Annotated[str | None, typer.Option("--since", metavar="DATE", show_default=False,
                                              help="Issued on or after this day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="DATE", show_default=False,
                                              help="Issued on or before this day (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000, help="At most this many, newest first.")] = 50,
    fmt: FormatOpt = Format.table,
) -> None:
    """The invoices issued, newest first."""
    open_db(ctx)
    shop = require_store()
    first = _utc_start(run(parse_day, since, "--since")) if since else None
    # --until is a whole day: everything before the next day's start.
    last = _utc_start(run(parse_day, until, "--until") + timedelta(days=1)) if until else None
    rows = invoices.list_invoices(kind.value if kind else None, first, last, limit)
    if fmt is Format.json:
        cli_common.echo_json({**_money_header(shop.currency),
                              "invoices": [dataclasses.asdict(row) for row in rows]})
        return
    if not rows:
        console.print(_("No invoices."))
        return
    table = Table()
    table.add_column(_("Number"), no_wrap=True)
    table.add_column(_("Kind"))
    table.add_column(_("Issued"), no_wrap=True)
    table.add_column(_("Customer"))
    table.add_column(_("Total"), justify="right", no_wrap=True)
    for row in rows:
        table.add_row(row.number, _(invoices.KIND_LABELS[row.kind]), _when(row.issued_at), Text(row.customer or "—"),
                      shop.money(row.total_minor))
    console.print(table)


def _invoice_doc(invoice: InvoiceView) -> dict:
    return {**_money_header(invoice.currency), **dataclasses.asdict(invoice), "title": invoice.title}


def _block(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for label, value in rows:
        table.add_row(label, Text(value))
    return table


def _invoice_layout(invoice: InvoiceView) -> Group:
    money = invoice_pdf.money_of(invoice)
    shop, customer = invoice.store, invoice.customer

    seller = Text()
    seller.append(shop.get("name", ""), style="bold")
    for extra in (f"{_('Tax ID')}: {shop['tax_id']}" if shop.get("tax_id") else "", shop.get("address", "")):
        if extra:
            seller.append("\n" + extra)
    heading = Text(justify="right")
    heading.append(invoice.title, style="bold")
    heading.append(f"\n{invoice.number}", style="bold")
    heading.append(f"\n{_('Issued')}: {_when(invoice.issued_at)}")
    if invoice.order_number:
        heading.append(f"\n{_('Sale')}: {invoice.order_number}")
    if invoice.corrects:
        heading.append("\n" + _("corrects {number}").format(number=invoice.corrects), style="bold")
    header = Table.grid(expand=True)
    header.add_column()
    header.add_column(justify="right")
    header.add_row(seller, heading)
    parts: list = [header]

    if customer:
        rows = [(_("Name"), customer.get("name", ""))]
        if customer.get("tax_id"):
            rows.append((_("Tax ID"), customer["tax_id"]))
        address = invoice_pdf.address_lines(customer)
        if address:
            rows.append((_("Address"), "\n".join(address)))
        rows += invoice_pdf.extra_fields(customer, shop.get("country", ""))
        parts.append(_block(_("Customer"), rows))

    lines = Table(title=_("Lines"), title_justify="left", title_style="bold")
    lines.add_column(_("Product"))
    for title in (_("Qty"), _("Unit price"), _("Discount"), _("Tax"), _("Total")):
        lines.add_column(title, justify="right")
    for line in invoice.lines:
        lines.add_row(Text(line["name"]), invoice.quantity_of(line), invoice.unit_price_of(line, money),
                      money(line["discount_minor"]) if line.get("discount_minor") else "",
                      format_rate(line["tax_rate_bp"]), money(line["total_minor"]))
    parts.append(lines)

    taxes = Table(title=_("Taxes"), title_justify="left", title_style="bold")
    for title in (_("Rate"), _("Base"), _("Tax")):
        taxes.add_column(title, justify="right")
    for tax in invoice.taxes:
        for label, base, amount in invoices.tax_rows(tax):  # each tax of a group on its own row
            taxes.add_row(Text(label), money(base), money(amount))
    parts.append(taxes)

    totals = [(_("Net"), money(invoice.net_minor)), (_("Tax"), money(invoice.tax_minor)),
              (_("Total"), money(invoice.total_minor))]
    if invoice.discount_minor:
        totals.insert(0, (_("Discounts included"), money(invoice.discount_minor)))
    parts.append(_block(_("Totals"), totals))

    if invoice.payments:
        paid = []
        for payment in invoice.payments:
            label = method_label(payment["method"])
            if payment.get("card_last4"):
                label += f" (…{payment['card_last4']})"
            paid.append((label, money(payment["amount_minor"])))
        parts.append(_block(_("Payment"), paid))
    return Group(*parts)


@invoice_app.command("show")
def invoice_show(ctx: typer.Context, number: NumberArg, fmt: FormatOpt = Format.table) -> None:
    """Everything on an invoice, as it was issued: store, customer, lines, taxes, totals, payments."""
    open_db(ctx)
    require_store()
    invoice = run(invoices.get_invoice, number)
    if fmt is Format.json:
        cli_common.echo_json(_invoice_doc(invoice))
        return
    console.print(_invoice_layout(invoice), highlight=False)


@invoice_app.command("pdf")
def invoice_pdf_cmd(
    ctx: typer.Context,
    number: NumberArg,
    output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE", show_default=False, dir_okay=False,
                                         help="Where to write the PDF (replaced if it exists).")],
) -> None:
    """Write an invoice as a PDF (A4)."""
    open_db(ctx)
    require_store()
    invoice = run(invoices.get_invoice, number)
    try:
        written = invoice_pdf.render(invoice, output)
    except OSError as exc:
        fail(_("--output: cannot write {path}: {reason}").format(path=output, reason=exc.strerror or exc))
    console.print(_("{title} {number} written to {path}.").format(
        title=invoice.title, number=invoice.number, path=written), highlight=False, soft_wrap=True)


# pos store --------------------------------------------------------------------------------------

#: update_settings' names -> the options that set them, for messages.
FLAGS = {"name": "--name", "store_name": "--name", "country": "--country", "currency": "--currency",
         "tax_id": "--tax-id", "address": "--address", "rounding": "--rounding",
         "cash_rounding": "--cash-rounding", "discount_limit": "--discount-limit",
         "cash_difference_limit": "--cash-difference-limit", "negative_stock": "--negative-stock"}
ROUNDING_HELP = {"line": N_("tax rounded on each line"), "total": N_("tax rounded once per rate on the total")}


def _settings_doc(settings: store.StoreSettings) -> dict:
    info = settings.info
    return {"name": info.name, "country": info.country, "currency": info.currency,
            "currency_exponent": info.exponent, "locale": info.locale, "tax_id": settings.tax_id,
            "address": settings.address, "rounding": settings.rounding,
            "cash_rounding_minor": settings.cash_rounding_minor, "discount_limit_bp": settings.discount_limit_bp,
            "cash_difference_limit_minor": settings.cash_difference_limit_minor,
            "negative_stock": "allow" if settings.allow_negative_stock else "refuse"}


def _print_settings(settings: store.StoreSettings) -> None:
    info = settings.info
    off = _("off")
    rows = [
        (_("Name"), info.name),
        (_("Country"), info.country),
        (_("Currency"), f"{info.currency} ({info.exponent} {_('decimals')})"),
        (_("Locale"), info.locale),
        (_("Tax ID"), settings.tax_id or "—"),
        (_("Address"), settings.address or "—"),
        (_("Tax rounding"), f"{settings.rounding}: {_(ROUNDING_HELP.get(settings.rounding, ''))}"),
        (_("Cash rounding"), info.money(settings.cash_rounding_minor) if settings.cash_rounding_minor > 1 else off),
        (_("Discount limit"), format_rate(settings.discount_limit_bp)),
        (_("Cash difference limit"), info.money(settings.cash_difference_limit_minor)),
        (_("Selling below zero stock"), _("allowed") if settings.allow_negative_stock else _("refused")),
    ]
    console.print(_block("", rows), highlight=False)


@store_app.command("show")
def store_show(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """The store's settings."""
    open_db(ctx)
    settings = run(store.get_settings)
    if fmt is Format.json:
        cli_common.echo_json(_settings_doc(settings))
        return
    _print_settings(settings)


def _option(flag: str, help_text: str):
    return Annotated[str | None, typer.Option(flag, help=help_text, show_default=False)]


NameOpt = _option("--name", "The store's name.")
CountryOpt = _option("--country", "The store's country, e.g. ES (fixed once it has a paid sale).")
CurrencyOpt = _option("--currency", "The store's currency, e.g. EUR (fixed once it has a paid sale).")
TaxIdOpt = _option("--tax-id", "The store's tax ID, checked for its country (an empty value clears it).")
AddressOpt = _option("--address", "The address printed on receipts and invoices.")
RoundingOpt = _option("--rounding", "line: tax rounded on each line; total: once per rate on the sale's total.")
CashRoundingOpt = _option("--cash-rounding", "Cash payments rounded to this amount, e.g. 0,05; 0 turns it off.")
DiscountLimitOpt = _option("--discount-limit", "The largest discount a cashier gives without a manager, in "
                                               "percent, e.g. 10 or 12,5.")
CashDifferenceOpt = _option("--cash-difference-limit", "A larger cash difference when closing a session needs "
                                                       "a manager, e.g. 5,00.")
NegativeStockOpt = _option("--negative-stock", "allow: the till sells below zero stock (flagged on the stock "
                                               "report); refuse: it refuses such a line.")


@store_app.command("set")
def store_set(
    ctx: typer.Context,
    name: NameOpt = None,
    country: CountryOpt = None,
    currency: CurrencyOpt = None,
    tax_id: TaxIdOpt = None,
    address: AddressOpt = None,
    rounding: RoundingOpt = None,
    cash_rounding: CashRoundingOpt = None,
    discount_limit: DiscountLimitOpt = None,
    cash_difference_limit: CashDifferenceOpt = None,
    negative_stock: NegativeStockOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Change some of the store's settings: only the options given change. Every bad one is
    reported at once, and then nothing is saved. On an empty database, --name, --country and
    --currency (with --tax-id and --address) create the store and its country's usual taxes."""
    open_db(ctx)
    changes = {key: value for key, value in (
        ("name", name), ("country", country), ("currency", currency), ("tax_id", tax_id), ("address", address),
        ("rounding", rounding),
        ("cash_rounding", cash_rounding), ("discount_limit", discount_limit),
        ("cash_difference_limit", cash_difference_limit), ("negative_stock", negative_stock)) if value is not None}
    if not changes:
        fail(_("nothing to change: give at least one option, e.g. --rounding total (see --help)"), 2)
    created = store.get_store() is None
    try:
        if created:
            _create_store(changes)
        else:
            store.update_settings(**changes)
    except ValidationError as exc:
        cli_common.refuse(ValidationError({FLAGS.get(key, key): message for key, message in exc.errors.items()}))
    except PosError as exc:
        cli_common.refuse(exc)
    settings = store.get_settings()
    if fmt is Format.json:
        cli_common.echo_json(_settings_doc(settings))
        return
    if created:
        console.print(_("Store {name} created with the usual taxes of {country} (pos taxes list). Add its first "
                        "manager with: pos cashier add NAME --role manager").format(
            name=settings.info.name, country=settings.info.country), highlight=False)
    else:
        console.print(_("Store settings saved."))
    _print_settings(settings)


def _create_store(changes: dict) -> None:
    """A new store from `pos store set` on an empty database, with the other settings given."""
    store.create_store(changes.pop("name", None), changes.pop("country", None), changes.pop("currency", None),
                       tax_id=changes.pop("tax_id", ""), address=changes.pop("address", ""), **changes)
