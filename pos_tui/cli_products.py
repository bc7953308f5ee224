"""`pos products …` and `pos taxes …`: the store's own catalog and its taxes, with the same rules
as the till (the catalog and taxes services). `--format json` prints plain values: amounts in
integer minor units beside `currency`, quantities as exact decimals."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from pos_tui import quantity
from pos_tui.cli_common import Format, console, echo_json, open_db, require_store, run
from pos_tui.i18n import _
from pos_tui.money import format_rate
from pos_tui.services import catalog, taxes
from pos_tui.services.catalog import ProductInfo

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


@products_app.command("show")
def products_show(ctx: typer.Context, ref: RefArg, fmt: FormatOpt = Format.table) -> None:
    """One product, archived or not: every field."""
    open_db(ctx)
    store = require_store()
    info = run(catalog.find_product, ref)
    if fmt == Format.json:
        echo_json(product_document(info, store.currency, store.exponent))
        return
    table = Table(show_header=False, box=None)
    yes, no = _("yes"), _("no")
    for label, value in (
            (_("Reference"), info.sku), (_("Name"), info.name), (_("Barcode"), info.barcode or ""),
            (_("Price"), store.money(info.price_minor)),
            (_("Price includes tax"), yes if info.price_includes_tax else no),
            (_("Taxes"), f" {taxes.SEPARATOR} ".join(info.taxes) + f" ({format_rate(info.tax_rate_bp)})"),
            (_("Cost"), store.money(info.cost_minor)), (_("Category"), info.category),
            (_("Unit"), _(info.uom)), (_("Sold by weight"), yes if info.by_weight else no),
            (_("Available at the till"), yes if info.available_in_pos else no),
            (_("Tracked in stock"), yes if info.track_stock else no),
            (_("Reorder point"), quantity.plain(info.reorder_point)),
            (_("Archived"), yes if info.archived else no)):
        table.add_row(Text(label, style="bold"), Text(str(value)))
    console.print(table)


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
