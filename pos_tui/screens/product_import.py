"""A new store's catalog from a file, at the first start: the file's path and columns (ours or
Odoo's product export), a check that writes nothing (run in a worker), its counts and first
refused rows, then the import on a key that confirms it."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.widgets import Static
from textual.worker import get_current_worker

from pos_tui import keys
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import N_, _, ngettext
from pos_tui.screens.base import Message, PosScreen, after_typing
from pos_tui.screens.setup import StoreFormScreen
from pos_tui.services import product_import, store
from pos_tui.widgets.form import Field, Form
from pos_tui.widgets.keybar import KeyBar

#: Refused rows shown under the counts (the CLI's `--report` lists them all).
SHOWN = 4


class StoreThenImportScreen(StoreFormScreen):
    """The new store's form; once the store is saved, the product import follows."""

    def on_unmount(self) -> None:
        if store.get_store() is not None:  # saved (not left with Esc)
            self.app.call_later(self.app.push_screen, ProductImportScreen())


class ProductImportScreen(PosScreen):
    SCOPE = "product_import"
    BINDINGS = keys.bindings("product_import")
    FINISH = "check"

    def __init__(self) -> None:
        super().__init__()
        self.checked: tuple[str, str, str] | None = None  # what the last check was for
        self.valid = 0

    def compose(self) -> ComposeResult:
        yield Static(_("Import products"), classes="title")
        yield Static(_("A CSV or JSON file. Columns: odoo (Odoo's product export) or native (pos-tui's "
                       "own). Default taxes: for the rows that name none. The check writes nothing."))
        yield Form((
            Field("path", N_("File *"), placeholder=N_("/path/to/products.csv")),
            Field("profile", N_("Columns *"), "odoo"),
            Field("taxes", N_("Default taxes"), product_import.suggested_tax()),
        ))
        yield Static("", id="import-result")
        yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(Form).input("path").focus()

    def _request(self) -> tuple[str, str, str] | None:
        values = self.query_one(Form).values()
        path, profile, tax = (str(values[name]).strip() for name in ("path", "profile", "taxes"))
        form = self.query_one(Form)
        form.clear_errors()
        errors = {}
        if not path:
            errors["path"] = _("is required")
        if profile.lower() not in product_import.PROFILES:
            errors["profile"] = _("must be one of: {profiles}").format(profiles=", ".join(product_import.PROFILES))
        if errors:
            form.show_errors(ValidationError(errors))
            return None
        return path, profile.lower(), tax

    @after_typing
    def action_check(self) -> None:
        request = self._request()
        if request is None:
            return
        self.checked = None
        self.query_one(Message).say(_("Checking {path}…").format(path=request[0]))
        self.query_one("#import-result", Static).update("")
        self.run_import(request, apply=False)

    @after_typing
    def action_apply(self) -> None:
        request = self._request()
        if request is None:
            return
        if request != self.checked:
            self.query_one(Message).say(_("Check the file first ({key}).").format(key=keys.display("f5")), error=True)
            return
        if not self.valid:
            self.query_one(Message).say(_("No row to import."), error=True)
            return
        self.query_one(Message).say(_("Importing…"))
        self.run_import(request, apply=True)

    @work(exclusive=True, thread=True, group="product-import")
    def run_import(self, request: tuple[str, str, str], apply: bool) -> None:
        path, profile, tax = request
        try:
            result = product_import.import_products(path, profile=profile, apply=apply, skip_invalid=apply,
                                                    default_taxes=tax or None,
                                                    cashier_id=None)
        except PosError as exc:
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self.failed, exc)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_result, request, result)

    def failed(self, exc: PosError) -> None:
        if isinstance(exc, ValidationError) and "--tax" in exc.errors:
            self.query_one(Form).show_errors(ValidationError("taxes", exc.errors["--tax"]))
            self.query_one(Message).say(_("Please correct the marked fields."), error=True)
            return
        self.query_one(Message).fail(exc)

    def show_result(self, request: tuple[str, str, str], result: product_import.ProductImport) -> None:
        lines = [_("{rows} rows: {create} to create, {update} to update, {bad} refused.").format(
            rows=result.rows, create=result.to_create, update=result.to_update, bad=result.refused_rows)]
        for problem in result.refused[:SHOWN]:
            lines.append(_("Row {row}, {column}: {message}").format(row=problem.row, column=problem.column,
                                                                  message=problem.message))
        if len(result.refused) > SHOWN:
            lines.append(_("… {n} more (pos products import FILE --report REPORT.csv lists them all).").format(
                n=len(result.refused) - SHOWN))
        from rich.text import Text

        self.query_one("#import-result", Static).update(Text("\n".join(lines)))
        message = self.query_one(Message)
        if result.applied:
            self.checked = None
            self.valid = 0
            message.say(ngettext("{n} product imported. Esc: continue.", "{n} products imported. Esc: continue.",
                                 result.created + result.updated).format(n=result.created + result.updated))
            return
        self.checked = request
        self.valid = result.to_create + result.to_update
        if self.valid:
            left_out = _(" (the refused rows are left out)") if result.refused else ""
            message.say(_("{key}: import the {n} valid rows{left_out}.").format(
                key=keys.display("f10"), n=self.valid, left_out=left_out))
        else:
            message.say(_("No row can be imported: correct the file and check it again."), error=True)

    def action_close(self) -> None:
        self.dismiss()
