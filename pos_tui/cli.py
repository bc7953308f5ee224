"""The `pos` command: with no subcommand it opens the till; subcommands are for admins.

Thin on purpose: each command parses its arguments, calls a service and prints the result with
Rich. Textual is imported only when the till itself starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pos_tui import db
from pos_tui.cli_customers import customers_app
from pos_tui.errors import PosError
from pos_tui.i18n import _
from pos_tui.money import parse_minor
from pos_tui.services import cashiers, demo, sessions, store
from pos_tui.services.payments import method_label
from pos_tui.services.sessions import SessionInfo

app = typer.Typer(
    help="pos-tui: a point of sale for the terminal. Without a command, opens the till.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode="rich",
)
session_app = typer.Typer(help="Open, close and inspect till sessions.", no_args_is_help=True)
db_app = typer.Typer(help="The database: create it, see where it is.", no_args_is_help=True)
app.add_typer(session_app, name="session")
app.add_typer(db_app, name="db")
app.add_typer(customers_app, name="customers")

console = Console()
err = Console(stderr=True)


@dataclass
class Settings:
    db: str | None
    till: str


def _settings(ctx: typer.Context) -> Settings:
    return ctx.find_root().obj


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]{_('Error')}:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _open(ctx: typer.Context) -> Settings:
    settings = _settings(ctx)
    try:
        db.open_database(settings.db)
    except db.SchemaError as exc:
        fail(str(exc))
    except Exception as exc:  # an unreachable server, a path we cannot create, …
        fail(_("cannot open the database {target}: {error}").format(
            target=db.resolve_target(settings.db), error=exc))
    return settings


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db_target: Annotated[str | None, typer.Option(
        "--db", help="Database file or URL. Default: $POS_DATABASE_URL, else "
                     "$XDG_DATA_HOME/pos-tui/pos.sqlite3.", show_default=False)] = None,
    till: Annotated[str, typer.Option(
        "--till", envvar="POS_TILL", help="This till's name (one process is one till).")] = "T1",
) -> None:
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


def _run(action, *args, **kwargs):
    """Call a service; a refusal becomes a clear message and a non-zero exit status."""
    try:
        return action(*args, **kwargs)
    except PosError as exc:
        fail(exc.message)


def _store():
    return _run(store.require_store)


def _print_session(info: SessionInfo, money) -> None:
    table = Table(show_header=False, box=None)
    table.add_row(_("Session"), str(info.id))
    table.add_row(_("Till"), info.till)
    table.add_row(_("Cashier"), info.cashier_name)
    table.add_row(_("Opened"), db.local_time(info.opened_at).strftime("%Y-%m-%d %H:%M"))
    if info.closed_at:
        table.add_row(_("Closed"), db.local_time(info.closed_at).strftime("%Y-%m-%d %H:%M"))
    table.add_row(_("Opening float"), money(info.opening_float_minor))
    table.add_row(_("Sales"), f"{info.sales_count} · {money(info.sales_total_minor)}")
    for method, amount in sorted(info.totals_by_method.items()):
        table.add_row(f"  {method_label(method)}", money(amount))
    table.add_row(_("Expected cash"), money(info.expected_cash_minor))
    if info.counted_cash_minor is not None:
        table.add_row(_("Counted cash"), money(info.counted_cash_minor))
        diff = info.difference_minor
        style = "green" if diff == 0 else "red"
        table.add_row(_("Difference"), f"[{style}]{money(diff)}[/]")
    console.print(table)


@session_app.command("open")
def session_open(
    ctx: typer.Context,
    cashier: Annotated[str, typer.Option("--cashier", help="The cashier opening the session.")],
    float_: Annotated[str, typer.Option("--float", help="Opening float: cash in the drawer.")] = "0",
) -> None:
    """Open a session on the till with an opening float."""
    settings = _open(ctx)
    shop = _store()
    who = cashiers.find_cashier(cashier)
    if who is None or not who.active:
        fail(_("no active cashier called “{name}”").format(name=cashier))
    minor = _run(parse_minor, float_, "--float", shop.exponent)
    info = _run(sessions.open_session, settings.till, who.id, minor)
    console.print(_("Session {id} open on till {till}.").format(id=info.id, till=info.till))
    _print_session(info, shop.money)


@session_app.command("close")
def session_close(
    ctx: typer.Context,
    counted: Annotated[str, typer.Option("--counted", help="Cash counted in the drawer.")],
) -> None:
    """Close the till's session with the cash counted; shows expected, counted and difference."""
    settings = _open(ctx)
    shop = _store()
    minor = _run(parse_minor, counted, "--counted", shop.exponent)
    info = _run(sessions.close_session, settings.till, minor)
    console.print(_("Session {id} closed.").format(id=info.id))
    _print_session(info, shop.money)


@session_app.command("status")
def session_status(ctx: typer.Context) -> None:
    """Show the till's open session, if any."""
    settings = _open(ctx)
    shop = _store()
    info = sessions.current_session(settings.till)
    if info is None:
        console.print(_("Till {till} has no open session.").format(till=settings.till))
        return
    _print_session(info, shop.money)


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


@app.command("demo")
def demo_cmd(ctx: typer.Context) -> None:
    """Load the demo store (catalog, sample customers, cashiers) into an empty database."""
    settings = _open(ctx)
    summary = _run(demo.load_demo)
    console.print(_("Demo store “{name}” loaded into {target}: {products} products, "
                    "{customers} customers.").format(
        name=summary.store_name, target=db.resolve_target(settings.db),
        products=summary.products, customers=summary.customers))
    table = Table(_("Cashier"), _("PIN"), _("Role"))
    for name, pin, role in summary.cashiers:
        table.add_row(name, pin, _(role))
    console.print(table)


def main() -> None:
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")  # instant screens over slow SSH links
    app()
