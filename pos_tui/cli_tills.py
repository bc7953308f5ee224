"""`pos session …` and `pos cashier …`: tills' sessions, cash in and out, the Z report, and the
people at the till. PINs are asked without echo when not given (they never need to sit in the
shell's history)."""

from __future__ import annotations

import dataclasses
import sys
from typing import Annotated

import typer
from rich.table import Table

from pos_tui import cli_common, db, l10n
from pos_tui.cli_common import Format, console, fail, open_db, require_store, run
from pos_tui.errors import PosError
from pos_tui.i18n import _
from pos_tui.money import parse_minor
from pos_tui.services import cashiers, sessions, zreport
from pos_tui.services.approvals import ApprovalNeeded
from pos_tui.services.payments import CARD, CASH, TRANSFER, method_label
from pos_tui.services.sessions import SessionInfo

session_app = typer.Typer(help="Open, close and inspect till sessions; cash in and out; Z reports.",
                          no_args_is_help=True)
cashier_app = typer.Typer(help="The cashiers and managers who log in at the tills.", no_args_is_help=True)

FormatOpt = Annotated[Format, typer.Option("--format", help="table for people, json for scripts.")]
ManagerPinOpt = Annotated[str | None, typer.Option(
    "--manager-pin", envvar="POS_MANAGER_PIN", show_default=False,
    help="A manager's PIN, when the action needs one (asked for when missing on a terminal).")]


def _when(value) -> str:
    return l10n.format_datetime(db.local_time(value)) if value else "—"


def _print_session(info: SessionInfo, money) -> None:
    table = Table(show_header=False, box=None)
    table.add_row(_("Session"), str(info.id))
    table.add_row(_("Till"), info.till)
    table.add_row(_("Cashier"), info.cashier_name)
    table.add_row(_("Opened"), _when(info.opened_at))
    if info.closed_at:
        table.add_row(_("Closed"), _when(info.closed_at))
    table.add_row(_("Opening float"), money(info.opening_float_minor))
    table.add_row(_("Sales"), f"{info.sales_count} · {money(info.sales_total_minor)}")
    for method, amount in sorted(info.totals_by_method.items()):
        table.add_row(f"  {method_label(method)}", money(amount))
    if info.cash_moves_minor:
        table.add_row(_("Cash in/out"), money(info.cash_moves_minor))
    table.add_row(_("Expected cash"), money(info.expected_cash_minor))
    if info.counted_cash_minor is not None:
        table.add_row(_("Counted cash"), money(info.counted_cash_minor))
        diff = info.difference_minor
        table.add_row(_("Difference"), f"[{'green' if diff == 0 else 'red'}]{money(diff)}[/]")
    for count in info.counts:
        if count.method != CASH:
            table.add_row(_("Counted {method}").format(method=method_label(count.method).lower()),
                          f"{money(count.counted_minor)} ({_('expected')} {money(count.expected_minor)})")
    console.print(table)


def _with_manager(call, manager_pin: str | None):
    """Run `call(manager_pin)`; when a manager must approve, ask for the PIN on a terminal."""
    try:
        return call(manager_pin)
    except ApprovalNeeded as exc:
        if manager_pin or not sys.stdin.isatty():
            fail(exc.message + " " + _("Give --manager-pin (or POS_MANAGER_PIN)."))
        console.print(exc.message)
        return run(call, typer.prompt(_("Manager's PIN"), hide_input=True))
    except PosError as exc:
        cli_common.refuse(exc)


def _session_id(ctx: typer.Context, session_id: int | None) -> int:
    if session_id is not None:
        return session_id
    info = sessions.current_session(cli_common.settings(ctx).till)
    if info is not None:
        return info.id
    latest = sessions.list_sessions(limit=1, till=cli_common.settings(ctx).till)
    if not latest:
        fail(_("Till {till} has no session yet.").format(till=cli_common.settings(ctx).till))
    return latest[0].id


@session_app.command("open")
def session_open(
    ctx: typer.Context,
    cashier: Annotated[str, typer.Option("--cashier", help="The cashier opening the session.")],
    float_: Annotated[str, typer.Option("--float", help="Opening float: cash in the drawer.")] = "0",
) -> None:
    """Open a session on the till with an opening float."""
    chosen = open_db(ctx)
    shop = require_store()
    who = cashiers.find_cashier(cashier)
    if who is None or not who.active:
        fail(_("no active cashier called “{name}”").format(name=cashier))
    minor = run(parse_minor, float_, "--float", shop.exponent)
    info = run(sessions.open_session, chosen.till, who.id, minor)
    console.print(_("Session {id} open on till {till}.").format(id=info.id, till=info.till))
    _print_session(info, shop.money)


@session_app.command("close")
def session_close(
    ctx: typer.Context,
    counted: Annotated[str | None, typer.Option("--counted", help="Cash counted in the drawer.",
                                                show_default=False)] = None,
    cash_count: Annotated[str | None, typer.Option(
        "--cash-count", metavar="NOTE:HOW_MANY,…", show_default=False,
        help="Cash counted note by note and coin by coin, e.g. '50:2,20:3,1:4,0.50:6'.")] = None,
    card: Annotated[str | None, typer.Option("--card", help="Card total counted (default: as expected).",
                                             show_default=False)] = None,
    transfer: Annotated[str | None, typer.Option("--transfer", help="Transfer total counted (default: as expected).",
                                                 show_default=False)] = None,
    cashier: Annotated[str | None, typer.Option("--cashier", help="Who closes (default: who opened).",
                                                show_default=False)] = None,
    manager_pin: ManagerPinOpt = None,
) -> None:
    """Close the till's session: expected, counted and difference for every payment method,
    then the Z report. A cash difference above the store's limit needs a manager's PIN."""
    chosen = open_db(ctx)
    shop = require_store()
    if counted is None and cash_count is None:
        fail(_("give the cash counted: --counted AMOUNT or --cash-count NOTE:HOW_MANY,…"), 2)
    amounts = {}
    if counted is not None:
        amounts[CASH] = run(parse_minor, counted, "--counted", shop.exponent)
    for method, text, flag in ((CARD, card, "--card"), (TRANSFER, transfer, "--transfer")):
        if text is not None:
            amounts[method] = run(parse_minor, text, flag, shop.exponent)
    notes = run(parse_cash_count, cash_count, shop.exponent) if cash_count is not None else None
    closer = cashiers.find_cashier(cashier) if cashier else None
    if cashier and closer is None:
        fail(_("no cashier called “{name}”").format(name=cashier))

    def close(pin: str | None) -> SessionInfo:
        return sessions.close_session(chosen.till, amounts, closer.id if closer else None,
                                      cash_count=notes, manager_pin=pin)

    info = _with_manager(close, manager_pin)
    console.print(_("Session {id} closed.").format(id=info.id))
    console.print(zreport.render_text(zreport.z_report(info.id), shop.name, shop.money))


def parse_cash_count(text: str, exp: int = 2) -> dict[int, int]:
    """'50:2,20:3,0.50:6' -> {5000: 2, 2000: 3, 50: 6} (denomination in minor units: pieces)."""
    from pos_tui.errors import ValidationError

    counts: dict[int, int] = {}
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        note, _sep, pieces = part.partition(":")
        if not pieces.strip().isdigit():
            raise ValidationError("--cash-count", _("“{part}” is not NOTE:HOW_MANY").format(part=part.strip()))
        value = parse_minor(note, "--cash-count", exp, allow_zero=False)
        counts[value] = counts.get(value, 0) + int(pieces)
    if not counts:
        raise ValidationError("--cash-count", _("is empty"))
    return counts


@session_app.command("status")
def session_status(ctx: typer.Context) -> None:
    """Show the till's open session, if any."""
    chosen = open_db(ctx)
    shop = require_store()
    info = sessions.current_session(chosen.till)
    if info is None:
        console.print(_("Till {till} has no open session.").format(till=chosen.till))
        return
    _print_session(info, shop.money)


@session_app.command("list")
def session_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 20,
    all_tills: Annotated[bool, typer.Option("--all-tills", help="Every till, not only --till.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """The sessions of the till (or of every till), newest first."""
    chosen = open_db(ctx)
    shop = require_store()
    rows = sessions.list_sessions(limit=limit, till=None if all_tills else chosen.till)
    if fmt is Format.json:
        cli_common.echo_json({"currency": shop.currency, "sessions": [dataclasses.asdict(s) for s in rows]})
        return
    table = Table(_("Id"), _("Till"), _("Cashier"), _("Opened"), _("Closed"), _("Sales"), _("Total"),
                  _("Cash diff."))
    for s in rows:
        diff = s.difference_minor
        table.add_row(str(s.id), s.till, s.cashier_name, _when(s.opened_at), _when(s.closed_at),
                      str(s.sales_count), shop.money(s.sales_total_minor),
                      "" if diff is None else shop.money(diff))
    console.print(table)


@session_app.command("report")
def session_report(
    ctx: typer.Context,
    session_id: Annotated[int | None, typer.Argument(metavar="[ID]", show_default=False,
                                                     help="The session (default: the till's current or last).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The Z report of a session: sales, payment methods, tax rates, refunds, discounts, voids,
    cash movements, counted drawer."""
    open_db(ctx)
    shop = require_store()
    report = run(zreport.z_report, _session_id(ctx, session_id))
    if fmt is Format.json:
        document = dataclasses.asdict(report)
        document["by_method"] = dict(report.by_method)
        cli_common.echo_json({"currency": shop.currency, "currency_exponent": shop.exponent, **document})
        return
    console.print(zreport.render_text(report, shop.name, shop.money), highlight=False)


def _move(ctx: typer.Context, amount: str, reason: str, cashier: str | None, sign: int) -> None:
    chosen = open_db(ctx)
    shop = require_store()
    who = cashiers.find_cashier(cashier) if cashier else None
    minor = run(parse_minor, amount, "--amount", shop.exponent, allow_zero=False)
    info = run(sessions.move_cash, chosen.till, sign * minor, reason, who.id if who else None)
    console.print(_("Done. The drawer should now hold {amount}.").format(amount=shop.money(info.expected_cash_minor)))


@session_app.command("cash-in")
def cash_in(ctx: typer.Context,
            amount: Annotated[str, typer.Option("--amount", help="Cash put into the drawer.")],
            reason: Annotated[str, typer.Option("--reason", help="Why, e.g. 'change from the bank'.")],
            cashier: Annotated[str | None, typer.Option("--cashier", show_default=False)] = None) -> None:
    """Put cash into the drawer outside a sale."""
    _move(ctx, amount, reason, cashier, 1)


@session_app.command("cash-out")
def cash_out(ctx: typer.Context,
             amount: Annotated[str, typer.Option("--amount", help="Cash taken out of the drawer.")],
             reason: Annotated[str, typer.Option("--reason", help="Why, e.g. 'paid the window cleaner'.")],
             cashier: Annotated[str | None, typer.Option("--cashier", show_default=False)] = None) -> None:
    """Take cash out of the drawer outside a sale."""
    _move(ctx, amount, reason, cashier, -1)


# Cashiers -------------------------------------------------------------------------------------------

PinOpt = Annotated[str | None, typer.Option("--pin", show_default=False,
                                            help="4 to 8 digits (asked without echo when missing).")]


def _new_pin(pin: str | None) -> str:
    if pin is not None:
        return pin
    if not sys.stdin.isatty():
        fail(_("give the PIN with --pin"), 2)
    return typer.prompt(_("PIN"), hide_input=True, confirmation_prompt=True)


@cashier_app.command("add")
def cashier_add(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The cashier's name.")],
                role: Annotated[str, typer.Option("--role", help="cashier or manager.")] = "cashier",
                pin: PinOpt = None) -> None:
    """Add a cashier (or a manager) who logs in with a PIN."""
    open_db(ctx)
    require_store()
    info = run(cashiers.add_cashier, name, _new_pin(pin), role)
    console.print(_("{role} {name} added.").format(role=_(info.role).capitalize(), name=info.name))


@cashier_app.command("list")
def cashier_list(ctx: typer.Context,
                 all_: Annotated[bool, typer.Option("--all", help="Also the disabled ones.")] = False,
                 fmt: FormatOpt = Format.table) -> None:
    """The cashiers and managers."""
    open_db(ctx)
    rows = cashiers.list_cashiers(active_only=not all_)
    if fmt is Format.json:
        cli_common.echo_json([dataclasses.asdict(c) for c in rows])
        return
    table = Table(_("Name"), _("Role"), _("Active"))
    for c in rows:
        table.add_row(c.name, _(c.role), _("yes") if c.active else _("no"))
    console.print(table)


@cashier_app.command("reset-pin")
def cashier_reset_pin(ctx: typer.Context, name: Annotated[str, typer.Argument()], pin: PinOpt = None) -> None:
    """Give a cashier a new PIN (and lift a lock after wrong PINs)."""
    open_db(ctx)
    info = run(cashiers.reset_pin, name, _new_pin(pin))
    console.print(_("New PIN set for {name}.").format(name=info.name))


@cashier_app.command("disable")
def cashier_disable(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Stop a cashier from logging in (their past sales keep their name)."""
    open_db(ctx)
    info = run(cashiers.set_active, name, False)
    console.print(_("{name} can no longer log in.").format(name=info.name))


@cashier_app.command("enable")
def cashier_enable(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Let a disabled cashier log in again."""
    open_db(ctx)
    info = run(cashiers.set_active, name, True)
    console.print(_("{name} can log in again.").format(name=info.name))
