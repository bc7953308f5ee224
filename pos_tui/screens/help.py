"""F1: every key of the screen underneath, read from the one key table."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from pos_tui import keys
from pos_tui.i18n import _
from pos_tui.screens.base import PosModal
from pos_tui.widgets.keybar import KeyBar


class HelpScreen(PosModal):
    SCOPE = "help"
    BINDINGS = keys.bindings("help")

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def compose(self) -> ComposeResult:
        with Vertical(id="help", classes="dialog"):
            yield Static(_("Keys"), classes="title")
            table = DataTable(show_cursor=False, id="help-keys")
            table.can_focus = False
            table.add_columns(_("Key"), _("Action"))
            for key, description in keys.help_rows(self.scope):
                table.add_row(key, description)
            yield table
        yield KeyBar()
