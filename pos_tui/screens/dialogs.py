"""Small questions asked on top of a screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, Label, Static

from pos_tui import keys
from pos_tui.errors import PosError
from pos_tui.i18n import _
from pos_tui.screens.base import Message, PosModal
from pos_tui.services.sales import parse_quantity


class QuantityDialog(PosModal):
    """A new quantity for the selected line."""

    SCOPE = "quantity"
    BINDINGS = keys.bindings("quantity")

    def __init__(self, product_name: str, quantity: int) -> None:
        super().__init__()
        self.product_name = product_name
        self.quantity = quantity

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.product_name, classes="title")
            yield Label(_("Quantity"))
            yield Input(str(self.quantity), id="quantity", compact=True)
            yield Message(id="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#quantity", Input).select_all()

    def action_confirm(self) -> None:
        try:
            quantity = parse_quantity(self.query_one("#quantity", Input).value, _("quantity"))
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.dismiss(quantity)

    def action_cancel(self) -> None:
        self.dismiss(None)
