"""`pos printer …`: each till's receipt printer (ESC/POS on the network, USB, a serial port or a
file), a test page, and the queue of receipts waiting for a printer that was off."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer
from rich.table import Table

from pos_tui import cli_common, db, l10n
from pos_tui.cli_common import Format, console, fail, open_db, run
from pos_tui.errors import PosError
from pos_tui.i18n import _
from pos_tui.services import printing, sessions

printer_app = typer.Typer(help="Each till's receipt printer and cash drawer: set it, test it, its queue.",
                          no_args_is_help=True)

TillOpt = Annotated[str | None, typer.Option(
    "--till", show_default=False, help="The till whose printer it is (default: the global --till).")]
FormatOpt = Annotated[Format, typer.Option("--format", help="table for people, json for scripts.")]


def _till(ctx: typer.Context, till: str | None) -> str:
    chosen = open_db(ctx)
    return run(sessions.check_till, till or chosen.till)


def _when(value) -> str:
    return l10n.format_datetime(db.local_time(value)) if value else "—"


def _print_printer(info: printing.PrinterInfo) -> None:
    table = Table(show_header=False, box=None)
    table.add_row(_("Till"), info.till)
    table.add_row(_("Kind"), info.kind)
    table.add_row(_("Address"), info.address)
    table.add_row(_("Width"), _("{n} characters").format(n=info.width))
    table.add_row(_("Code page"), info.code_page or _("{page} (default)").format(page=printing.DEFAULT_CODE_PAGE))
    table.add_row(_("Cash drawer"), _("yes: opens after a cash payment") if info.drawer else _("no"))
    table.add_row(_("Changed"), _when(info.updated_at))
    console.print(table)


@printer_app.command("set")
def printer_set(
    ctx: typer.Context,
    till: TillOpt = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", show_default=False, help="network (raw TCP, port 9100), usb, serial or file.")] = None,
    address: Annotated[str | None, typer.Option(
        "--address", show_default=False,
        help="network: HOST[:PORT] · usb: VENDOR:PRODUCT in hex (lsusb) · serial: /dev/ttyS0[:BAUD] · "
             "file: a path, e.g. /dev/usb/lp0.")] = None,
    width: Annotated[int | None, typer.Option(
        "--width", show_default=False, help="Characters a line: 32 (58 mm paper), 42 or 48 (80 mm).")] = None,
    code_page: Annotated[str | None, typer.Option(
        "--code-page", show_default=False,
        help=f"The printer's code page for accents and €: {printing.DEFAULT_CODE_PAGE} (default), CP1252, … "
             "or AUTO (switch as needed).")] = None,
    drawer: Annotated[bool | None, typer.Option(
        "--drawer/--no-drawer", show_default=False,
        help="A cash drawer hangs on the printer (default: yes).")] = None,
) -> None:
    """Set the till's printer, or change some of its settings (the others are kept)."""
    chosen = _till(ctx, till)
    info = run(printing.set_printer, chosen, kind, address, width, code_page, drawer)
    console.print(_("Printer of till {till} set.").format(till=info.till))
    _print_printer(info)
    console.print(_("Try it: pos printer test --till {till}").format(till=info.till), highlight=False)


@printer_app.command("show")
def printer_show(
    ctx: typer.Context,
    till: TillOpt = None,
    all_tills: Annotated[bool, typer.Option("--all-tills", help="Every till's printer.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """The till's printer settings (or every till's)."""
    chosen = _till(ctx, till)
    rows = printing.list_printers() if all_tills else [p for p in [printing.get_printer(chosen)] if p]
    if fmt is Format.json:
        cli_common.echo_json([dataclasses.asdict(p) for p in rows])
        return
    if not rows:
        fail(_("Till {till} has no printer: set one with `pos printer set --kind network --address "
               "HOST[:PORT]`.").format(till=chosen) if not all_tills else _("No till has a printer."))
    for info in rows:
        _print_printer(info)


@printer_app.command("remove")
def printer_remove(ctx: typer.Context, till: TillOpt = None) -> None:
    """The till prints no more receipts (its queue is kept)."""
    chosen = _till(ctx, till)
    if not run(printing.remove_printer, chosen):
        fail(_("Till {till} has no printer.").format(till=chosen))
    console.print(_("Till {till} has no printer now.").format(till=chosen))


@printer_app.command("test")
def printer_test(ctx: typer.Context, till: TillOpt = None) -> None:
    """Print a test page (accents, €, a barcode, the width), or say plainly what went wrong."""
    chosen = _till(ctx, till)
    try:
        info = printing.print_test_page(chosen)
    except PosError as exc:
        fail(exc.message)
    console.print(_("Test page sent to the printer of till {till} ({where}).").format(
        till=info.till, where=info.describe()), highlight=False)


@printer_app.command("queue")
def printer_queue(
    ctx: typer.Context,
    till: TillOpt = None,
    all_jobs: Annotated[bool, typer.Option("--all", help="Printed jobs too.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, oldest first.")] = 100,
    fmt: FormatOpt = Format.table,
) -> None:
    """What waits for the printer (pending), and the drawer pulses that could not be sent (failed)."""
    chosen = _till(ctx, till)
    states = (printing.PENDING, printing.FAILED, printing.DONE) if all_jobs else (printing.PENDING, printing.FAILED)
    rows = printing.list_jobs(chosen, states, limit)
    if fmt is Format.json:
        cli_common.echo_json([dataclasses.asdict(j) for j in rows])
        return
    if not rows:
        console.print(_("Nothing waits for the printer of till {till}.").format(till=chosen))
        return
    table = Table(_("Id"), _("Queued"), _("What"), _("State"), _("Tries"), _("Last error"))
    for job in rows:
        what = job.kind if not job.number else f"{job.kind} {job.number}" + (f" ({_('copy')})" if job.copy else "")
        table.add_row(str(job.id), _when(job.created_at), what, _(job.state), str(job.attempts),
                      job.last_error or "—")
    console.print(table)


@printer_app.command("retry")
def printer_retry(
    ctx: typer.Context,
    job_ids: Annotated[list[int] | None, typer.Argument(
        show_default=False, help="Only these jobs (a failed receipt named here is tried again too).")] = None,
    till: TillOpt = None,
) -> None:
    """Print what waits in the queue now, oldest first; stops at the first the printer cannot take.
    Best run while the till itself is not printing."""
    chosen = _till(ctx, till)
    if job_ids:
        run(printing.requeue, job_ids)
    result = printing.drain(chosen, job_ids or None)
    if result.printed:
        console.print(_("Printed {n}: {what}.").format(
            n=len(result.printed), what=", ".join(result.numbers) or _("drawer pulse")), highlight=False)
    if result.warning:
        console.print(result.warning, highlight=False)
    if result.error:
        fail(result.error + " " + _("{n} still waiting.").format(n=result.pending))
    if not result.printed:
        console.print(_("Nothing waits for the printer of till {till}.").format(till=chosen))
