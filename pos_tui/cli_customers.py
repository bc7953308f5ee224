"""`pos customers …`: list, find, show, add, edit and archive customers from the command line.

The same services as the till: the same search, the same validation (every bad field reported at
once, nothing written), the same duplicate check and the same audit trail. `--format json` prints
plain values for scripts: times in ISO 8601 (UTC), amounts in integer minor units (`…_minor`)
beside the store's `currency` and `currency_exponent`, text as UTF-8.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import date, datetime
from enum import Enum
from typing import Annotated

import typer
from babel.numbers import format_decimal
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from pos_tui import cli_common, db, l10n, quantity
from pos_tui.cli_common import Format
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.money import format_plain, format_rate, from_minor
from pos_tui.services import audit, credit, customer_stats, customers, fiscal
from pos_tui.services.customers import CustomerInfo, CustomerSummary, DuplicatesFound
from pos_tui.services.store import StoreInfo

customers_app = typer.Typer(
    help="Customers: list, search, show, add, edit and archive them (the till's own rules).",
    no_args_is_help=True,
)


def _begin(ctx: typer.Context) -> StoreInfo:
    """Open the database chosen by the global options; the store (its currency) or a clean exit."""
    cli_common.open_db(ctx)
    return cli_common.require_store()


# Options shared by `add` and `edit` ------------------------------------------------------------

_FISCAL_KEYS = "; ".join(f"{country}: " + ", ".join(extra.key for extra in fiscal.extra_fields(country))
                        for country in dict.fromkeys(country for country, _extra in fiscal.all_extra_fields()))


def _text_option(flag: str, help_text: str):
    return Annotated[str | None, typer.Option(flag, help=help_text, show_default=False)]


NameOpt = _text_option("--name", "Full name, or the company's name.")
EmailOpt = _text_option("--email", "Email address.")
PhoneOpt = _text_option("--phone", "Phone number, in any format; without + it is read for the "
                                   "store's country.")
MobileOpt = _text_option("--mobile", "Mobile number, like --phone.")
StreetOpt = _text_option("--street", "Street and number.")
Street2Opt = _text_option("--street2", "Second address line.")
CityOpt = _text_option("--city", "City.")
StateOpt = _text_option("--state", "State or province.")
PostalCodeOpt = _text_option("--postal-code", "Postal code.")
CountryOpt = _text_option("--country", "Country (ISO code, e.g. ES, MX).")
CountryAddOpt = _text_option("--country", "Country (ISO code, e.g. ES, MX). Default: the store's.")
LanguageOpt = _text_option("--language", "Language code, e.g. es, en, pt_BR.")
LanguageAddOpt = _text_option("--language", "Language code, e.g. es, en, pt_BR. Default: the store's.")
PaymentOpt = _text_option("--preferred-payment", "Preferred payment: cash, card, transfer or account.")
TaxIdOpt = _text_option("--tax-id", "Tax ID (NIF, RFC, EU VAT number…), checked for the tax country.")
TaxCountryOpt = _text_option("--tax-country", "Country of the tax ID (ISO code). Default: the "
                                              "address's country, else the store's.")
FiscalNameOpt = _text_option("--fiscal-name", "Name on invoices, if different.")
DiscountOpt = _text_option("--discount", "Discount in percent, e.g. 5 or 12,5.")
CreditOpt = _text_option("--credit-limit", "Credit limit, in the store's currency, e.g. 500 or 500,00.")
TermsDaysOpt = _text_option("--payment-terms-days", "Payment terms in days (0 to 365).")
SpecialTermsOpt = _text_option("--special-terms", "Special conditions agreed with the customer.")
CardOpt = _text_option("--loyalty-card", "Loyalty card number (one customer per card).")
NotesOpt = _text_option("--notes", "Notes.")
FiscalOpt = Annotated[list[str] | None, typer.Option(
    "--fiscal", metavar="KEY=VALUE", show_default=False,
    help=f"An extra fiscal field of the tax country; repeat for each ({_FISCAL_KEYS}).")]
FormatOpt = Annotated[Format, typer.Option("--format", help="table for people, json for scripts.")]
CustomerId = Annotated[int, typer.Argument(metavar="ID", help="The customer's id (see `pos customers list`).",
                                           show_default=False)]


# JSON: plain values ---------------------------------------------------------------------------


def _money_header(shop: StoreInfo) -> dict:
    return {"currency": shop.currency, "currency_exponent": shop.exponent}


def _customer_doc(info: CustomerInfo, shop: StoreInfo) -> dict:
    doc = _money_header(shop)
    for f in dataclasses.fields(info):
        if f.name != "warnings":
            doc[f.name] = cli_common.plain(getattr(info, f.name))
    return doc


def _summary_doc(row: CustomerSummary) -> dict:
    return dataclasses.asdict(row)


def _stats_doc(figures: customer_stats.CustomerStats) -> dict:
    return {
        "total_spent_minor": figures.total_spent_minor,
        "visits": figures.visits,
        "average_ticket_minor": figures.average_ticket_minor,
        "first_visit": cli_common.iso(figures.first_visit),
        "last_visit": cli_common.iso(figures.last_visit),
        "top_products": [{"name": p.name, "quantity": quantity.json_value(p.quantity), "uom": p.uom,
                          "total_minor": p.total_minor}
                         for p in figures.top_products],
        "monthly": [{"month": month, "spent_minor": spent} for month, spent in figures.monthly],
    }


def _sale_doc(sale: customer_stats.OrderSummary) -> dict:
    return {"id": sale.id, "number": sale.number, "paid_at": cli_common.iso(sale.paid_at), "items": int(sale.items),
            "total_minor": sale.total_minor}


def _audit_doc(entry: audit.AuditEntry) -> dict:
    return {"at": cli_common.iso(entry.at), "cashier": entry.cashier, "action": entry.action,
            "changes": cli_common.plain(entry.changes)}


# Tables: for people ---------------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    return l10n.format_datetime(db.local_time(value)) if value else ""


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def _print_summaries(rows: list[CustomerSummary], empty: str) -> None:
    console = cli_common.console
    if not rows:
        console.print(empty)
        return
    table = Table()
    table.add_column(_("ID"), justify="right")
    for title in (_("Name"), _("Phone"), _("Tax ID"), _("City")):
        table.add_column(title)
    table.add_column(_("Points"), justify="right")
    for row in rows:
        table.add_row(str(row.id), Text(row.name), Text(row.phone), Text(row.tax_id), Text(row.city),
                      str(row.points))
    console.print(table)


def _phone_text(typed: str, e164: str) -> str:
    return f"{typed} ({e164})" if e164 and e164 != typed else typed


def _fiscal_label(country: str, key: str) -> str:
    for extra in fiscal.extra_fields(country):
        if extra.key == key:
            return _(extra.label)
    return key


PAYMENT_LABELS = {"cash": N_("Cash"), "card": N_("Card"), "transfer": N_("Transfer"),
                  "account": N_("Customer account")}


def _detail_rows(info: CustomerInfo, shop: StoreInfo) -> list[tuple[str, str]]:
    tax_id = info.tax_id_display or info.tax_id
    consent = _yes(info.marketing_consent)
    if info.marketing_consent and info.marketing_consent_at:
        consent += " " + _("(since {when})").format(when=_when(info.marketing_consent_at))
    rows = [
        (_("ID"), str(info.id)),
        (_("Name"), info.name),
        (_("Kind"), _("Company") if info.is_company else _("Person")),
        (_("Email"), info.email),
        (_("Phone"), _phone_text(info.phone, info.phone_e164)),
        (_("Mobile"), _phone_text(info.mobile, info.mobile_e164)),
        (_("Street"), info.street),
        (_("Street 2"), info.street2),
        (_("City"), info.city),
        (_("State / province"), info.state),
        (_("Postal code"), info.postal_code),
        (_("Country"), info.country),
        (_("Language"), info.language),
        (_("Preferred payment"), _(PAYMENT_LABELS[info.preferred_payment])
         if info.preferred_payment in PAYMENT_LABELS else info.preferred_payment),
        (_("Tax ID"), tax_id),
        (_("Tax ID country"), info.tax_country),
        (_("Fiscal name"), info.fiscal_name),
        (_("Needs an invoice"), _yes(info.needs_invoice)),
    ]
    rows += [(_fiscal_label(info.tax_country, key), str(value)) for key, value in info.fiscal_extra.items()]
    rows += [
        (_("Discount"), format_rate(info.discount_bp) if info.discount_bp else ""),
        (_("Credit limit"), shop.money(info.credit_limit_minor) if info.credit_limit_minor else ""),
        (_("Payment terms (days)"), str(info.payment_terms_days) if info.payment_terms_days else ""),
        (_("Special terms"), info.special_terms),
        (_("Loyalty card"), info.loyalty_card or ""),
        (_("Points"), str(info.points)),
        (_("Agrees to marketing"), consent),
        (_("Notes"), info.notes),
        (_("Archived"), _yes(info.archived)),
        (_("Created"), _when(info.created_at)),
        (_("Updated"), _when(info.updated_at)),
        (_("Last visit"), _when(info.last_visit_at)),
        (_("Visits"), str(info.visit_count)),
    ]
    return rows


def _print_customer(info: CustomerInfo, shop: StoreInfo) -> None:
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for label, value in _detail_rows(info, shop):
        table.add_row(label, Text(value))
    cli_common.console.print(table)


def _print_warnings(info: CustomerInfo) -> None:
    for warning in info.warnings:
        cli_common.err.print(f"[yellow]{_('Warning')}: {escape(warning)}[/]", highlight=False)


ACTION_LABELS = {"create": N_("created"), "update": N_("changed"), "archive": N_("archived"),
                 "restore": N_("restored"), "create_despite_duplicates": N_("created despite possible duplicates")}
_EMPTY = ("", None, False, 0, "{}")


def _value_text(key: str, value, shop: StoreInfo) -> str:
    if value in ("", None):
        return "—"
    if isinstance(value, bool):
        return _yes(value)
    if isinstance(value, int) and key.endswith("_minor"):
        return shop.money(value)
    if isinstance(value, int) and key.endswith("_bp"):
        return format_rate(value)
    return str(value)


def _changes_text(entry: audit.AuditEntry, shop: StoreInfo) -> str:
    if entry.action not in ("create", "update", "archive", "restore"):
        return "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in entry.changes.items())
    lines = []
    for key, pair in entry.changes.items():
        if not (isinstance(pair, list) and len(pair) == 2):
            lines.append(f"{key}: {json.dumps(pair, ensure_ascii=False)}")
            continue
        old, new = pair
        if entry.action == "create":
            if new not in _EMPTY:
                lines.append(f"{key} = {_value_text(key, new, shop)}")
        else:
            lines.append(f"{key}: {_value_text(key, old, shop)} → {_value_text(key, new, shop)}")
    return "\n".join(lines)


def _print_history(figures: customer_stats.CustomerStats, sales: list[customer_stats.OrderSummary],
                   trail: list[audit.AuditEntry], shop: StoreInfo) -> None:
    console = cli_common.console
    money = shop.money
    table = Table(title=_("Purchases"), show_header=False, box=None, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row(_("Total spent"), money(figures.total_spent_minor))
    table.add_row(_("Visits"), str(figures.visits))
    table.add_row(_("Average ticket"), money(figures.average_ticket_minor))
    table.add_row(_("First visit"), _when(figures.first_visit))
    table.add_row(_("Last visit"), _when(figures.last_visit))
    console.print(table)
    if figures.top_products:
        table = Table(_("Product"), _("Qty"), _("Spent"), title=_("Most bought"), title_justify="left")
        for product in figures.top_products:
            table.add_row(Text(product.name), shop.quantity(product.quantity, product.uom), money(product.total_minor))
        console.print(table)
    spent = [(month, amount) for month, amount in figures.monthly if amount]
    if spent:
        table = Table(_("Month"), _("Spent"), title=_("Last 12 months"), title_justify="left")
        for month, amount in spent:
            table.add_row(month, money(amount))
        console.print(table)
    if sales:
        table = Table(_("Sale"), _("Paid"), _("Items"), _("Total"), title=_("Last sales"), title_justify="left")
        for sale in sales:
            table.add_row(Text(sale.number or str(sale.id)), _when(sale.paid_at), str(sale.items),
                          money(sale.total_minor))
        console.print(table)
    else:
        console.print(_("No sales yet."))
    table = Table(_("When"), _("Cashier"), _("Action"), _("Changes"), title=_("Changes"), title_justify="left")
    for entry in trail:
        table.add_row(_when(entry.at), Text(entry.cashier or "—"),
                      _(ACTION_LABELS[entry.action]) if entry.action in ACTION_LABELS else entry.action,
                      Text(_changes_text(entry, shop)))
    console.print(table)


# Refusals ---------------------------------------------------------------------------------------


def _invalid(exc: ValidationError) -> None:
    """One line per bad field on stderr, exit status 1 (nothing was written)."""
    err = cli_common.err
    for name, message in exc.errors.items():
        err.print(f"[red]{escape(name)}[/]: {escape(message)}", highlight=False)
    raise typer.Exit(1)


def _duplicates(exc: DuplicatesFound) -> None:
    err = cli_common.err
    err.print(f"[bold red]{_('Error')}:[/] {escape(exc.message)}", highlight=False)
    table = Table(_("ID"), _("Name"), _("Phone"), _("Why"))
    for candidate in exc.candidates:
        table.add_row(str(candidate.customer.id), Text(candidate.customer.name), Text(candidate.customer.phone),
                      Text(", ".join(candidate.reasons)))
    err.print(table)
    err.print(escape(_("Nothing was saved. To create this customer anyway, run the same command again "
                       "with --allow-duplicate (recorded in the audit trail).")), highlight=False)
    raise typer.Exit(1)


def _call(action, *args, **kwargs):
    """A service call: bad fields one per line, duplicates listed, any other refusal as `fail`."""
    try:
        return action(*args, **kwargs)
    except DuplicatesFound as exc:
        _duplicates(exc)
    except ValidationError as exc:
        _invalid(exc)
    except PosError as exc:
        cli_common.fail(exc.message)


def _fiscal_values(pairs: list[str] | None, country: str) -> tuple[dict, dict]:
    """`--fiscal KEY=VALUE` as form data (`fiscal.KEY`), and the errors: a key must be one of the
    tax country's extra fields (the service would drop any other silently)."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    country = (country or "").strip().upper()
    known = [extra.key for extra in fiscal.extra_fields(country)]
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        key = key.strip().lower().removeprefix("fiscal.")
        if not sep or not key:
            errors["fiscal"] = _("“{pair}” is not KEY=VALUE (e.g. regime=601)").format(pair=pair)
        elif key not in known:
            errors[f"fiscal.{key}"] = (
                _("is not a fiscal field for {country} (it has: {keys})").format(
                    country=country or "?", keys=", ".join(known)) if known else
                _("{country} has no extra fiscal fields").format(country=country or "?"))
        else:
            values[f"fiscal.{key}"] = value
    return values, errors


def _refuse_all(errors: dict, data: dict, shop: StoreInfo) -> None:
    """The options' own errors together with the service's (`clean` writes nothing)."""
    try:
        customers.clean(data, shop.country, shop.exponent)
    except ValidationError as exc:
        errors = {**exc.errors, **errors}
    _invalid(ValidationError(errors))


def _given(**options) -> dict:
    return {name: value for name, value in options.items() if value is not None}


# Commands ---------------------------------------------------------------------------------------


@customers_app.command("list")
def list_cmd(
    ctx: typer.Context,
    archived: Annotated[bool, typer.Option("--archived", help="List the archived customers instead.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most this many.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many first.")] = 0,
    fmt: FormatOpt = Format.table,
) -> None:
    """List customers by name, a page at a time."""
    _begin(ctx)
    rows = customers.list_customers(limit=limit, offset=offset, archived=archived)
    if fmt is Format.json:
        cli_common.echo_json([_summary_doc(row) for row in rows])
        return
    _print_summaries(rows, _("No archived customers.") if archived else _("No customers."))
    if len(rows) == limit:
        cli_common.console.print(_("More may follow: --offset {next}.").format(next=offset + limit))


@customers_app.command("search")
def search_cmd(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Name words (accents optional), phone digits (also the last "
                                              "ones), email, tax ID or loyalty card.", show_default=False)],
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many.")] = 30,
    fmt: FormatOpt = Format.table,
) -> None:
    """Find customers as the till does: recent and frequent ones first; archived ones never."""
    _begin(ctx)
    rows = customers.search_customers(query, limit)
    if fmt is Format.json:
        cli_common.echo_json([_summary_doc(row) for row in rows])
        return
    _print_summaries(rows, _("No customer matches “{query}”.").format(query=escape(query)))


@customers_app.command("show")
def show_cmd(
    ctx: typer.Context,
    customer_id: CustomerId,
    sales: Annotated[int, typer.Option("--sales", min=0, max=1000, help="How many of the last sales.")] = 10,
    fmt: FormatOpt = Format.table,
) -> None:
    """Every field of a customer, their purchase figures, last sales and audit trail."""
    shop = _begin(ctx)
    info = _call(customers.get_customer, customer_id)
    figures = customer_stats.stats(customer_id)
    recent = customer_stats.history(customer_id, limit=sales) if sales else []
    trail = audit.history("customer", customer_id)
    if fmt is Format.json:
        cli_common.echo_json({**_customer_doc(info, shop), "stats": _stats_doc(figures),
                    "sales": [_sale_doc(sale) for sale in recent],
                    "audit": [_audit_doc(entry) for entry in trail]})
        return
    _print_customer(info, shop)
    _print_history(figures, recent, trail, shop)


@customers_app.command("add")
def add_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Full name, or the company's name.", show_default=False)],
    company: Annotated[bool, typer.Option("--company", help="A company, not a person.")] = False,
    email: EmailOpt = None,
    phone: PhoneOpt = None,
    mobile: MobileOpt = None,
    street: StreetOpt = None,
    street2: Street2Opt = None,
    city: CityOpt = None,
    state: StateOpt = None,
    postal_code: PostalCodeOpt = None,
    country: CountryAddOpt = None,
    language: LanguageAddOpt = None,
    preferred_payment: PaymentOpt = None,
    tax_id: TaxIdOpt = None,
    tax_country: TaxCountryOpt = None,
    fiscal_name: FiscalNameOpt = None,
    needs_invoice: Annotated[bool, typer.Option("--needs-invoice", help="Wants an invoice.")] = False,
    discount: DiscountOpt = None,
    credit_limit: CreditOpt = None,
    payment_terms_days: TermsDaysOpt = None,
    special_terms: SpecialTermsOpt = None,
    loyalty_card: CardOpt = None,
    marketing_consent: Annotated[bool, typer.Option("--marketing-consent",
                                                    help="Agrees to marketing (the date is kept).")] = False,
    notes: NotesOpt = None,
    fiscal_pairs: FiscalOpt = None,
    allow_duplicate: Annotated[bool, typer.Option(
        "--allow-duplicate", help="Create even if it looks like an existing customer (audited).")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add a customer, checked as the till's form checks it (possible duplicates stop it)."""
    shop = _begin(ctx)
    data = _given(
        name=name, is_company=company, email=email, phone=phone, mobile=mobile, street=street,
        street2=street2, city=city, state=state, postal_code=postal_code,
        country=shop.country if country is None else country,
        language=shop.locale.split("_")[0] if language is None else language,
        preferred_payment=preferred_payment, tax_id=tax_id, tax_country=tax_country,
        fiscal_name=fiscal_name, needs_invoice=needs_invoice, discount=discount,
        credit_limit=credit_limit, payment_terms_days=payment_terms_days,
        special_terms=special_terms, loyalty_card=loyalty_card,
        marketing_consent=marketing_consent, notes=notes)
    extra, errors = _fiscal_values(fiscal_pairs, data.get("tax_country") or data.get("country") or shop.country)
    data.update(extra)
    if errors:
        _refuse_all(errors, data, shop)
    info = _call(customers.create_customer, data, None, allow_duplicates=allow_duplicate)
    _print_warnings(info)
    if fmt is Format.json:
        cli_common.echo_json({**_customer_doc(info, shop), "warnings": list(info.warnings)})
        return
    cli_common.console.print(_("Customer {id} created: {name}.").format(id=info.id, name=escape(info.name)),
                         highlight=False)
    _print_customer(info, shop)


def _changed(before: CustomerInfo, after: CustomerInfo) -> list[tuple[str, object, object]]:
    skip = {"updated_at", "warnings", "tax_id_display", "marketing_consent_at"}
    return [(f.name, getattr(before, f.name), getattr(after, f.name)) for f in dataclasses.fields(before)
            if f.name not in skip and getattr(before, f.name) != getattr(after, f.name)]


@customers_app.command("edit")
def edit_cmd(
    ctx: typer.Context,
    customer_id: CustomerId,
    name: NameOpt = None,
    company: Annotated[bool | None, typer.Option("--company/--person", help="A company, or a person.",
                                                 show_default=False)] = None,
    email: EmailOpt = None,
    phone: PhoneOpt = None,
    mobile: MobileOpt = None,
    street: StreetOpt = None,
    street2: Street2Opt = None,
    city: CityOpt = None,
    state: StateOpt = None,
    postal_code: PostalCodeOpt = None,
    country: CountryOpt = None,
    language: LanguageOpt = None,
    preferred_payment: PaymentOpt = None,
    tax_id: TaxIdOpt = None,
    tax_country: TaxCountryOpt = None,
    fiscal_name: FiscalNameOpt = None,
    needs_invoice: Annotated[bool | None, typer.Option("--needs-invoice/--no-needs-invoice",
                                                       help="Wants an invoice, or not.", show_default=False)] = None,
    discount: DiscountOpt = None,
    credit_limit: CreditOpt = None,
    payment_terms_days: TermsDaysOpt = None,
    special_terms: SpecialTermsOpt = None,
    loyalty_card: CardOpt = None,
    marketing_consent: Annotated[bool | None, typer.Option(
        "--marketing-consent/--no-marketing-consent", help="Agrees to marketing, or withdraws.",
        show_default=False)] = None,
    notes: NotesOpt = None,
    fiscal_pairs: FiscalOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Change some fields of a customer; only the options given change (an empty value clears a
    text field). Every change is recorded in the audit trail, old → new."""
    shop = _begin(ctx)
    changes = _given(
        name=name, is_company=company, email=email, phone=phone, mobile=mobile, street=street,
        street2=street2, city=city, state=state, postal_code=postal_code, country=country,
        language=language, preferred_payment=preferred_payment, tax_id=tax_id, tax_country=tax_country,
        fiscal_name=fiscal_name, needs_invoice=needs_invoice, discount=discount,
        credit_limit=credit_limit, payment_terms_days=payment_terms_days,
        special_terms=special_terms, loyalty_card=loyalty_card,
        marketing_consent=marketing_consent, notes=notes)
    if not changes and not fiscal_pairs:
        cli_common.fail(_("nothing to change: give at least one option, e.g. --phone (see --help)"), 2)
    before = _call(customers.get_customer, customer_id)
    target = (changes.get("tax_country", before.tax_country) or changes.get("country", before.country)
              or shop.country)
    extra, errors = _fiscal_values(fiscal_pairs, target)
    changes.update(extra)
    if errors:
        _refuse_all(errors, {**customers.form_values(before, shop.exponent), **changes}, shop)
    after = _call(customers.update_customer, customer_id, changes, None)
    _print_warnings(after)
    if fmt is Format.json:
        cli_common.echo_json({**_customer_doc(after, shop), "warnings": list(after.warnings)})
        return
    console = cli_common.console
    changed = _changed(before, after)
    if not changed:
        console.print(_("Customer {id} ({name}): nothing changed.").format(id=after.id, name=escape(after.name)),
                      highlight=False)
        return
    console.print(_("Customer {id} ({name}) saved:").format(id=after.id, name=escape(after.name)), highlight=False)
    for key, old, new in changed:
        if isinstance(old, dict) or isinstance(new, dict):
            old, new = json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False)
        was, now_ = _value_text(key, cli_common.plain(old), shop), _value_text(key, cli_common.plain(new), shop)
        console.print(Text(f"  {key}: {was} → {now_}"))


@customers_app.command("archive")
def archive_cmd(
    ctx: typer.Context,
    customer_id: CustomerId,
    restore: Annotated[bool, typer.Option("--restore", help="Bring an archived customer back.")] = False,
) -> None:
    """Archive a customer: gone from searches and lists, their sales kept. --restore undoes it."""
    _begin(ctx)
    before = _call(customers.get_customer, customer_id)
    console = cli_common.console
    name = escape(before.name)
    if before.archived != restore:
        message = (_("Customer {id} ({name}) is already archived.") if before.archived else
                   _("Customer {id} ({name}) is not archived."))
        console.print(message.format(id=before.id, name=name), highlight=False)
        return
    _call(customers.archive_customer, customer_id, None, archived=not restore)
    message = (_("Customer {id} ({name}) restored: found by searches again.") if restore else
               _("Customer {id} ({name}) archived: hidden from searches, sales kept."))
    console.print(message.format(id=before.id, name=name), highlight=False)


class BalancesFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


@customers_app.command("balances")
def balances_cmd(
    ctx: typer.Context,
    fmt: Annotated[BalancesFormat, typer.Option(
        "--format", help="table for people, json for scripts, csv for a spreadsheet.")] = BalancesFormat.table,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATE", show_default=False,
        help="Count the days overdue up to this day (YYYY-MM-DD; default: today).")] = None,
) -> None:
    """What customers owe on account, by how late it is: current, 1–30, 31–60, 61–90 and over 90
    days past due, the total and the credit limit; a totals row at the end. Money received pays
    the oldest debts first."""
    shop = _begin(ctx)
    if as_of is None:
        day = db.now().date()
    else:
        try:
            day = date.fromisoformat(as_of.strip())
        except ValueError:
            _invalid(ValidationError("--as-of", _("“{text}” is not a date: use YYYY-MM-DD, e.g. 2026-03-31")
                                     .format(text=as_of)))
    rows = credit.aging(day)
    totals = {bucket: sum(row.buckets[bucket] for row in rows) for bucket in credit.BUCKETS}
    grand_total = sum(row.total_minor for row in rows)
    if fmt is BalancesFormat.json:
        cli_common.echo_json({
            **_money_header(shop), "as_of": day.isoformat(), "buckets": list(credit.BUCKETS),
            "customers": [{"customer_id": row.customer_id, "name": row.name, "buckets_minor": dict(row.buckets),
                           "total_minor": row.total_minor, "credit_limit_minor": row.credit_limit_minor}
                          for row in rows],
            "totals": {"buckets_minor": totals, "total_minor": grand_total}})
        return
    if fmt is BalancesFormat.csv:
        def plain(minor: int) -> str:  # 12.50: a decimal point whatever the locale, for spreadsheets
            return format_plain(minor, shop.exponent, "en")

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["customer_id", "name", *credit.BUCKETS, "total", "credit_limit", "currency"])
        for row in rows:
            writer.writerow([row.customer_id, row.name, *(plain(row.buckets[b]) for b in credit.BUCKETS),
                             plain(row.total_minor), plain(row.credit_limit_minor), shop.currency])
        writer.writerow(["", _("Total"), *(plain(totals[b]) for b in credit.BUCKETS), plain(grand_total), "",
                         shop.currency])
        typer.echo(out.getvalue(), nl=False)
        return
    console = cli_common.console
    if not rows:
        console.print(_("No customer owes anything on account."))
        return

    def amount(minor: int) -> str:  # the currency is in the title: nine columns fit a terminal
        return format_decimal(from_minor(minor, shop.exponent), format="#,##0." + "0" * shop.exponent
                              if shop.exponent else "#,##0", locale=shop.locale)

    labels = {"current": _("Current"), "1-30": _("1–30"), "31-60": _("31–60"), "61-90": _("61–90"), "90+": _("90+")}
    table = Table(title=_("Owed on account ({currency}), by days overdue, as of {day}").format(
        currency=shop.currency, day=day.isoformat()), title_justify="left", show_footer=True, box=box.SIMPLE_HEAD)
    table.add_column(_("ID"), justify="right")
    table.add_column(_("Customer"), footer=_("Total"))
    for bucket in credit.BUCKETS:
        table.add_column(labels[bucket], justify="right", no_wrap=True, footer=amount(totals[bucket]))
    table.add_column(_("Total"), justify="right", no_wrap=True, footer=amount(grand_total), style="bold")
    table.add_column(_("Limit"), justify="right", no_wrap=True)
    for row in rows:
        over = row.total_minor > row.credit_limit_minor
        table.add_row(str(row.customer_id), Text(row.name), *(amount(row.buckets[b]) for b in credit.BUCKETS),
                      Text(amount(row.total_minor), style="red" if over else ""), amount(row.credit_limit_minor))
    console.print(table)


@customers_app.command("data")
def data_cmd(
    ctx: typer.Context,
    customer_id: CustomerId,
    output: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE", show_default=False,
                                               help="Write to FILE instead of the standard output.")] = None,
) -> None:
    """Everything stored about a customer, as one JSON document (their right of access): the profile,
    sales with lines and payments, invoices as issued, loyalty entries, the audit trail, the
    change-feed events. Times in ISO 8601 (UTC), amounts in integer minor units of `currency`."""
    from pos_tui.services import privacy

    _begin(ctx)
    document = json.dumps(_call(privacy.customer_data, customer_id), ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(document)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(document + "\n")
    except OSError as exc:
        cli_common.fail(_("--output: cannot write {path}: {reason}").format(path=output, reason=exc.strerror or exc))
    cli_common.console.print(_("Customer {id}'s data written to {path}.").format(id=customer_id, path=output),
                             highlight=False, soft_wrap=True)


@customers_app.command("anonymise")
def anonymise_cmd(
    ctx: typer.Context,
    customer_id: CustomerId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a customer's personal data for good (their right to erasure): name, email, phones,
    address, tax ID, notes, special terms, loyalty card, marketing consent, search tokens, and the
    old values in their audit trail and change-feed events. Their sales and the invoices' fiscal
    data, which the law requires, are kept. Audited; told to other systems."""
    from pos_tui.services import privacy

    _begin(ctx)
    before = _call(customers.get_customer, customer_id)
    if not yes and not typer.confirm(_("Anonymise customer {id} ({name})? Their personal data is erased for good; "
                                       "their sales and invoices are kept.").format(id=customer_id, name=before.name)):
        cli_common.err.print(_("Nothing was changed."))
        raise typer.Exit(1)
    cleared = _call(privacy.anonymise, customer_id)
    cli_common.console.print(_("Customer {id} anonymised: {fields} cleared; now “{name}”.").format(
        id=customer_id, fields=", ".join(cleared) or "—", name=privacy.anonymous_name(customer_id)),
        highlight=False, soft_wrap=True)
