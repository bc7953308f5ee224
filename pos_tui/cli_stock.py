"""`pos stock …`: the stock ledger. Goods received, corrections, counts, what is on hand and each
product's moves. Quantities follow the product's unit (kg to 3 decimals, Units whole). `--format
json` prints plain values: quantities as exact decimals (a number when whole, else a string),
amounts in integer minor units beside `currency`."""

from __future__ import annotations

import csv
import io
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table
from rich.text import Text

from pos_tui import cli_common, db, l10n, quantity
from pos_tui.cli_common import console, echo_json, open_db, require_store, run
from pos_tui.i18n import _
from pos_tui.money import format_plain
from pos_tui.services import stock
from pos_tui.services.exports import neutralise
from pos_tui.services.stock import MoveView

stock_app = typer.Typer(help="Stock: receive goods, adjust, count, and see what is on hand.", no_args_is_help=True)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOpt = Annotated[Format, typer.Option("--format", help="table for people, json for scripts, csv for a "
                                                             "spreadsheet.")]
JsonFormatOpt = Annotated[cli_common.Format, typer.Option("--format", help="table for people, json for scripts.")]
RefArg = Annotated[str, typer.Argument(metavar="REF", show_default=False,
                                       help="The product's reference, its barcode, or #ID.")]
CashierOpt = Annotated[str | None, typer.Option("--cashier", metavar="NAME", show_default=False,
                                                help="Who does it (recorded with the move).")]


def _quantity(value, uom: str, locale: str) -> str:
    return quantity.format_quantity(value, uom, locale)


def _move_doc(move: MoveView) -> dict:
    return {"id": move.id, "at": move.at, "kind": move.kind, "quantity": quantity.json_value(move.quantity),
            "on_hand": quantity.json_value(move.balance), "unit_cost_minor": move.unit_cost_minor,
            "order": move.order_number, "cashier": move.cashier, "till": move.till or None,
            "reason": move.reason or None}


def _done(move: MoveView, ref: str, fmt: cli_common.Format) -> None:
    shop = require_store()
    info = run(stock.catalog.find_product, ref)
    if fmt is cli_common.Format.json:
        echo_json({"reference": info.sku, "unit": info.uom, "currency": shop.currency,
                   "currency_exponent": shop.exponent, **_move_doc(move)})
        return
    locale = l10n.locale_for(shop.country)
    console.print(Text(_("{kind}: {quantity} of {ref} ({name}); {on_hand} on hand.").format(
        kind=stock.kind_label(move.kind).capitalize(), quantity=_quantity(move.quantity, info.uom, locale),
        ref=info.sku, name=info.name, on_hand=_quantity(move.balance, info.uom, locale))))


@stock_app.command("receive")
def receive_cmd(
    ctx: typer.Context,
    ref: RefArg,
    qty: Annotated[str, typer.Argument(metavar="QTY", show_default=False,
                                       help="How much came in, in the product's unit (12, or 2,500 for kg).")],
    cost: Annotated[str | None, typer.Option("--cost", metavar="C", show_default=False,
                                             help="What one unit cost, e.g. 1,25.")] = None,
    reason: Annotated[str, typer.Option("--reason", help="A note: the supplier, the delivery note…")] = "",
    cashier: CashierOpt = None,
    fmt: JsonFormatOpt = cli_common.Format.table,
) -> None:
    """Goods received: the quantity goes in."""
    chosen = open_db(ctx)
    require_store()
    move = run(stock.receive, ref, qty, cost=cost, reason=reason, cashier=cashier, till=chosen.till)
    _done(move, ref, fmt)


@stock_app.command("adjust", context_settings={"ignore_unknown_options": True})  # QTY may be -2
def adjust_cmd(
    ctx: typer.Context,
    ref: RefArg,
    qty: Annotated[str, typer.Argument(metavar="QTY", show_default=False,
                                       help="The change, signed: -2 (broken, lost) or +3 (found).")],
    reason: Annotated[str, typer.Option("--reason", show_default=False, help="Why (required).")] = "",
    cashier: CashierOpt = None,
    fmt: JsonFormatOpt = cli_common.Format.table,
) -> None:
    """Correct what is on hand, with a reason."""
    chosen = open_db(ctx)
    require_store()
    move = run(stock.adjust, ref, qty, reason=reason, cashier=cashier, till=chosen.till)
    _done(move, ref, fmt)


@stock_app.command("count")
def count_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", show_default=False,
                                         help="A CSV file with the columns reference and counted.")],
    apply: Annotated[bool, typer.Option("--apply", help="Write the differences (without it: a dry run).")] = False,
    reason: Annotated[str, typer.Option("--reason", help="A note for the moves, e.g. the year-end count.")] = "",
    cashier: CashierOpt = None,
    fmt: JsonFormatOpt = cli_common.Format.table,
) -> None:
    """A stock count: what was counted against what is on hand; the differences become count
    moves with --apply. A bad row (row, column, reason) means nothing is written."""
    chosen = open_db(ctx)
    shop = require_store()
    if apply:
        result = run(stock.apply_count, file, cashier=cashier, till=chosen.till, reason=reason)
    else:
        result = run(stock.preview_count, file)
    if fmt is cli_common.Format.json:
        echo_json({"applied": result.applied, "counted": len(result.lines),
                   "changes": [{"row": line.row, "reference": line.sku, "name": line.name, "unit": line.uom,
                                "on_hand": quantity.json_value(line.on_hand),
                                "counted": quantity.json_value(line.counted),
                                "difference": quantity.json_value(line.difference)} for line in result.changes]})
        return
    locale = l10n.locale_for(shop.country)
    if result.changes:
        table = Table(_("Row"), _("Reference"), _("Name"), _("On hand"), _("Counted"), _("Difference"))
        for line in result.changes:
            diff = _quantity(line.difference, line.uom, locale)
            table.add_row(str(line.row), Text(line.sku), Text(line.name), _quantity(line.on_hand, line.uom, locale),
                          _quantity(line.counted, line.uom, locale),
                          Text(("+" if line.difference > 0 else "") + diff,
                               style="red" if line.difference < 0 else "green"))
        console.print(table)
    n, changed = len(result.lines), len(result.changes)
    if result.applied:
        console.print(_("{n} products counted, {changed} differences written as count moves.").format(
            n=n, changed=changed), highlight=False)
    else:
        console.print(_("{n} products counted, {changed} differences. Dry run: nothing written; run again with "
                        "--apply to write them.").format(n=n, changed=changed), highlight=False)


def _flag(line: stock.StockLine) -> str:
    if line.below_zero:
        return _("below zero")
    if line.low:
        return _("reorder")
    return ""


@stock_app.command("report")
def report_cmd(
    ctx: typer.Context,
    low: Annotated[bool, typer.Option("--low", help="Only what is below zero, or at or below its reorder point "
                                                    "(when it has one).")] = False,
    category: Annotated[str | None, typer.Option("--category", metavar="C", show_default=False,
                                                 help="Only this category and those under it, e.g. Bakery.")]
    = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """What is on hand of each product tracked in stock, its reorder point and its value at cost;
    below zero and at or below the reorder point are flagged."""
    open_db(ctx)
    shop = require_store()
    result = run(stock.report, low, category)
    if fmt is Format.json:
        echo_json({"currency": shop.currency, "currency_exponent": shop.exponent,
                   "value_minor": result.value_minor, "below_zero": result.below_zero, "low": result.low,
                   "products": [{"id": line.product_id, "reference": line.sku, "name": line.name,
                                 "category": line.category, "unit": line.uom,
                                 "on_hand": quantity.json_value(line.on_hand),
                                 "reorder_point": quantity.json_value(line.reorder_point),
                                 "cost_minor": line.cost_minor, "value_minor": line.value_minor,
                                 "below_zero": line.below_zero, "low": line.low} for line in result.lines]})
        return
    if fmt is Format.csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["reference", "name", "category", "unit", "on_hand", "reorder_point", "cost", "value",
                         "currency", "flag"])
        for line in result.lines:
            writer.writerow([neutralise(line.sku), neutralise(line.name), neutralise(line.category), line.uom,
                             quantity.plain(line.on_hand), quantity.plain(line.reorder_point),
                             format_plain(line.cost_minor, shop.exponent, "en"),
                             format_plain(line.value_minor, shop.exponent, "en"), shop.currency,
                             "below_zero" if line.below_zero else "low" if line.low else ""])
        typer.echo(out.getvalue(), nl=False)
        return
    if not result.lines:
        console.print(_("No product tracked in stock matches."))
        return
    locale = l10n.locale_for(shop.country)
    table = Table(_("Reference"), _("Name"), _("Category"), Column(_("On hand"), justify="right"),
                  Column(_("Reorder point"), justify="right"), Column(_("Value at cost"), justify="right"), _("Flag"))
    for line in result.lines:
        table.add_row(Text(line.sku), Text(line.name), Text(line.category),
                      Text(_quantity(line.on_hand, line.uom, locale), justify="right"),
                      Text(_quantity(line.reorder_point, line.uom, locale), justify="right"),
                      Text(shop.money(line.value_minor), justify="right"),
                      Text(_flag(line), style="bold red" if line.below_zero else "yellow"))
    console.print(table)
    console.print(_("{n} products, worth {value} at cost; {below} below zero, {low} at or below the reorder "
                    "point.").format(n=len(result.lines), value=shop.money(result.value_minor),
                                     below=result.below_zero, low=result.low), highlight=False)


@stock_app.command("moves")
def moves_cmd(
    ctx: typer.Context,
    ref: RefArg,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Only the newest N moves (0: all).")] = 0,
    fmt: FormatOpt = Format.table,
) -> None:
    """A product's moves, oldest first, with what was on hand after each."""
    open_db(ctx)
    shop = require_store()
    found = run(stock.moves, ref, limit or None)
    info = run(stock.catalog.find_product, ref)
    if fmt is Format.json:
        echo_json({"reference": info.sku, "name": info.name, "unit": info.uom, "track_stock": info.track_stock,
                   "currency": shop.currency, "currency_exponent": shop.exponent,
                   "moves": [_move_doc(move) for move in found]})
        return
    if fmt is Format.csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["at", "kind", "quantity", "on_hand", "unit_cost", "order", "cashier", "till", "reason"])
        for move in found:
            writer.writerow([cli_common.iso(move.at), move.kind, quantity.plain(move.quantity),
                             quantity.plain(move.balance),
                             "" if move.unit_cost_minor is None else format_plain(move.unit_cost_minor,
                                                                                  shop.exponent, "en"),
                             move.order_number or "", neutralise(move.cashier or ""), neutralise(move.till),
                             neutralise(move.reason)])
        typer.echo(out.getvalue(), nl=False)
        return
    if not info.track_stock:
        console.print(Text(_("{ref} ({name}) is not tracked in stock.").format(ref=info.sku, name=info.name)))
        return
    if not found:
        console.print(Text(_("{ref} ({name}) has no moves yet.").format(ref=info.sku, name=info.name)))
        return
    locale = l10n.locale_for(shop.country)
    table = Table(_("When"), _("Kind"), Column(_("Quantity"), justify="right"), Column(_("On hand"), justify="right"),
                  _("Sale"), _("Cashier"), _("Reason"), title=Text(f"{info.sku} — {info.name}"))
    for move in found:
        table.add_row(l10n.format_datetime(db.local_time(move.at)),
                      stock.kind_label(move.kind), Text(_quantity(move.quantity, info.uom, locale), justify="right"),
                      Text(_quantity(move.balance, info.uom, locale), justify="right"),
                      Text(move.order_number or ""), Text(move.cashier or ""), Text(move.reason))
    console.print(table)
