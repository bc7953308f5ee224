"""The receipt of the sale just paid; Enter starts the next sale."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from pos_tui import keys
from pos_tui.i18n import _
from pos_tui.screens.base import PosScreen
from pos_tui.services.receipts import Receipt, render_text
from pos_tui.widgets.keybar import KeyBar


class ReceiptScreen(PosScreen):
    SCOPE = "receipt"
    BINDINGS = keys.bindings("receipt")

    def __init__(self, receipt: Receipt) -> None:
        super().__init__()
        self.receipt = receipt

    def compose(self) -> ComposeResult:
        money = self.pos.money
        change = self.receipt.change_minor
        r = self.receipt
        if change:
            headline = _("Change due: {amount}").format(amount=money(change))
        elif r.kind == "refund":
            headline = _("Give back: {amount}").format(amount=money(-r.total_minor))
        elif r.kind == "account_payment":
            headline = _("Received on account: {amount}").format(amount=money(r.received_on_account_minor))
        else:
            headline = _("Paid: {amount}").format(amount=money(r.total_minor))
        yield Static(headline, id="receipt-change", classes="big")
        with VerticalScroll(id="receipt-box"):
            yield Static(render_text(self.receipt, self.pos.store.name, money), id="receipt")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#receipt-box").focus()

    def action_next_sale(self) -> None:
        self.dismiss(None)
