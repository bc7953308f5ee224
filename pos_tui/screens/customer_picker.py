"""F2 on the sale: find the customer by name, phone, email or tax ID, or create a new one (F2)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.widgets import Input

from pos_tui import keys
from pos_tui.i18n import N_, _
from pos_tui.screens.base import Message, after_typing, right
from pos_tui.screens.search import SearchScreen
from pos_tui.services import customers
from pos_tui.services.customers import CustomerInfo, CustomerSummary


@dataclass(frozen=True)
class Pick:
    """The picker's answer: a customer for the sale, or None to take the customer off it."""

    customer_id: int | None
    warnings: tuple[str, ...] = ()


class CustomerPickerScreen(SearchScreen[CustomerSummary]):
    SCOPE = "customer_picker"
    BINDINGS = keys.bindings("customer_picker")
    TITLE_TEXT = N_("Customer")
    PLACEHOLDER = N_("Name, phone, email or tax ID")
    COLUMNS = ((N_("Name"), 24), (N_("Phone"), 15), (N_("Tax ID"), 12), (N_("City"), 11),
               (N_("Points"), 6))

    def find(self, text: str) -> list[CustomerSummary]:
        return customers.search_customers(text)

    def row(self, item: CustomerSummary) -> tuple:
        return item.name, item.phone, item.tax_id, item.city, right(str(item.points))

    def nothing_found(self, text: str) -> str:
        return _("No customer matches “{text}”. F2 creates one.").format(text=text)

    @after_typing
    def action_pick(self) -> None:
        self.when_current(self.pick)

    def pick(self) -> None:
        customer = self.selected()
        if customer is None:
            self.query_one(Message).say(
                _("Nobody to pick: type to search, or F2 for a new customer."), error=True)
            return
        self.dismiss(Pick(customer.id))

    def action_new_customer(self) -> None:
        from pos_tui.screens.customer_form import CustomerFormScreen

        def created(customer: CustomerInfo | None) -> None:
            if customer is not None:
                self.dismiss(Pick(customer.id, customer.warnings))

        text = self.query_one("#query", Input).value.strip()
        initial = {"name": text} if text and not any(ch.isdigit() or ch == "@" for ch in text) else {}
        self.app.push_screen(CustomerFormScreen(initial=initial), created)

    def action_details(self) -> None:
        from pos_tui.screens.customer_detail import CustomerDetailScreen

        customer = self.selected()
        if customer is None:
            self.query_one(Message).say(_("Nobody selected."), error=True)
            return

        def closed(result) -> None:
            if isinstance(result, Pick):
                self.dismiss(result)
            else:
                self.search(self.query_one("#query", Input).value)

        self.app.push_screen(CustomerDetailScreen(customer.id, can_pick=True), closed)

    def action_no_customer(self) -> None:
        self.dismiss(Pick(None))

