"""`pos products …` and `pos taxes …`: the store's own catalog and its taxes, with the same rules
as the till (the catalog and taxes services). `--format json` prints plain values: amounts in
integer minor units beside `currency`, quantities as exact decimals."""

from __future__ import annotations

import csv
import io
from enum import Enum
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from pos_tui import quantity
from pos_tui.cli_common import Format, console, echo_json, fail, open_db, require_store, run
from pos_tui.i18n import _
from pos_tui.money import format_rate
from pos_tui.services import catalog, exports, taxes
from pos_tui.services.catalog import ProductInfo
from pos_tui.services.store import StoreInfo

products_app = typer.Typer(help="The store's products: add, change, find, archive, import and export them.",
                           no_args_is_help=True)
taxes_app = typer.Typer(help="The store's taxes: a name, a rate, and whether prices include it.",
                        no_args_is_help=True)

FormatOpt = Annotated[Format, typer.Option("--format", help="table for people, json for scripts.")]
RefArg = Annotated[str, typer.Argument(metavar="REF", show_default=False,
                                       help="The product's reference, its barcode, or #ID.")]


def product_document(info: ProductInfo, currency: str, exp: int) -> dict:
    """A product as plain values (JSON)."""
    return {"id": info.id, "reference": info.sku, "name": info.name, "barcode": info.barcode,
            "price_minor": info.price_minor, "price_includes_tax": info.price_includes_tax,
            "cost_minor": info.cost_minor, "currency": currency, "currency_exponent": exp,
            "category": info.category, "unit": info.uom, "by_weight": info.by_weight,
            "taxes": list(info.taxes), "tax_rate_bp": info.tax_rate_bp,
            "available_in_pos": info.available_in_pos, "track_stock": info.track_stock,
            "reorder_point": quantity.plain(info.reorder_point), "archived": info.archived}


class ListFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _opt(flag: str, help_text: str, metavar: str = "TEXT"):
    return Annotated[str | None, typer.Option(flag, help=help_text, metavar=metavar, show_default=False)]


ReferenceOpt = _opt("--ref", "The internal reference (unique), e.g. P001.", "REF")
NameOpt = _opt("--name", "The product's name.")
BarcodeOpt = _opt("--barcode", "EAN-13, EAN-8 or UPC-A, check digit verified (an empty value clears it).", "CODE")
PriceOpt = _opt("--price", "The sale price, e.g. 3,50.", "AMOUNT")
IncludedOpt = _opt("--price-includes-tax", "yes or no (by default, as its taxes say).", "yes|no")
CostOpt = _opt("--cost", "What the store pays for it, e.g. 1,20.", "AMOUNT")
CategoryOpt = _opt("--category", "A path of levels, e.g. \"Bakery / Bread\".", "PATH")
UnitOpt = _opt("--unit", "Units, kg, g, L, mL or m.", "UNIT")
WeightOpt = _opt("--by-weight", "Sold by weight: yes or no.", "yes|no")
TaxesOpt = _opt("--taxes", "Its taxes, e.g. \"IVA 21%\" or \"IVA 21% + RE 5,2%\", or none.", "TAXES")
AvailableOpt = _opt("--available", "Sold at the till: yes or no.", "yes|no")
TrackOpt = _opt("--track-stock", "Tracked in stock: yes or no.", "yes|no")
ReorderOpt = _opt("--reorder-point", "Reorder when stock falls to this quantity.", "QTY")


def _fields(**given) -> dict:
    """The options given, as catalog fields (None: not given)."""
    names = {"ref": "reference", "available": "available_in_pos"}
    return {names.get(key, key): value for key, value in given.items() if value is not None}


def _yes_no(flag: bool) -> str:
    return _("yes") if flag else _("no")


def _taxes_text(info: ProductInfo) -> str:
    return f" {taxes.SEPARATOR} ".join(info.taxes) if info.taxes else _("none")


def _print_product(info: ProductInfo, store: StoreInfo) -> None:
    table = Table(show_header=False, box=None)
    for label, value in (
            (_("Reference"), info.sku), (_("Name"), info.name), (_("Barcode"), info.barcode or ""),
            (_("Price"), store.money(info.price_minor)),
            (_("Price includes tax"), _yes_no(info.price_includes_tax)),
            (_("Taxes"), _taxes_text(info) + (f" ({format_rate(info.tax_rate_bp)})" if len(info.taxes) > 1 else "")),
            (_("Cost"), store.money(info.cost_minor)), (_("Category"), info.category),
            (_("Unit"), _(info.uom)), (_("Sold by weight"), _yes_no(info.by_weight)),
            (_("Available at the till"), _yes_no(info.available_in_pos)),
            (_("Tracked in stock"), _yes_no(info.track_stock)),
            (_("Reorder point"), quantity.plain(info.reorder_point)),
            (_("Archived"), _yes_no(info.archived))):
        table.add_row(Text(label, style="bold"), Text(str(value)))
    console.print(table)


def _done(info: ProductInfo, message: str, fmt: Format) -> None:
    store = require_store()
    if fmt == Format.json:
        echo_json(product_document(info, store.currency, store.exponent))
        return
    console.print(Text(message.format(ref=info.sku, name=info.name)))
    _print_product(info, store)


@products_app.command("show")
def products_show(ctx: typer.Context, ref: RefArg, fmt: FormatOpt = Format.table) -> None:
    """One product, archived or not: every field."""
    open_db(ctx)
    store = require_store()
    info = run(catalog.find_product, ref)
    if fmt == Format.json:
        echo_json(product_document(info, store.currency, store.exponent))
        return
    _print_product(info, store)


@products_app.command("add")
def products_add(
    ctx: typer.Context,
    ref: ReferenceOpt = None, name: NameOpt = None, barcode: BarcodeOpt = None, price: PriceOpt = None,
    price_includes_tax: IncludedOpt = None, cost: CostOpt = None, category: CategoryOpt = None,
    unit: UnitOpt = None, by_weight: WeightOpt = None, taxes_: TaxesOpt = None, available: AvailableOpt = None,
    track_stock: TrackOpt = None, reorder_point: ReorderOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Add a product: --ref, --name, --price and --taxes are required. Every bad field is reported
    at once, and then nothing is saved."""
    open_db(ctx)
    require_store()
    data = _fields(ref=ref, name=name, barcode=barcode, price=price, price_includes_tax=price_includes_tax,
                   cost=cost, category=category, unit=unit, by_weight=by_weight, taxes=taxes_,
                   available=available, track_stock=track_stock, reorder_point=reorder_point)
    info = run(catalog.add_product, data)
    _done(info, _("Product {ref} added: {name}"), fmt)


@products_app.command("edit")
def products_edit(
    ctx: typer.Context, ref_arg: RefArg,
    ref: ReferenceOpt = None, name: NameOpt = None, barcode: BarcodeOpt = None, price: PriceOpt = None,
    price_includes_tax: IncludedOpt = None, cost: CostOpt = None, category: CategoryOpt = None,
    unit: UnitOpt = None, by_weight: WeightOpt = None, taxes_: TaxesOpt = None, available: AvailableOpt = None,
    track_stock: TrackOpt = None, reorder_point: ReorderOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Change a product: only the options given change (--ref gives it a new reference)."""
    open_db(ctx)
    require_store()
    changes = _fields(ref=ref, name=name, barcode=barcode, price=price, price_includes_tax=price_includes_tax,
                      cost=cost, category=category, unit=unit, by_weight=by_weight, taxes=taxes_,
                      available=available, track_stock=track_stock, reorder_point=reorder_point)
    if not changes:
        fail(_("nothing to change: give at least one option, e.g. --price 3,50 (see --help)"), 2)
    info = run(catalog.update_product, ref_arg, changes)
    _done(info, _("Product {ref} saved: {name}"), fmt)


@products_app.command("archive")
def products_archive(ctx: typer.Context, ref: RefArg, fmt: FormatOpt = Format.table) -> None:
    """Archive a product: gone from the till and the lists, its sales and stock kept."""
    open_db(ctx)
    require_store()
    info = run(catalog.archive_product, ref)
    _done(info, _("Product {ref} archived: {name}"), fmt)


@products_app.command("restore")
def products_restore(ctx: typer.Context, ref: RefArg, fmt: FormatOpt = Format.table) -> None:
    """Bring an archived product back."""
    open_db(ctx)
    require_store()
    info = run(catalog.archive_product, ref, archived=False)
    _done(info, _("Product {ref} restored: {name}"), fmt)


#: The columns of `pos products list --format csv`: the fields as a person types them.
CSV_COLUMNS = (*catalog.FIELDS, "archived")


def _print_products(rows: list[ProductInfo], store: StoreInfo, fmt: ListFormat) -> None:
    if fmt is ListFormat.json:
        echo_json([product_document(info, store.currency, store.exponent) for info in rows])
        return
    if fmt is ListFormat.csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for info in rows:
            values = {**catalog.form_values(info, store.exponent), "archived": "yes" if info.archived else "no"}
            writer.writerow([exports.neutralise(str(values[key])) for key in CSV_COLUMNS])
        typer.echo(out.getvalue(), nl=False)
        return
    if not rows:
        console.print(_("No products."))
        return
    table = Table()
    table.add_column(_("Reference"), no_wrap=True)
    table.add_column(_("Name"), ratio=1)
    table.add_column(_("Price"), justify="right", no_wrap=True)
    table.add_column(_("Taxes"))
    table.add_column(_("Category"), ratio=1)
    for info in rows:
        price = store.money(info.price_minor) + (f"/{_(info.uom)}" if info.uom != quantity.UNITS else "")
        table.add_row(Text(info.sku), Text(info.name), price, Text(_taxes_text(info)), Text(info.category),
                      style="dim" if info.archived else None)
    console.print(table)


@products_app.command("list")
def products_list(
    ctx: typer.Context,
    category: Annotated[str, typer.Option("--category", metavar="PATH",
                                          help="Only this category and its subcategories.")] = "",
    archived: Annotated[bool, typer.Option("--archived", help="The archived products instead.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, max=1_000_000, show_default=False,
                                              help="At most this many.")] = None,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many first.")] = 0,
    fmt: Annotated[ListFormat, typer.Option("--format", help="table for people, json or csv for scripts.")]
    = ListFormat.table,
) -> None:
    """The products, by reference."""
    open_db(ctx)
    store = require_store()
    rows = run(catalog.list_products, archived=archived, category=category, limit=limit, offset=offset)
    _print_products(rows, store, fmt)


@products_app.command("search")
def products_search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(metavar="QUERY", help="Words of the name, reference or barcode.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many.")] = 50,
    fmt: FormatOpt = Format.table,
) -> None:
    """Active products whose name, reference or barcode contains every word typed."""
    open_db(ctx)
    store = require_store()
    rows = run(catalog.search_products, query, limit)
    _print_products(rows, store, ListFormat(fmt.value))


@taxes_app.command("list")
def taxes_list(
    ctx: typer.Context,
    archived: Annotated[bool, typer.Option("--archived", help="Also the archived taxes.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """The store's taxes: name, rate, whether prices include it, and how many products carry it."""
    open_db(ctx)
    rows = run(taxes.list_taxes, archived)
    if fmt == Format.json:
        echo_json([{"id": t.id, "name": t.name, "rate_bp": t.rate_bp, "included": t.included, "kind": t.kind,
                    "archived": not t.active, "products": t.products} for t in rows])
        return
    table = Table(_("Name"), _("Rate"), _("Included"), _("Kind"), _("Products"))
    for t in rows:
        table.add_row(Text(t.name), format_rate(t.rate_bp), _("yes") if t.included else _("no"), _(t.kind),
                      str(t.products), style="dim" if not t.active else None)
    console.print(table)


TaxArg = Annotated[str, typer.Argument(metavar="NAME", show_default=False, help="The tax's name, e.g. \"IVA 21%\".")]
RateOpt = Annotated[str | None, typer.Option("--rate", metavar="PERCENT", show_default=False,
                                             help="The rate in percent, e.g. 21 or 5,2.")]
TaxIncludedOpt = Annotated[str | None, typer.Option("--included", metavar="yes|no", show_default=False,
                                                    help="Whether prices include it (yes by default).")]
KindOpt = Annotated[str | None, typer.Option("--kind", metavar="vat|surcharge|other", show_default=False,
                                             help="vat, surcharge (shown beside its VAT) or other.")]


def _tax_document(t: taxes.TaxInfo) -> dict:
    return {"id": t.id, "name": t.name, "rate_bp": t.rate_bp, "included": t.included, "kind": t.kind,
            "archived": not t.active, "products": t.products}


def _tax_done(info: taxes.TaxInfo, message: str, fmt: Format) -> None:
    if fmt == Format.json:
        echo_json(_tax_document(info))
        return
    console.print(Text(message.format(name=info.name, rate=format_rate(info.rate_bp),
                                      included=_yes_no(info.included), kind=_(info.kind))))


@taxes_app.command("add")
def taxes_add(ctx: typer.Context, name: TaxArg, rate: RateOpt = None, included: TaxIncludedOpt = None,
              kind: KindOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Add a tax: its name and --rate."""
    open_db(ctx)
    require_store()
    if rate is None:
        fail(_("--rate is required, e.g. --rate 21"), 2)
    info = run(taxes.add_tax, name, rate, True if included is None else included, kind)
    _tax_done(info, _("Tax {name} added: {rate}, included in prices: {included}, kind: {kind}."), fmt)


@taxes_app.command("edit")
def taxes_edit(ctx: typer.Context, tax: TaxArg,
               name: Annotated[str | None, typer.Option("--name", show_default=False, help="A new name.")] = None,
               rate: RateOpt = None, included: TaxIncludedOpt = None, kind: KindOpt = None,
               fmt: FormatOpt = Format.table) -> None:
    """Change a tax: only the options given change. A new rate applies to the products that carry
    it from now on (what was sold keeps its rate)."""
    open_db(ctx)
    require_store()
    changes = {key: value for key, value in (("name", name), ("rate", rate), ("included", included),
                                             ("kind", kind)) if value is not None}
    if not changes:
        fail(_("nothing to change: give at least one option, e.g. --rate 21 (see --help)"), 2)
    info = run(taxes.edit_tax, tax, changes)
    _tax_done(info, _("Tax {name} saved: {rate}, included in prices: {included}, kind: {kind}."), fmt)


@taxes_app.command("archive")
def taxes_archive(
    ctx: typer.Context, tax: TaxArg,
    restore: Annotated[bool, typer.Option("--restore", help="Bring an archived tax back instead.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Archive a tax: no product may be given it (refused while an active product carries it)."""
    open_db(ctx)
    require_store()
    info = run(taxes.archive_tax, tax, archived=not restore)
    _tax_done(info, _("Tax {name} restored.") if restore else _("Tax {name} archived."), fmt)


@taxes_app.command("restore")
def taxes_restore(ctx: typer.Context, tax: TaxArg, fmt: FormatOpt = Format.table) -> None:
    """Bring an archived tax back."""
    open_db(ctx)
    require_store()
    info = run(taxes.archive_tax, tax, archived=False)
    _tax_done(info, _("Tax {name} restored."), fmt)
