"""Who is at the till: cashier name and PIN."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, Label, Static

from pos_tui import keys
from pos_tui.errors import PosError
from pos_tui.i18n import _
from pos_tui.screens.base import Message, PosScreen
from pos_tui.services import cashiers


class LoginScreen(PosScreen):
    SCOPE = "login"
    BINDINGS = keys.bindings("login")

    def compose(self) -> ComposeResult:
        store = self.pos.store
        with Vertical(id="login", classes="panel"):
            yield Static(store.name if store else "pos-tui", classes="title")
            yield Static(_("Till {till}").format(till=self.pos.till))
            if self.pos.login_hint:
                yield Static(self.pos.login_hint, classes="hint")
            yield Label(_("Cashier"))
            yield Input(id="name", placeholder=_("Your name"), compact=True)
            yield Label(_("PIN"))
            yield Input(id="pin", password=True, compact=True)
            yield Message(id="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        names = [c.name for c in cashiers.list_cashiers()]
        if len(names) == 1:
            self.query_one("#name", Input).value = names[0]
            self.query_one("#pin", Input).focus()
        else:
            self.query_one("#name", Input).focus()

    def action_submit(self) -> None:
        name, pin = self.query_one("#name", Input), self.query_one("#pin", Input)
        if self.focused is name and not pin.value:
            pin.focus()
            return
        try:
            cashier = cashiers.authenticate(name.value, pin.value)
        except PosError as exc:
            pin.value = ""
            pin.focus()
            self.query_one(Message).fail(exc)
            return
        self.pos.logged_in(cashier)
