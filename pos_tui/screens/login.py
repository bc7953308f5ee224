"""Who is at the till: pick your name with ↑/↓, type your PIN, Enter.

The PIN field keeps the focus the whole time, so nothing typed can land in the wrong place,
however fast it comes.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static

from pos_tui import i18n, keys
from pos_tui.errors import PosError
from pos_tui.i18n import _
from pos_tui.screens.base import Message, PosScreen, after_typing
from pos_tui.services import cashiers
from pos_tui.widgets.keybar import KeyBar


class LoginScreen(PosScreen):
    SCOPE = "login"
    BINDINGS = keys.bindings("login")

    def compose(self) -> ComposeResult:
        store = self.pos.store
        self.people = cashiers.list_cashiers()
        with Vertical(id="login", classes="panel"):
            yield Static(store.name if store else "pos-tui", classes="title")
            yield Static(_("Till {till}").format(till=self.pos.till))
            yield Static(_("Language: {language}").format(language=i18n.NAMES[i18n.get_language()]),
                         id="language", classes="hint")
            if self.pos.login_hint:
                yield Static(self.pos.login_hint, classes="hint")
            yield Label(_("Cashier (↑/↓)"))
            names = OptionList(*[f"{c.name}" + (f"  ({_(c.role)})" if c.role == "manager" else "")
                                 for c in self.people], id="names", compact=True)
            names.can_focus = False
            yield names
            yield Label(_("PIN"))
            yield Input(id="pin", password=True, compact=True)
            yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        names = self.query_one("#names", OptionList)
        names.highlighted = 0 if self.people else None
        self.query_one("#pin", Input).focus()

    def action_cursor(self, delta: int) -> None:
        names = self.query_one("#names", OptionList)
        if self.people:
            names.highlighted = max(0, min(len(self.people) - 1, (names.highlighted or 0) + delta))

    def action_switch_language(self) -> None:
        """F2: the till in the other language; every screen from here on speaks it."""
        languages = i18n.LANGUAGES
        index = languages.index(i18n.get_language()) if i18n.get_language() in languages else 0
        self.pos.switch_language(languages[(index + 1) % len(languages)])

    @after_typing
    def action_submit(self) -> None:
        pin = self.query_one("#pin", Input)
        index = self.query_one("#names", OptionList).highlighted
        if index is None:
            self.query_one(Message).say(_("No cashier yet: add one with `pos cashier add`."), error=True)
            return
        try:
            cashier = cashiers.authenticate(self.people[index].name, pin.value)
        except PosError as exc:
            pin.value = ""
            self.query_one(Message).fail(exc)
            return
        self.pos.logged_in(cashier)
