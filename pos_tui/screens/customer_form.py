"""The new customer form. Saving creates the customer; the picker then puts them on the sale."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Input, Static

from pos_tui import keys
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.screens.base import Message, PosScreen
from pos_tui.services import customers
from pos_tui.widgets.form import Field, Form

FIELDS = (
    Field("name", N_("Name *")),
    Field("phone", N_("Phone")),
    Field("email", N_("Email")),
    Field("street", N_("Street")),
    Field("city", N_("City")),
    Field("postal_code", N_("Postal code")),
    Field("country", N_("Country (ISO code)")),
    Field("tax_id", N_("Tax ID")),
)


class CustomerFormScreen(PosScreen):
    SCOPE = "customer_form"
    BINDINGS = keys.bindings("customer_form")

    def compose(self) -> ComposeResult:
        yield Static(_("New customer"), classes="title")
        yield Form(FIELDS)
        yield Message(id="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        form = self.query_one(Form)
        if self.pos.store:
            form.input("country").value = self.pos.store.country
        form.input("name").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def action_save(self) -> None:
        form = self.query_one(Form)
        try:
            customer = customers.create_customer(form.values())
        except ValidationError as exc:
            form.show_errors(exc)
            self.query_one(Message).say(_("Please correct the marked fields."), error=True)
            return
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.dismiss(customer.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
