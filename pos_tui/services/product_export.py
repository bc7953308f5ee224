"""Products out (`pos products export`): CSV, JSON or JSON lines, written by the exports' own
writer (`exports.write_table`: streamed, values written as every export writes them, CSV safe
against formula injection), in two profiles:

- `native`: every field, as `pos products import` reads it back — a round trip loses nothing;
- `odoo`: the columns of Odoo's product export (`Internal Reference`, `Name`, `Barcode`, `Sales
  Price`, …, booleans as `True`/`False`), which Odoo's import and our `--profile odoo` read.

Archived products are left out unless asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TextIO

from pos_tui import quantity
from pos_tui.db import database
from pos_tui.errors import ValidationError
from pos_tui.i18n import _
from pos_tui.services import exports, taxes
from pos_tui.services.exports import BOOL, CONST, MONEY, TEXT, Column, Table
from pos_tui.services.store import require_store

FORMATS = exports.FORMATS
PROFILES = exports.PROFILES


def _tax_names() -> Callable[[object], str]:
    """A product id → its taxes as typed ("IVA 21% + RE 5,2%", "none"), read in one query."""
    names: dict[int, list[str]] = {}
    rows = database.execute_sql('SELECT pt."product_id", t."name" FROM "product_tax" pt JOIN "tax" t '
                                'ON t."id" = pt."tax_id" ORDER BY pt."product_id", pt."sequence", t."id"')
    for product_id, name in rows:
        names.setdefault(product_id, []).append(name)
    joined = {pid: f" {taxes.SEPARATOR} ".join(found) for pid, found in names.items()}
    none = taxes.NONE_WORDS[0]
    return lambda product_id: joined.get(product_id, none)


def _quantity(value: object) -> str:
    return quantity.plain(Decimal(str(value or 0)))


def _odoo_bool(value: object) -> str:
    return "True" if value else "False"


def table(profile: str = "native", archived: bool = False) -> Table:
    """The columns of a products export."""
    if profile not in PROFILES:
        raise ValidationError("--profile", _("must be one of: {profiles}").format(profiles=", ".join(PROFILES)))
    store = require_store()
    tax_names = _tax_names()
    where = "" if archived else "t.active = " + ("1" if database.param == "?" else "TRUE")
    if profile == "odoo":
        columns = (
            Column("Internal Reference", "t.sku", TEXT), Column("Name", "t.name", TEXT),
            Column("Barcode", "t.barcode", TEXT), Column("Sales Price", "t.price_minor", MONEY),
            Column("Cost", "t.cost_minor", MONEY), Column("Product Category", "t.category", TEXT),
            Column("Unit of Measure", "t.uom", TEXT),
            Column("To Weigh With Scale", "t.by_weight", TEXT, _odoo_bool),
            Column("Available in POS", "t.available_in_pos", TEXT, _odoo_bool),
            Column("Customer Taxes", "t.id", TEXT, tax_names),
            Column("Active", "t.active", TEXT, _odoo_bool),
        )
    else:
        columns = (
            Column("reference", "t.sku", TEXT), Column("name", "t.name", TEXT), Column("barcode", "t.barcode", TEXT),
            Column("price", "t.price_minor", MONEY), Column("price_includes_tax", "t.price_includes_tax", BOOL),
            Column("cost", "t.cost_minor", MONEY), Column("currency", "", CONST, value=store.currency),
            Column("category", "t.category", TEXT), Column("unit", "t.uom", TEXT),
            Column("by_weight", "t.by_weight", BOOL), Column("taxes", "t.id", TEXT, tax_names),
            Column("available_in_pos", "t.available_in_pos", BOOL), Column("track_stock", "t.track_stock", BOOL),
            Column("reorder_point", "t.reorder_point", TEXT, _quantity),
            Column("archived", "t.active", BOOL, lambda active: not active),
        )
    return Table("product", columns, "t.created_at", where=where)


def count_products(archived: bool = False) -> int:
    """How many products an export writes (for a progress bar)."""
    sql = 'SELECT COUNT(*) FROM "product"' + ("" if archived else
                                             " WHERE active = " + ("1" if database.param == "?" else "TRUE"))
    return database.execute_sql(sql).fetchone()[0]


def export_products(out: TextIO, *, fmt: str = "csv", profile: str = "native", archived: bool = False,
                    progress: Callable[[int], None] | None = None) -> exports.ExportResult:
    """Write the store's products to `out` (a text stream, opened with newline="")."""
    if fmt not in FORMATS:
        raise ValidationError("--format", _("must be one of: {formats}").format(formats=", ".join(FORMATS)))
    with exports.no_gc():
        return exports.write_table(table(profile, archived), "products", out,
                                   exports.Options(fmt=fmt, profile=profile), progress)
