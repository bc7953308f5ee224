"""The receipt of the sale just paid; Enter starts the next sale."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from pos_tui import keys
from pos_tui.i18n import _
from pos_tui.screens.base import PosModal, PosScreen
from pos_tui.services import invoices, printing
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "invoice":
            return self.receipt.invoice_number is not None and self.receipt.invoice_kind != "simplified"
        if action == "print":
            if not hasattr(self, "_has_printer"):
                self._has_printer = printing.get_printer(self.receipt.till) is not None
            return self._has_printer
        return True

    def action_print(self) -> None:
        """F12: this receipt again (its job, if it still waits; else a copy)."""
        job_id = printing.reprint(self.receipt.order_id)
        if job_id is not None:
            self.pos.print_jobs([job_id], announce=True)

    def action_invoice(self) -> None:
        self.app.push_screen(InvoiceScreen(self.receipt.invoice_number))

    def action_next_sale(self) -> None:
        self.dismiss(None)


class InvoiceScreen(PosModal):
    """The invoice as issued (its frozen data), on screen."""

    SCOPE = "invoice"
    BINDINGS = keys.bindings("invoice")

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number

    def compose(self) -> ComposeResult:
        view = invoices.get_invoice(self.number)
        with Vertical(classes="dialog wide tall"):
            with VerticalScroll(id="invoice-box"):
                yield Static(invoices.render_text(view, self.pos.money, width=70), id="invoice")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#invoice-box").focus()

    def action_close(self) -> None:
        self.dismiss(None)
