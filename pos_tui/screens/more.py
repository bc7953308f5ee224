"""F9 on the sale: the actions a cashier needs now and then, each on one letter."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from pos_tui import keys
from pos_tui.i18n import N_, _
from pos_tui.screens.base import PosModal
from pos_tui.widgets.keybar import KeyBar

ENTRIES = (
    ("D", N_("Discount on the selected line")),
    ("O", N_("Discount on the whole sale")),
    ("P", N_("Change the selected line's price (a manager approves)")),
    ("F", N_("Refund a past sale (or scan its receipt number)")),
    ("A", N_("The customer pays what they owe on account")),
    ("K", N_("Park this sale (set it aside)")),
    ("R", N_("Recall a parked sale")),
    ("V", N_("Void this sale (throw the cart away)")),
    ("S", N_("Session: cash in and out, sales, close (F5)")),
    ("C", N_("Products: find, add, change (a manager approves)")),
)


class MoreMenu(PosModal):
    SCOPE = "more"
    BINDINGS = keys.bindings("more")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("More"), classes="title")
            for letter, label in ENTRIES:
                yield Static(f"[b]{letter}[/b]  {_(label)}")
        yield KeyBar()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)
