"""`pos export …`, `pos import customers` and `pos db backup|restore|check`: the store's data out
and in, and its database kept safe.

Exports stream whole tables (constant memory) as CSV, JSON or JSON lines — see
`pos_tui.services.exports` for how values are written — and `pos export events` is the change
feed, read from a cursor. Imports check every row with the till form's rules before anything is
written. A file is written under a temporary name and renamed when complete, so an interrupted
export never leaves half a file behind.
"""

from __future__ import annotations

import io
import os
import signal
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pos_tui import cli_common, db
from pos_tui.cli_common import console, err, fail, open_db, require_store, run
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import _
from pos_tui.l10n import format_number as count
from pos_tui.services import backup, exports, imports

export_app = typer.Typer(help="Write the store's data out: customers, sales, payments, invoices, loyalty, "
                              "sessions (CSV, JSON, JSON lines), and the change feed.", no_args_is_help=True)
import_app = typer.Typer(help="Read data in: customers from CSV or JSON, checked like the till's form.",
                         no_args_is_help=True)


class ExportFormat(str, Enum):
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


class Profile(str, Enum):
    native = "native"
    odoo = "odoo"


FormatOpt = Annotated[ExportFormat, typer.Option("--format", "-f", help="csv, json (one array) or jsonl "
                                                                         "(one object per line).")]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="FILE", dir_okay=False, show_default=False,
    help="Write to FILE (replaced when complete) instead of the standard output.")]
SinceOpt = Annotated[str | None, typer.Option("--since", metavar="DATE", show_default=False,
                                              help="Only rows from this day on (YYYY-MM-DD, local time).")]
UntilOpt = Annotated[str | None, typer.Option("--until", metavar="DATE", show_default=False,
                                              help="Only rows up to this day, included (YYYY-MM-DD).")]
ExcelOpt = Annotated[bool, typer.Option(
    "--excel", help="CSV for spreadsheets: a byte order mark, and where the store's locale writes decimal "
                    "commas, `;` between cells and amounts with a decimal comma; times as YYYY-MM-DD HH:MM:SS.")]


def _day(text: str | None, flag: str, next_day: bool = False):
    if text is None:
        return None
    from datetime import date, timedelta

    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        cli_common.refuse(ValidationError(flag, _("“{text}” is not a date: use YYYY-MM-DD, e.g. 2026-03-31")
                                          .format(text=text)))
    return exports.day_start(day + timedelta(days=1) if next_day else day)


@contextmanager
def _target(output: Path | None, excel: bool):
    """The text stream to write to: the standard output, or a temporary file beside `output`
    renamed onto it at the end (removed if the export fails)."""
    if output is None:
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:  # a text-only stream (some test harnesses): as it is
            yield sys.stdout
            sys.stdout.flush()
            return
        sys.stdout.flush()
        # UTF-8 whatever the terminal's locale says, and the format's own line ends
        utf8 = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        try:
            yield utf8
        finally:
            utf8.flush()
            utf8.detach()
        return
    output = output.expanduser()
    if not output.parent.is_dir():
        fail(_("--output: no folder {path}").format(path=output.parent))
    partial = output.with_name(f".{output.name}.partial-{os.getpid()}")
    # A `kill` (SIGTERM) ends the export as Ctrl+C does: the partial file is removed.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        with open(partial, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(partial, output)
    except OSError as exc:
        fail(_("--output: cannot write {path}: {reason}").format(path=output, reason=exc.strerror or exc))
    finally:
        partial.unlink(missing_ok=True)
        signal.signal(signal.SIGTERM, previous)


def _terminated(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def _progress(label: str, enabled: bool) -> Progress:
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                    transient=True, disable=not (enabled and err.is_terminal))


def _export(ctx: typer.Context, kind: str, fmt: ExportFormat, output: Path | None, since: str | None,
            until: str | None, excel: bool, profile: Profile = Profile.native) -> None:
    open_db(ctx)
    require_store()
    options = exports.Options(fmt=fmt.value, excel=excel, profile=profile.value, since=_day(since, "--since"),
                              until=_day(until, "--until", next_day=True))
    if excel and fmt is not ExportFormat.csv:
        cli_common.refuse(ValidationError("--excel", _("is for CSV only (use --format csv)")))
    total = run(exports.count_rows, kind, options) if output is not None else 0
    with _progress(_("Exporting {kind}").format(kind=kind), output is not None) as bar:
        task = bar.add_task(kind, total=total)
        with _target(output, excel) as out:
            result = run(exports.export, kind, out, options, lambda done: bar.update(task, completed=done))
    if output is not None:
        console.print(_("{rows} rows of {kind} written to {path} ({fmt}).").format(
            rows=count(result.rows), kind=kind, path=output, fmt=fmt.value), highlight=False, soft_wrap=True)


def _export_command(kind: str, summary: str):
    def command(ctx: typer.Context, fmt: FormatOpt = ExportFormat.csv, output: OutputOpt = None,
                since: SinceOpt = None, until: UntilOpt = None, excel: ExcelOpt = False) -> None:
        _export(ctx, kind, fmt, output, since, until, excel)

    command.__doc__ = summary
    return command


@export_app.command("customers")
def export_customers(
    ctx: typer.Context,
    fmt: FormatOpt = ExportFormat.csv,
    output: OutputOpt = None,
    since: Annotated[str | None, typer.Option("--since", metavar="DATE", show_default=False,
                                              help="Only customers created from this day on (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="DATE", show_default=False,
                                              help="Only customers created up to this day (YYYY-MM-DD).")] = None,
    excel: ExcelOpt = False,
    profile: Annotated[Profile, typer.Option(
        "--profile", help="native: every field (what `pos import customers` reads back); odoo: the columns of "
                          "Odoo's contact import.")] = Profile.native,
) -> None:
    """Every customer, archived and anonymised ones included, with every field."""
    _export(ctx, "customers", fmt, output, since, until, excel, profile)


for _kind, _summary in (
        ("orders", "Every sale, refund and payment on account (drafts too), with its state and totals; "
                   "--since/--until: the day it was paid (or started, when not paid)."),
        ("order-lines", "Every line of every sale: product, quantity, price, tax, discount, totals."),
        ("payments", "Every payment: method, amount, cash tendered and change, card reference."),
        ("invoices", "Every invoice, simplified invoice and credit note: number, customer, totals."),
        ("loyalty", "The loyalty ledger: every entry that earned, redeemed, expired or adjusted points."),
        ("sessions", "Every till session: opening float, expected and counted cash, difference.")):
    export_app.command(_kind)(_export_command(_kind, _summary))


@export_app.command("events")
def export_events(
    ctx: typer.Context,
    after: Annotated[int, typer.Option("--after", metavar="CURSOR", min=0,
                                       help="Only events after this cursor (the last one you read).")] = 0,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="jsonl (one event per line), json or csv.")]
    = ExportFormat.jsonl,
    limit: Annotated[int | None, typer.Option("--limit", min=1, show_default=False,
                                              help="At most this many events.")] = None,
    output: OutputOpt = None,
) -> None:
    """The change feed: every change other systems need (customers, sales, refunds, invoices, loyalty,
    sessions) in the order it happened, each with its cursor. Read again with --after the last
    cursor you saw: nothing is missed, nothing comes twice."""
    open_db(ctx)
    with _target(output, False) as out:
        written, last = run(exports.export_events, out, after, fmt.value, limit)
    if output is not None:
        console.print(_("{n} events written to {path}; next time: --after {cursor}.").format(
            n=count(written), path=output, cursor=last), highlight=False, soft_wrap=True)


# pos import ----------------------------------------------------------------------------------------


def _problems_table(problems: list[imports.Problem]) -> Table:
    table = Table(_("Row"), _("Column"), _("Problem"), _("Value"))
    for p in problems:
        table.add_row(str(p.row), Text(p.column), Text(p.message), Text(p.value))
    return table


@import_app.command("customers")
def import_customers(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", dir_okay=False, show_default=False,
                                         help="A CSV file (UTF-8 or Windows encoding; `,` `;` or tab between "
                                              "cells) or the JSON that `pos export customers` writes.")],
    profile: Annotated[Profile, typer.Option(
        "--profile", help="native: the columns `pos export customers` writes; odoo: Odoo's contact columns "
                          "(name, email, phone, mobile, street, street2, city, zip, state_id, country_id, "
                          "vat, lang, comment, barcode, is_company, active).")] = Profile.native,
    apply: Annotated[bool, typer.Option("--apply", help="Create the customers. Without it: a dry run that "
                                                        "only reports.")] = False,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="With --apply: create the valid rows even if others have problems (listed "
                               "in FILE.report.csv).")] = False,
    allow_duplicates: Annotated[bool, typer.Option(
        "--allow-duplicates", help="Create rows that look like an existing customer or an earlier row "
                                   "(recorded in the audit trail).")] = False,
    report: Annotated[Path | None, typer.Option(
        "--report", metavar="FILE", dir_okay=False, show_default=False,
        help="Write the problems to this CSV (with --skip-invalid: FILE.report.csv by default).")] = None,
) -> None:
    """Import customers from a file, checked row by row as the till's form checks them (every
    field, possible duplicates in the store and within the file). A dry run unless --apply; with
    --apply the valid rows go in one transaction: all of them, or none if a row has a problem
    (unless --skip-invalid)."""
    open_db(ctx)
    require_store()
    if skip_invalid and not apply:
        fail(_("--skip-invalid goes with --apply"), 2)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    labels = {"check": _("Checking"), "write": _("Creating")}
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels[stage], total=total or None)
            bar.update(tasks[stage], completed=done)

        result = run(imports.import_customers, file, profile.value, apply=apply, skip_invalid=skip_invalid,
                     allow_duplicates=allow_duplicates, progress=progress)
    source = result.source
    delimiter = {"": "JSON", ",": ",", ";": ";", "\t": _("tab")}[source.delimiter]
    console.print(_("{path}: {rows} rows ({encoding}, {delimiter}); {valid} valid, {bad} with problems.").format(
        path=escape(str(file)), rows=count(result.rows), encoding=source.encoding, delimiter=delimiter,
        valid=count(result.valid), bad=count(result.invalid_rows)), highlight=False, soft_wrap=True)
    if source.ignored:
        console.print(_("Columns not imported: {columns}.").format(columns=escape(", ".join(source.ignored))),
                      highlight=False, soft_wrap=True)
    written_report = None
    if result.problems and (report is not None or (apply and skip_invalid)):
        written_report = imports.write_report(result.problems, report or imports.report_path(file))
    if result.problems:
        shown = result.problems if written_report is None else result.problems[:20]
        console.print(_problems_table(shown))
        if written_report is not None:
            more = len(result.problems) - len(shown)
            console.print((_("… {n} more. ").format(n=more) if more else "")
                          + _("Every problem is listed in {path}.").format(path=escape(str(written_report))),
                          highlight=False, soft_wrap=True)
    if result.applied:
        console.print(_("{n} customers created in one transaction ({seconds:.1f} s).").format(
            n=count(result.created), seconds=result.write_seconds), highlight=False)
        if result.problems:
            console.print(_("{n} rows with problems were left out.").format(n=count(result.invalid_rows)))
        return
    look_alike = sum(1 for p in result.problems if p.duplicate)
    if apply and result.problems:
        err.print(_("Nothing was written: fix the rows above, or --skip-invalid to create the {n} valid ones.")
                  .format(n=count(result.valid)), highlight=False)
    elif not apply:
        console.print(_("Dry run: nothing was written. --apply creates the {n} valid customers.").format(
            n=count(result.valid)), highlight=False)
    if look_alike:
        err.print(_("{n} rows only look like another customer (the till's duplicate rules). If they are different "
                    "people, --allow-duplicates creates them too (recorded in the audit trail).").format(
            n=count(look_alike)), highlight=False)
    if result.problems:
        raise typer.Exit(1)


# pos db backup | restore | check --------------------------------------------------------------------


def backup_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", dir_okay=False, show_default=False,
                                         help="Where to write the backup (a SQLite file).")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Back the database up into FILE: a consistent copy made while tills go on selling, checked
    (integrity_check) before it is put in place."""
    open_db(ctx)
    result = run(backup.backup, file, overwrite=force)
    info = result.info
    console.print(_("Backup written: {path} ({size:.1f} MB, schema version {version}; {customers} customers, "
                    "{orders} paid sales, {invoices} invoices, events up to {cursor}; integrity ok) in "
                    "{seconds:.1f} s.").format(
        path=info.path, size=info.bytes / 1e6, version=info.schema_version, customers=count(info.customers),
        orders=count(info.orders), invoices=count(info.invoices), cursor=info.last_event,
        seconds=result.seconds), highlight=False, soft_wrap=True)


def restore_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", dir_okay=False, show_default=False,
                                         help="A backup made by `pos db backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Restore even while another process (a till) has "
                                                        "the database open.")] = False,
) -> None:
    """Replace the database with a backup. The backup is checked first (integrity, schema version);
    refused while a till has the database open unless --force; the database replaced is kept
    beside it as NAME.before-restore-YYYYMMDD-HHMMSS.sqlite3."""
    settings = cli_common.settings(ctx)
    try:
        target = backup.sqlite_path(settings.db)
        db.close_database()
        result = backup.restore(file, target, force=force)
    except PosError as exc:
        cli_common.refuse(exc)
    info = result.restored
    console.print(_("Restored {source} into {target}: {customers} customers, {orders} paid sales, {invoices} "
                    "invoices, events up to {cursor} (schema version {version}{upgraded}).").format(
        source=file, target=target, customers=count(info.customers), orders=count(info.orders),
        invoices=count(info.invoices), cursor=info.last_event, version=info.schema_version,
        upgraded=_(", upgraded") if result.schema_upgraded else ""), highlight=False, soft_wrap=True)
    if result.replaced_copy is not None:
        console.print(_("The database it replaced is kept as {path}.").format(path=result.replaced_copy),
                      highlight=False, soft_wrap=True)


def check_cmd(
    ctx: typer.Context,
    fmt: Annotated[cli_common.Format, typer.Option("--format", help="table for people, json for scripts.")]
    = cli_common.Format.table,
) -> None:
    """Check the database: the file's integrity, foreign keys, loyalty points against their ledger,
    invoice numbers without gaps (per series), paid orders' totals against their lines, payments
    against totals. Exit status 1 when something is wrong."""
    open_db(ctx)
    findings = run(backup.check)
    bad = [f for f in findings if not f.ok]
    if fmt is cli_common.Format.json:
        cli_common.echo_json(backup.findings_doc(findings))
    else:
        table = Table(_("Check"), _("Result"), _("Details"))
        for f in findings:
            result = (Text(_("skipped"), style="dim") if f.skipped else
                      Text(_("OK"), style="green") if f.ok else Text(_("{n} problems").format(n=len(f.problems)),
                                                                     style="bold red"))
            table.add_row(Text(f.title), result, Text(f.skipped or "\n".join(f.problems)))
        console.print(table)
    if bad:
        raise typer.Exit(1)
