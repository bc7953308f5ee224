"""F10 on the sale: take the money. Cash, card or transfer, split as the customer likes; the sale
commits only when the payments cover the total, and cash shows the change due."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Label, Static

from pos_tui import keys
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.money import cash_due, format_plain, parse_minor
from pos_tui.screens.base import Message, PosModal, PosScreen, after_typing
from pos_tui.services import loyalty, sales
from pos_tui.services.payments import (
    ACCOUNT,
    CARD,
    CASH,
    METHODS,
    POINTS,
    Tender,
    card_reference,
    method_label,
    plan_payments,
)
from pos_tui.services.sales import SaleView
from pos_tui.widgets.form import Field, Form
from pos_tui.widgets.keybar import KeyBar


class PaymentScreen(PosScreen):
    SCOPE = "payment"
    BINDINGS = keys.bindings("payment")

    def __init__(self, sale: SaleView) -> None:
        super().__init__()
        self.sale = sale
        self.tenders: list[Tender] = []
        self.card_ref: tuple[str, str] = ("", "")  # last 4 digits and authorisation code, for the next card
        self.offered = ""  # the amount the screen put in the field (not typed by the cashier)
        preferred = sale.customer.preferred_payment if sale.customer else ""
        self.method = preferred if preferred in METHODS else CASH
        self.plan = plan_payments(sale.total_minor, [], sales.cash_increment())

    def compose(self) -> ComposeResult:
        yield Static(_("Payment"), classes="title")
        with Vertical(id="payment"):
            yield Static(id="due", classes="big")
            yield Label(id="method-label")
            yield Input(id="amount", compact=True)
            yield Static(id="change", classes="big")
            table = DataTable(id="payments", show_cursor=False)
            table.can_focus = False
            yield table
        yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#payments", DataTable)
        table.add_column(_("Method"), width=14)
        table.add_column(_("Tendered"), width=14)
        table.add_column(_("Counts"), width=14)
        table.add_column(_("Change"), width=14)
        self.refresh_plan()
        self.query_one("#amount", Input).focus()

    @property
    def exponent(self) -> int:
        return self.pos.store.exponent

    def refresh_plan(self) -> None:
        money, plan = self.pos.money, self.plan
        table = self.query_one("#payments", DataTable)
        table.clear()
        for line in plan.lines:
            table.add_row(method_label(line.method), money(line.tendered_minor),
                          money(line.amount_minor), money(line.change_minor))
        due = plan.remaining_minor
        cash = cash_due(due, sales.cash_increment())
        self.query_one("#due", Static).update(
            _("Total {total} · paid {paid} · due {due}").format(
                total=money(plan.total_minor), paid=money(plan.paid_minor), due=money(due))
            + (" " + _("(in cash {cash})").format(cash=money(cash)) if cash != due else ""))
        self.query_one("#change", Static).update(
            _("Change due: {amount}").format(amount=money(plan.change_minor)) if plan.change_minor else "")
        self.offer()
        self.show_method()

    def offer(self) -> None:
        """Put what is due in the amount field, selected: typing replaces it, F10 takes it."""
        due = self.plan.remaining_minor
        if self.method == CASH:
            due = cash_due(due, sales.cash_increment())
        elif self.method == POINTS and self.sale.customer is not None:
            due = min(due, self.points_money_left())
        field = self.query_one("#amount", Input)
        field.value = format_plain(due, self.exponent, self.pos.store.locale) if self.plan.remaining_minor else ""
        field.select_all()
        self.offered = field.value

    def points_money_left(self) -> int:
        """What the customer's points not yet used on this payment are worth."""
        rules = loyalty.current_rules()
        used = sum(loyalty.points_for_money(t.amount_minor, rules) for t in self.tenders if t.method == POINTS)
        return loyalty.money_for_points(max(0, loyalty.balance(self.sale.customer.id) - used), rules)

    def show_method(self) -> None:
        method = method_label(self.method).lower()
        if self.method == POINTS and self.sale.customer is not None:
            rules = loyalty.current_rules()
            left = self.points_money_left()
            method += " " + _("(worth up to {amount}: {points} points)").format(
                amount=self.pos.money(left), points=loyalty.points_for_money(left, rules) if left else 0)
        if self.method == CARD and self.card_ref[0]:
            method += f" ****{self.card_ref[0]}"
        label = (_("Amount in {method} (Enter adds it, F10 pays)").format(method=method)
                 if not self.plan.complete else _("Fully paid: F10 completes the sale."))
        self.query_one("#method-label", Label).update(label)

    @after_typing
    def action_method(self, method: str) -> None:
        field = self.query_one("#amount", Input)
        typed = field.value
        self.method = method
        self.show_method()
        if not typed or typed == self.offered:
            self.offer()
        field.select_all()

    def add(self, text: str) -> bool:
        try:
            minor = parse_minor(text, _("amount"), self.exponent, allow_zero=False)
            last4, auth = self.card_ref if self.method == CARD else ("", "")
            tender = Tender(self.method, minor, last4, auth)
            plan = plan_payments(self.sale.total_minor, [*self.tenders, tender], sales.cash_increment())
        except PosError as exc:
            self.query_one(Message).fail(exc)
            self.query_one("#amount", Input).select_all()
            return False
        self.tenders.append(tender)
        if self.method == CARD:
            self.card_ref = ("", "")
        self.plan = plan
        self.query_one(Message).say("")
        self.refresh_plan()
        return True

    @after_typing
    def action_add_payment(self) -> None:
        self.add(self.query_one("#amount", Input).value)

    def action_card_ref(self) -> None:
        def typed(ref: tuple[str, str] | None) -> None:
            if ref is not None:
                self.card_ref = ref
                self.action_method(CARD)

        self.app.push_screen(CardReferenceDialog(), typed)

    def action_remove_payment(self) -> None:
        if self.tenders:
            self.tenders.pop()
            self.plan = plan_payments(self.sale.total_minor, self.tenders, sales.cash_increment())
            self.refresh_plan()

    @after_typing
    def action_validate(self) -> None:
        typed = self.query_one("#amount", Input).value.strip()
        if not self.plan.complete and typed and not self.add(typed):
            return
        if not self.plan.complete:
            self.query_one(Message).say(_("Still due: {amount}").format(
                amount=self.pos.money(self.plan.remaining_minor)), error=True)
            return
        cashier = self.pos.cashier.id if self.pos.cashier else None
        self.with_approval(
            lambda pin: sales.checkout(self.sale.uuid, self.tenders, cashier_id=cashier, manager_pin=pin),
            self.dismiss, self.query_one(Message).fail)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "method" and parameters and parameters[0] in (ACCOUNT, POINTS):
            return self.sale.customer is not None  # only a customer has an account, or points
        return True

    def action_cancel(self) -> None:
        self.dismiss(None)


class CardReferenceDialog(PosModal):
    """From the card terminal's slip: the card's last four digits and the authorisation code."""

    SCOPE = "card_ref"
    BINDINGS = keys.bindings("card_ref")
    FINISH = "save"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Card payment reference"), classes="title")
            yield Form([Field("card_last4", N_("Last 4 digits")), Field("auth_code", N_("Authorisation code"))])
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(Form).input("card_last4").focus()

    @after_typing
    def action_save(self) -> None:
        form = self.query_one(Form)
        values = form.values()
        try:
            self.dismiss(card_reference(str(values["card_last4"]), str(values["auth_code"])))
        except ValidationError as exc:
            form.show_errors(exc)

    def action_cancel(self) -> None:
        self.dismiss(None)
