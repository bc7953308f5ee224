"""The `pos` command: with no subcommand it opens the till; subcommands are for admins.

Thin on purpose: each command parses its arguments, calls a service and prints the result with
Rich. Textual is imported only when the till itself starts.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from pos_tui import cli_common, db, i18n, l10n
from pos_tui.cli_common import Settings, console, fail
from pos_tui.cli_copy import copy_cmd
from pos_tui.cli_customers import customers_app
from pos_tui.cli_data import backup_cmd, check_cmd, export_app, import_app, restore_cmd
from pos_tui.cli_help import PosGroup
from pos_tui.cli_invoices import invoice_app, store_app
from pos_tui.cli_loyalty import loyalty_app
from pos_tui.cli_printer import printer_app
from pos_tui.cli_product_io import export_cmd as products_export_cmd
from pos_tui.cli_product_io import import_cmd as products_import_cmd
from pos_tui.cli_products import products_app, taxes_app
from pos_tui.cli_stock import stock_app
from pos_tui.cli_tills import cashier_app, session_app
from pos_tui.errors import PosError
from pos_tui.i18n import _
from pos_tui.services import demo, sessions

app = typer.Typer(
    cls=PosGroup,
    help="pos-tui: a point of sale for the terminal. Without a command, opens the till.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="The database: create it, see where it is, back it up, restore it, check it.",
                     no_args_is_help=True)
app.add_typer(session_app, name="session")
app.add_typer(cashier_app, name="cashier")
app.add_typer(db_app, name="db")
app.add_typer(customers_app, name="customers")
app.add_typer(invoice_app, name="invoice")
app.add_typer(store_app, name="store")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")
app.add_typer(printer_app, name="printer")
app.add_typer(loyalty_app, name="loyalty")
app.add_typer(products_app, name="products")
app.add_typer(taxes_app, name="taxes")
app.add_typer(stock_app, name="stock")
products_app.command("import")(products_import_cmd)
products_app.command("export")(products_export_cmd)

# Shared with the other command modules (pos_tui.cli_customers looks them up here).
_settings, _open, _run, _store = cli_common.settings, cli_common.open_db, cli_common.run, cli_common.require_store


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db_target: Annotated[str | None, typer.Option(
        "--db", help="Database file or URL. Default: $POS_DATABASE_URL, else "
                     "$XDG_DATA_HOME/pos-tui/pos.sqlite3.", show_default=False)] = None,
    till: Annotated[str, typer.Option(
        "--till", envvar="POS_TILL", help="This till's name (one process is one till).")] = "T1",
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Language of the till and the messages: en (English) or es (Spanish). "
                       "Default: $POS_LANG, else the system's locale (LC_ALL, LC_MESSAGES, LANG), "
                       "else English.", show_default=False)] = None,
) -> None:
    if lang is not None and i18n.normalize(lang) is None:
        fail(_("“{lang}” is not a language of pos-tui: use {languages}.").format(
            lang=lang, languages=", ".join(i18n.LANGUAGES)), 2)
    i18n.set_language(i18n.choose_language(lang))
    ctx.obj = Settings(db_target, till)
    try:
        sessions.check_till(till)
    except PosError as exc:
        fail(exc.message, 2)
    if ctx.invoked_subcommand is None:
        run_till(ctx)


def run_till(ctx: typer.Context) -> None:
    settings = _open(ctx)
    from pos_tui.app import PosApp  # Textual only when the till itself starts

    PosApp(till=settings.till).run()


@db_app.command("init")
def db_init(ctx: typer.Context) -> None:
    """Create the database and its tables (or upgrade them); safe to run again."""
    settings = _open(ctx)
    console.print(_("Database ready: {target} (schema version {version}).").format(
        target=db.resolve_target(settings.db), version=db.schema_version()))


@db_app.command("path")
def db_path(ctx: typer.Context) -> None:
    """Print where the database is."""
    console.print(db.resolve_target(_settings(ctx).db), highlight=False)


db_app.command("backup")(backup_cmd)
db_app.command("restore")(restore_cmd)
db_app.command("check")(check_cmd)
db_app.command("copy")(copy_cmd)


@app.command("demo", help=(
    "Load the demo store (catalog, sample customers, cashiers) into an empty database.\n\n"
    "With --customers/--orders, also generate that many realistic customers and paid sales "
    "(on a database that already has its store, only generate them)."))
def demo_cmd(
    ctx: typer.Context,
    customers: Annotated[int, typer.Option(
        "--customers", min=0, help="Also generate this many realistic customers.")] = 0,
    orders: Annotated[int, typer.Option(
        "--orders", min=0, help="Also generate this many paid sales over the last two years.")] = 0,
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed of the generator: the same seed gives the same data.")] = 42,
) -> None:
    """The demo store; with --customers/--orders, generated customers and sales as well."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pos_tui.services import generator, store

    settings = _open(ctx)
    target = db.resolve_target(settings.db)
    generating = bool(customers or orders)
    started = time.perf_counter()
    if not generating or store.get_store() is None:
        summary = _run(demo.load_demo)
        console.print(_("Demo store “{name}” loaded into {target}: {products} products, "
                        "{customers} customers.").format(
            name=summary.store_name, target=target, products=summary.products, customers=summary.customers))
        table = Table(_("Cashier"), _("PIN"), _("Role"))
        for name, pin, role in summary.cashiers:
            table.add_row(name, pin, _(role))
        console.print(table)
    else:
        console.print(_("{target} already has its store: only generating customers and sales.")
                      .format(target=target), highlight=False)
    if not generating:
        return
    columns = (TextColumn(_("Generating")), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("generate", total=customers + orders)
        result = _run(generator.generate, customers, orders, seed,
                      lambda done, total: bar.update(task, completed=done, total=total))
    console.print(_("Generated {customers} customers and {orders} paid sales ({lines} lines, {payments} "
                    "payments, {sessions} till sessions) with seed {seed} in {seconds:.1f} s.").format(
        customers=l10n.format_number(result.customers), orders=l10n.format_number(result.orders),
        lines=l10n.format_number(result.lines), payments=l10n.format_number(result.payments),
        sessions=l10n.format_number(result.sessions), seed=seed,
        seconds=time.perf_counter() - started), highlight=False)


def main() -> None:
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")  # instant screens over slow SSH links
    app()
