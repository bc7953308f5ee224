"""The till's parked sales; Enter brings one back."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from pos_tui import keys, l10n
from pos_tui.db import local_time
from pos_tui.i18n import _
from pos_tui.screens.base import PosModal, right
from pos_tui.services.sales import ParkedSale
from pos_tui.widgets.keybar import KeyBar


class ParkedPicker(PosModal):
    SCOPE = "parked"
    BINDINGS = keys.bindings("parked")

    def __init__(self, parked: list[ParkedSale]) -> None:
        super().__init__()
        self.parked = parked

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(_("Parked sales"), classes="title")
            table = DataTable(id="parked", cursor_type="row")
            table.add_column(_("Since"), width=8)
            table.add_column(_("Customer"), width=30)
            table.add_column(_("Items"), width=6)
            table.add_column(_("Total"), width=12)
            for sale in self.parked:
                table.add_row(l10n.format_time(local_time(sale.created_at)), sale.customer or "—",
                              right(str(sale.items)), right(self.pos.money(sale.total_minor)))
            yield table
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#parked", DataTable).focus()

    def action_recall(self) -> None:
        row = self.query_one("#parked", DataTable).cursor_row
        self.dismiss(self.parked[row].id)

    def action_cancel(self) -> None:
        self.dismiss(None)
