"""F2 on the sale: find the customer by name, phone, email or tax ID, or create a new one (F2)."""

from __future__ import annotations

from dataclasses import dataclass

from pos_tui import keys
from pos_tui.i18n import N_, _
from pos_tui.screens.base import Message
from pos_tui.screens.search import SearchScreen
from pos_tui.services import customers
from pos_tui.services.customers import CustomerInfo


@dataclass(frozen=True)
class Pick:
    """The picker's answer: a customer for the sale, or None to take the customer off it."""

    customer_id: int | None


class CustomerPickerScreen(SearchScreen[CustomerInfo]):
    SCOPE = "customer_picker"
    BINDINGS = keys.bindings("customer_picker")
    TITLE_TEXT = N_("Customer")
    PLACEHOLDER = N_("Name, phone, email or tax ID")
    COLUMNS = ((N_("Name"), 30), (N_("Phone"), 16), (N_("Tax ID"), 12), (N_("City"), 12))

    def find(self, text: str) -> list[CustomerInfo]:
        return customers.search_customers(text)

    def row(self, item: CustomerInfo) -> tuple:
        return item.name, item.phone, item.tax_id, item.city

    def nothing_found(self, text: str) -> str:
        return _("No customer matches “{text}”. F2 creates one.").format(text=text)

    def action_pick(self) -> None:
        customer = self.selected()
        if customer is None:
            self.query_one(Message).say(
                _("Nobody to pick: type to search, or F2 for a new customer."), error=True)
            return
        self.dismiss(Pick(customer.id))

    def action_new_customer(self) -> None:
        from pos_tui.screens.customer_form import CustomerFormScreen

        def created(customer_id: int | None) -> None:
            if customer_id is not None:
                self.dismiss(Pick(customer_id))

        self.app.push_screen(CustomerFormScreen(), created)

    def action_no_customer(self) -> None:
        self.dismiss(Pick(None))
