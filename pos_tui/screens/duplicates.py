"""Saving found customers who may be the same person: use one of them, or create anyway."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from pos_tui import keys
from pos_tui.i18n import _
from pos_tui.screens.base import PosModal
from pos_tui.services.customers import Duplicate
from pos_tui.widgets.keybar import KeyBar


@dataclass(frozen=True)
class UseExisting:
    customer_id: int


class DuplicatesDialog(PosModal):
    SCOPE = "duplicates"
    BINDINGS = keys.bindings("duplicates")

    def __init__(self, candidates: list[Duplicate], editing: bool = False) -> None:
        super().__init__()
        self.candidates = candidates
        self.editing = editing  # an edit cannot "use" another customer: only save anyway or go back

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (self.editing and action == "use")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(_("Already a customer?"), classes="title")
            yield Static(_("These customers look like the one you are saving.")
                         + (" " + _("F9 saves anyway.") if self.editing else ""))
            table = DataTable(id="candidates", cursor_type="row")
            table.add_column(_("Name"), width=26)
            table.add_column(_("Phone"), width=14)
            table.add_column(_("Why"), width=28)
            for candidate in self.candidates:
                table.add_row(candidate.customer.name, candidate.customer.phone,
                              ", ".join(candidate.reasons))
            yield table
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#candidates", DataTable).focus()

    def action_use(self) -> None:
        row = self.query_one("#candidates", DataTable).cursor_row
        self.dismiss(UseExisting(self.candidates[row].customer.id))

    def action_create(self) -> None:
        self.dismiss("create")

    def action_cancel(self) -> None:
        self.dismiss(None)
