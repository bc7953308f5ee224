"""`pos db copy`: a whole store from one database into another (SQLite into PostgreSQL, and back)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from pos_tui import cli_common, db
from pos_tui.cli_common import console, err, fail, run
from pos_tui.i18n import _
from pos_tui.l10n import format_number as count
from pos_tui.services import copy


def copy_cmd(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option(
        "--to", metavar="URL", help="The database to copy into (a path or a URL such as "
                                    "postgresql://user@host/db); it must hold no store yet.",
        show_default=False)] = None,
    source: Annotated[str | None, typer.Option(
        "--from", metavar="URL", help="The database to copy from. Default: the one --db (or "
                                      "$POS_DATABASE_URL) names; with --from alone, --db is the target.",
        show_default=False)] = None,
    fmt: Annotated[cli_common.Format, typer.Option("--format", help="table for people, json for scripts.")]
    = cli_common.Format.table,
) -> None:
    """Copy the whole store into another database: SQLite into PostgreSQL when the tills move to
    several hosts, or back. One transaction on the target, which must be empty; the row count of
    every table and the totals of every amount and of the points are checked before it commits."""
    chosen = db.resolve_target(cli_common.settings(ctx).db)
    if to is None and source is None:
        fail(_("say where to copy the store: --to URL (or --from URL to copy into --db)"), 2)
    src = source or chosen
    dst = to or chosen

    def step(table: str, rows: int) -> None:
        if rows >= 100_000 and rows % 100_000 < copy.BATCH:  # a big table: say how far it is
            err.print(f"  {table}: {count(rows)}", highlight=False)

    result = run(copy.copy_store, src, dst, step)
    db.close_database()
    if fmt is cli_common.Format.json:
        cli_common.echo_json({"source": result.source, "target": result.target, "seconds": round(result.seconds, 3),
                              "tables": [{"table": t.table, "rows": t.rows, "totals": t.totals}
                                         for t in result.tables]})
        return
    table = Table(_("Table"), _("Rows"), _("Totals (checked)"))
    for t in result.tables:
        table.add_row(t.table, count(t.rows), ", ".join(f"{k} {count(v)}" for k, v in t.totals.items()))
    console.print(table)
    console.print(_("Copied {rows} rows from {source} into {target} in {seconds:.1f} s; every count and "
                    "total matches.").format(rows=count(result.rows), source=result.source, target=result.target,
                                             seconds=result.seconds), highlight=False, soft_wrap=True)
