"""Schema upgrades: one function per version, run by `db.ensure_schema` inside the schema's own
write transaction, so a database is either upgraded whole or left as it was."""

from __future__ import annotations

from collections.abc import Callable

from playhouse.migrate import SchemaMigrator

from pos_tui import models
from pos_tui.db import database, is_postgres, now


def _add_column(model, name: str, default_sql: str) -> None:
    """Add `model.name` (as declared) to an existing table, NOT NULL with `default_sql` for the
    rows already there: one ALTER TABLE on either engine, no table rebuild."""
    field = model._meta.fields[name]
    migrator = SchemaMigrator.from_database(database)
    ctx = migrator.make_context()
    datatype = ctx.sql(field.ddl_datatype(ctx)).query()[0]
    null = "" if field.null else " NOT NULL"
    database.execute_sql(f'ALTER TABLE "{model._meta.table_name}" ADD COLUMN "{field.column_name}" '
                         f"{datatype}{null} DEFAULT {default_sql}")


def _to_v2() -> None:
    """The store's own catalog: taxes, product fields (cost, unit, weight, stock), decimal
    quantities on sale lines, and the stock ledger. Every product gets the tax of its rate."""
    _add_column(models.Store, "allow_negative_stock", "TRUE" if is_postgres() else "1")
    false, true = ("FALSE", "TRUE") if is_postgres() else ("0", "1")
    for name, default in (("cost_minor", "0"), ("uom", "'Units'"), ("by_weight", false),
                          ("available_in_pos", true), ("track_stock", true), ("reorder_point", "0"),
                          ("created_at", "'2000-01-01 00:00:00'"), ("updated_at", "'2000-01-01 00:00:00'")):
        _add_column(models.Product, name, default)
    _add_column(models.OrderLine, "uom", "'Units'")
    _add_column(models.OrderLine, "taxes", "''")
    if is_postgres():
        database.execute_sql('ALTER TABLE "product" ALTER COLUMN "category" TYPE VARCHAR(250)')
        database.execute_sql('ALTER TABLE "order_line" ALTER COLUMN "quantity" TYPE NUMERIC(14, 3)')
    # (SQLite keeps whatever a column is given: an INTEGER column stores 0.75 as it is.)
    database.create_tables([models.Tax, models.ProductTax, models.StockMove])
    stamp = now()
    models.Product.update(created_at=stamp, updated_at=stamp).execute()
    from pos_tui.services import taxes

    taxes.link_existing_products()
    from pos_tui.services import stock

    stock.backfill_ledger()  # the goods already sold left the shelf: the ledger starts with them
    from pos_tui.services import product_search

    product_search.ensure_index()  # the name search's index, built from the products there


#: version -> the function that upgrades a database from version - 1 to it.
MIGRATIONS: dict[int, Callable[[], None]] = {2: _to_v2}
