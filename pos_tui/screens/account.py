"""A customer pays towards what they owe on account: the amount, how they pay, Enter."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from pos_tui import keys
from pos_tui.errors import PosError
from pos_tui.i18n import _
from pos_tui.money import format_plain, parse_minor
from pos_tui.screens.base import Message, PosModal, after_typing
from pos_tui.services import credit
from pos_tui.services.payments import CASH, method_label
from pos_tui.widgets.keybar import KeyBar


class PayOnAccountDialog(PosModal):
    SCOPE = "pay_on_account"
    BINDINGS = keys.bindings("pay_on_account")

    def __init__(self, customer_id: int, name: str) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.customer_name = name
        self.method = CASH

    def compose(self) -> ComposeResult:
        owed = credit.balance(self.customer_id)
        store = self.pos.store
        with Vertical(classes="dialog"):
            yield Static(_("Payment on account: {name}").format(name=self.customer_name), classes="title")
            yield Static(_("Owes {amount}.").format(amount=self.pos.money(owed)))
            yield Label(id="how")
            yield Input(format_plain(owed, store.exponent, store.locale) if owed else "", id="amount", compact=True)
            yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.show_method()
        self.query_one("#amount", Input).select_all()

    def show_method(self) -> None:
        self.query_one("#how", Label).update(_("Amount paid in {method}").format(
            method=method_label(self.method).lower()))

    def action_method(self, method: str) -> None:
        self.method = method
        self.show_method()

    @after_typing
    def action_confirm(self) -> None:
        try:
            amount = parse_minor(self.query_one("#amount", Input).value, _("amount"), self.pos.store.exponent,
                                 allow_zero=False)
            receipt = credit.receive_payment(self.customer_id, amount, self.method, self.pos.till,
                                             self.pos.cashier.id if self.pos.cashier else None)
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.dismiss(receipt)

    def action_cancel(self) -> None:
        self.dismiss(None)
