"""`pos products import` and `pos products export`: the catalog in and out of a file, our own
columns or Odoo's (see `services.product_import` and `services.product_export`). Registered on
`products_app` by `pos_tui.cli`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pos_tui.cli_common import Format, console, echo_json, err, fail, open_db, require_store, run
from pos_tui.cli_data import ExportFormat, Profile, _target
from pos_tui.i18n import _
from pos_tui.l10n import format_number as count
from pos_tui.services import imports, product_export, product_import

#: Problems shown on the terminal when the whole list goes to a report file.
SHOWN = 20


def _problems_table(problems: list[imports.Problem]) -> Table:
    table = Table(_("Row"), _("Column"), _("Problem"), _("Value"))
    for p in problems:
        table.add_row(str(p.row), Text(p.column), Text(p.message), Text(p.value))
    return table


def _write_private(path: Path, write, encoding: str = "utf-8") -> None:
    """A file created 0600 (only its owner reads a store's catalog and its costs), replaced whole."""
    path = path.expanduser()
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding=encoding, newline="") as handle:
            write(handle)
        os.replace(partial, path)
    except OSError as exc:
        fail(_("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc))
    finally:
        partial.unlink(missing_ok=True)


def write_report(problems: list[imports.Problem], path: Path) -> Path:
    """The refused rows as CSV (row, column, message, value), neutralised, 0600."""
    import csv

    from pos_tui.services import exports

    def write(handle) -> None:
        writer = csv.writer(handle)
        writer.writerow(imports.REPORT_COLUMNS)
        for p in problems:
            writer.writerow([p.row, exports.neutralise(p.column), exports.neutralise(p.message),
                             exports.neutralise(p.value)])

    _write_private(path, write, "utf-8-sig")  # a byte order mark: spreadsheets then read the accents
    return path


def _document(result: product_import.ProductImport, report: Path | None) -> dict:
    return {"file": str(result.source.path), "encoding": result.source.encoding,
            "delimiter": result.source.delimiter or "json", "ignored_columns": result.source.ignored,
            "rows": result.rows, "to_create": result.to_create, "to_update": result.to_update,
            "refused_rows": result.refused_rows, "applied": result.applied, "created": result.created,
            "updated": result.updated, "unchanged": result.unchanged,
            "refused": [{"row": p.row, "column": p.column, "message": p.message, "value": p.value}
                        for p in result.refused],
            "report": str(report) if report else None}


def import_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", dir_okay=False, show_default=False,
                                         help="A CSV file (UTF-8 or Windows encoding; `,` `;` or tab between cells), "
                                              "or the JSON / JSON lines `pos products export` writes.")],
    profile: Annotated[Profile, typer.Option(
        "--profile", help="native: the columns `pos products export` writes; odoo: Odoo's product export "
                          "(Internal Reference, Name, Barcode, Sales Price, Cost, Product Category, Unit of Measure, "
                          "To Weigh With Scale, Available in POS).")] = Profile.native,
    apply: Annotated[bool, typer.Option("--apply", help="Write the products. Without it: a dry run that only "
                                                        "reports.")] = False,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="With --apply: write the valid rows even if others are refused.")] = False,
    update: Annotated[bool, typer.Option(
        "--update", help="A reference the store has is updated with the file's columns instead of refused.")] = False,
    tax: Annotated[str | None, typer.Option(
        "--tax", metavar="NAMES", show_default=False,
        help="The taxes of new products whose row names none (Odoo's file names none), e.g. \"IVA 21%\" or "
             "\"IVA 21% + RE 5,2%\".")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", metavar="FILE", dir_okay=False, show_default=False,
        help="Write every refused row (row, column, reason, value) to this CSV.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table for people, json for scripts.")] = Format.table,
) -> None:
    """Import products from a file, every row checked with the rules of `pos products add` and
    against the store and the rows above it. A dry run unless --apply; with --apply everything is
    written in one transaction: all the rows, or none if one is refused (unless --skip-invalid)."""
    open_db(ctx)
    require_store()
    if skip_invalid and not apply:
        fail(_("--skip-invalid goes with --apply"), 2)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    labels = {"check": _("Checking"), "write": _("Writing")}
    with Progress(*columns, console=err, transient=True,
                  disable=not err.is_terminal or fmt is Format.json) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels[stage], total=total or None)
            bar.update(tasks[stage], completed=done)

        result = run(product_import.import_products, file, profile=profile.value, apply=apply,
                     skip_invalid=skip_invalid, update=update, default_taxes=tax,
                     progress=progress)
    written = write_report(result.refused, report) if report is not None else None
    if fmt is Format.json:
        echo_json(_document(result, written))
        if result.refused and not result.applied:
            raise typer.Exit(1)
        return
    source = result.source
    delimiter = {"": "JSON", ",": ",", ";": ";", "\t": _("tab")}[source.delimiter]
    console.print(_("{path}: {rows} rows ({encoding}, {delimiter}); {create} to create, {update} to update, "
                    "{bad} refused.").format(
        path=escape(str(file)), rows=count(result.rows), encoding=source.encoding, delimiter=delimiter,
        create=count(result.to_create), update=count(result.to_update), bad=count(result.refused_rows)),
        highlight=False, soft_wrap=True)
    if source.ignored:
        console.print(_("Columns not imported: {columns}.").format(columns=escape(", ".join(source.ignored))),
                      highlight=False, soft_wrap=True)
    if result.refused:
        shown = result.refused if written is None else result.refused[:SHOWN]
        console.print(_problems_table(shown))
        if written is not None:
            more = len(result.refused) - len(shown)
            console.print((_("… {n} more. ").format(n=more) if more else "")
                          + _("Every refused row is listed in {path}.").format(path=escape(str(written))),
                          highlight=False, soft_wrap=True)
    if result.applied:
        console.print(_("{created} products created, {updated} updated ({unchanged} unchanged) in one transaction "
                        "({seconds:.1f} s).").format(
            created=count(result.created), updated=count(result.updated), unchanged=count(result.unchanged),
            seconds=result.write_seconds), highlight=False)
        if result.refused:
            console.print(_("{n} refused rows were left out.").format(n=count(result.refused_rows)))
        return
    if apply and result.refused:
        err.print(_("Nothing was written: fix the rows above, or --skip-invalid to write the {n} valid ones.")
                  .format(n=count(result.to_create + result.to_update)), highlight=False)
    elif not apply:
        console.print(_("Dry run: nothing was written. --apply writes the {n} valid rows.").format(
            n=count(result.to_create + result.to_update)), highlight=False)
    if result.refused:
        raise typer.Exit(1)


def export_cmd(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="csv, json (one array) or jsonl (one object "
                                                                     "per line).")] = ExportFormat.csv,
    profile: Annotated[Profile, typer.Option(
        "--profile", help="native: every field (what `pos products import` reads back); odoo: the columns of "
                          "Odoo's product export.")] = Profile.native,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE", dir_okay=False, show_default=False,
        help="Write to FILE (created readable by you only, replaced when complete) instead of the standard "
             "output.")] = None,
    archived: Annotated[bool, typer.Option("--archived", help="Archived products too.")] = False,
) -> None:
    """Every product with every field (active ones; --archived: archived ones too). CSV is safe to
    open in a spreadsheet (no cell runs as a formula)."""
    open_db(ctx)
    require_store()
    if output is None:
        with _target(None, False) as out:
            run(product_export.export_products, out, fmt=fmt.value, profile=profile.value, archived=archived)
        return
    output = output.expanduser()
    if not output.parent.is_dir():
        fail(_("--output: no folder {path}").format(path=output.parent))
    total = run(product_export.count_products, archived)
    holder = {}
    with Progress(TextColumn(_("Exporting products")), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("products", total=total)

        def write(handle) -> None:
            holder["result"] = run(product_export.export_products, handle, fmt=fmt.value, profile=profile.value,
                                   archived=archived, progress=lambda done: bar.update(task, completed=done))

        _write_private(output, write)
    console.print(_("{rows} products written to {path} ({fmt}).").format(
        rows=count(holder["result"].rows), path=escape(str(output)), fmt=fmt.value), highlight=False, soft_wrap=True)

