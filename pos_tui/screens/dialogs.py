"""Small questions asked on top of a screen: a value, a yes or no, a manager's PIN."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from pos_tui import keys
from pos_tui.errors import PosError
from pos_tui.quantity import KG, UNITS, editable
from pos_tui.i18n import _
from pos_tui.screens.base import Message, PosModal, after_typing
from pos_tui.services.approvals import WrongManagerPin
from pos_tui.services.sales import parse_quantity
from pos_tui.widgets.keybar import KeyBar


class AskDialog(PosModal):
    """One value, typed and checked by `parse` (which raises a PosError naming the problem)."""

    SCOPE = "ask"
    BINDINGS = keys.bindings("ask")

    def __init__(self, title: str, label: str, parse: Callable[[str], Any], initial: str = "",
                 password: bool = False, placeholder: str = "") -> None:
        super().__init__()
        self.title_text, self.label, self.parse = title, label, parse
        self.initial, self.password, self.placeholder = initial, password, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="title")
            yield Label(self.label)
            yield Input(self.initial, id="answer", compact=True, password=self.password,
                        placeholder=self.placeholder)
            yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#answer", Input).select_all()

    @after_typing
    def action_confirm(self) -> None:
        field = self.query_one("#answer", Input)
        try:
            value = self.parse(field.value)
        except PosError as exc:
            self.query_one(Message).fail(exc)
            field.select_all()
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


def QuantityDialog(product_name: str, quantity: Decimal | int, uom: str = UNITS,  # noqa: N802 - a screen
                   locale: str = "en_US") -> AskDialog:
    """A new quantity for the selected line: whole for Units, decimals for a weighed line (0,750)."""
    label = _("Quantity") if uom == UNITS else _("Quantity ({unit})").format(unit=_(uom))
    return AskDialog(product_name, label, lambda text: parse_quantity(text, _("quantity"), uom),
                     editable(quantity, uom, locale))


def WeightDialog(product_name: str, price: str, uom: str = KG,  # noqa: N802 - a screen
                 locale: str = "en_US") -> AskDialog:
    """The weight of a product sold by weight, scanned or chosen without it: kg with a decimal
    comma or point, at most the unit's decimals (3 for kg)."""
    return AskDialog(f"{product_name} · {price}", _("Weight ({unit})").format(unit=_(uom)),
                     lambda text: parse_quantity(text, _("weight"), uom),
                     placeholder=editable(Decimal("0.750"), uom, locale))


class ConfirmDialog(PosModal):
    """A yes or no: Enter says yes, Esc says no."""

    SCOPE = "confirm"
    BINDINGS = keys.bindings("confirm")

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="title")
        yield KeyBar()

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


@dataclass(frozen=True)
class Approved:
    """What the approved call returned (a dialog cannot dismiss with None and mean "done")."""

    result: Any


class ManagerPinDialog(PosModal):
    """A manager types their PIN on the spot; the call is retried with it. A wrong PIN keeps the
    dialog open; Esc gives up and nothing is written."""

    SCOPE = "manager_pin"
    BINDINGS = keys.bindings("manager_pin")

    def __init__(self, reason: str, attempt: Callable[[str], Any]) -> None:
        super().__init__()
        self.reason = reason
        self.attempt = attempt

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Manager's approval"), classes="title")
            yield Static(self.reason)
            yield Label(_("Manager's PIN"))
            yield Input(id="pin", password=True, compact=True)
            yield Message(id="message")
        yield KeyBar()

    @after_typing
    def action_confirm(self) -> None:
        field = self.query_one("#pin", Input)
        try:
            result = self.attempt(field.value)
        except WrongManagerPin as exc:
            self.query_one(Message).fail(exc)
            field.value = ""
            return
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.dismiss(Approved(result))

    def action_cancel(self) -> None:
        self.dismiss(None)
