"""Everything about one customer: what they bought (history, figures, a year of spend at a
glance), their profile, and who changed it. Edit and archive from here."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Sparkline, Static, TabbedContent, TabPane

from pos_tui import keys, l10n
from pos_tui.db import local_time
from pos_tui.errors import PosError
from pos_tui.i18n import _
from pos_tui.money import format_rate
from pos_tui.screens.base import Message, PosModal, PosScreen, right
from pos_tui.services import audit, customer_stats, customers, loyalty
from pos_tui.services.customers import CustomerInfo
from pos_tui.services.payments import method_label
from pos_tui.widgets.keybar import KeyBar


def _when(value) -> str:
    return l10n.format_datetime(local_time(value)) if value else "—"


class CustomerDetailScreen(PosScreen):
    SCOPE = "customer_detail"
    BINDINGS = keys.bindings("customer_detail")

    def __init__(self, customer_id: int, can_pick: bool = False) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.can_pick = can_pick
        self.orders: list[customer_stats.OrderSummary] = []

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title", classes="title")
        with TabbedContent(id="detail-tabs"):
            with TabPane(_("Purchases"), id="purchases"):
                yield Static(id="figures")
                with Horizontal(id="spend-row"):
                    yield Static(_("12 months"), id="spark-label")
                    yield Sparkline([], id="spend")
                yield Static(id="top-products")
                table = DataTable(id="history", cursor_type="row", zebra_stripes=True)
                yield table
            with TabPane(_("Points"), id="points"):
                yield Static(id="points-summary")
                yield DataTable(id="ledger", cursor_type="row", zebra_stripes=True)
            with TabPane(_("Profile"), id="profile"):
                with VerticalScroll():
                    yield Static(id="profile-text")
            with TabPane(_("Changes"), id="changes"):
                with VerticalScroll():
                    yield Static(id="audit-text")
        yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#history", DataTable)
        table.add_column(_("Date"), width=16)
        table.add_column(_("Number"), width=12)
        table.add_column(_("Items"), width=6)
        table.add_column(_("Total"), width=12)
        self.reload()
        table.focus()

    def reload(self) -> None:
        customer = customers.get_customer(self.customer_id)
        self.customer = customer
        money = self.pos.money
        state = _(" (archived)") if customer.archived else ""
        self.query_one("#detail-title", Static).update(f"{customer.name}{state}")
        figures = customer_stats.stats(self.customer_id)
        self.query_one("#figures", Static).update(
            _("Spent {total} · {visits} visits · average {average} · last {last} · {points} points")
            .format(total=money(figures.total_spent_minor), visits=figures.visits,
                    average=money(figures.average_ticket_minor),
                    last=_when(figures.last_visit)[:10], points=customer.points))
        self.query_one("#spend", Sparkline).data = [amount for _month, amount in figures.monthly]
        top = ", ".join(f"{p.name} ×{self.pos.store.quantity(p.quantity, p.uom)}" for p in figures.top_products)
        self.query_one("#top-products", Static).update(_("Top: {products}").format(products=top or "—"))
        self.orders = customer_stats.history(self.customer_id)
        table = self.query_one("#history", DataTable)
        table.clear()
        for order in self.orders:
            table.add_row(_when(order.paid_at), order.number, right(str(order.items)),
                          right(money(order.total_minor)))
        self.show_points()
        self.query_one("#profile-text", Static).update(self.profile(customer))
        self.query_one("#audit-text", Static).update(self.changes())
        self.refresh_bindings()

    def show_points(self) -> None:
        status = loyalty.status(self.customer_id)
        self.query_one("#points-summary", Static).update(
            _("{points} points ({tier}), worth {value} · {soon} expire in the next 30 days").format(
                points=status.balance, tier=status.tier, value=self.pos.money(status.value_minor),
                soon=status.expiring_30_days))
        table = self.query_one("#ledger", DataTable)
        if not table.columns:
            for label, width in ((_("Date"), 16), (_("What"), 10), (_("Points"), 7), (_("Sale"), 12),
                                 (_("Expires"), 10), (_("Note"), 14)):
                table.add_column(label, width=width)
        table.clear()
        for line in loyalty.ledger(self.customer_id):
            table.add_row(_when(line.at), _(loyalty.KIND_LABELS.get(line.kind, line.kind)), right(f"{line.points:+d}"),
                          line.order_number or "", _when(line.expires_at)[:10] if line.expires_at else "",
                          line.reason or (line.cashier or ""))

    def profile(self, c: CustomerInfo) -> str:
        money = self.pos.money
        yes, no = _("yes"), _("no")
        address = ", ".join(part for part in (c.street, c.street2, c.postal_code, c.city, c.state,
                                              c.country) if part)
        rows = [
            (_("Name"), c.name), (_("Kind"), _("company") if c.is_company else _("person")),
            (_("Email"), c.email), (_("Phone"), c.phone), (_("Mobile"), c.mobile),
            (_("Address"), address), (_("Language"), c.language),
            (_("Preferred payment"), method_label(c.preferred_payment) if c.preferred_payment else ""),
            (_("Tax ID"), f"{c.tax_id_display} ({c.tax_country})" if c.tax_id else ""),
            (_("Fiscal name"), c.fiscal_name), (_("Needs an invoice"), yes if c.needs_invoice else no),
            *((key, value) for key, value in c.fiscal_extra.items()),
            (_("Discount"), format_rate(c.discount_bp) if c.discount_bp else ""),
            (_("Credit limit"), money(c.credit_limit_minor) if c.credit_limit_minor else ""),
            (_("Payment terms"), _("{n} days").format(n=c.payment_terms_days) if c.payment_terms_days else ""),
            (_("Special terms"), c.special_terms), (_("Loyalty card"), c.loyalty_card or ""),
            (_("Marketing consent"), (_("yes, since {when}").format(when=_when(c.marketing_consent_at))
                                      if c.marketing_consent else no)),
            (_("Notes"), c.notes), (_("Customer since"), _when(c.created_at)),
        ]
        return "\n".join(f"[b]{escape(str(label))}[/b]: {escape(str(value))}" for label, value in rows if value)

    def changes(self) -> str:
        lines = []
        for entry in reversed(audit.history("customer", self.customer_id)):
            details = []
            for field, change in entry.changes.items():
                if isinstance(change, list) and len(change) == 2:
                    details.append(f"{field}: {change[0]!r} → {change[1]!r}")
                else:
                    details.append(f"{field}: {change}")
            who = escape(entry.cashier or _("admin"))
            lines.append(f"[b]{_when(entry.at)}[/b] {who} · {entry.action}\n  {escape('; '.join(details))}")
        return "\n".join(lines) or _("No changes recorded.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "use":
            customer = getattr(self, "customer", None)
            return self.can_pick and customer is not None and not customer.archived
        return True

    # Actions ---------------------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one("#detail-tabs", TabbedContent).active = tab
        focus = {"purchases": "#history", "points": "#ledger"}.get(tab)
        if focus:
            self.query_one(focus, DataTable).focus()

    def action_open_order(self) -> None:
        row = self.query_one("#history", DataTable).cursor_row
        if self.query_one("#detail-tabs", TabbedContent).active != "purchases" or not self.orders:
            return
        order = self.orders[row]
        self.app.push_screen(OrderLinesDialog(order))

    def action_edit(self) -> None:
        from pos_tui.screens.customer_form import CustomerFormScreen

        def saved(result: CustomerInfo | None) -> None:
            if result is not None:
                self.reload()
                warnings = " · ".join(result.warnings)
                self.query_one(Message).say(_("Saved.") + (f" {warnings}" if warnings else ""),
                                            error=bool(warnings))

        self.app.push_screen(CustomerFormScreen(self.customer), saved)

    def action_archive(self) -> None:
        cashier = self.pos.cashier.id if self.pos.cashier else None
        try:
            info = customers.archive_customer(self.customer_id, cashier, not self.customer.archived)
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.reload()
        self.query_one(Message).say(_("Archived: no longer found by searches; sales are kept.")
                                    if info.archived else _("Restored."))

    def action_use(self) -> None:
        from pos_tui.screens.customer_picker import Pick

        if self.can_pick and not self.customer.archived:
            self.dismiss(Pick(self.customer_id))

    def action_back(self) -> None:
        self.dismiss(None)


class OrderLinesDialog(PosModal):
    """The lines of one past sale."""

    SCOPE = "order_lines"
    BINDINGS = keys.bindings("order_lines")

    def __init__(self, order: customer_stats.OrderSummary) -> None:
        super().__init__()
        self.order = order

    def compose(self) -> ComposeResult:
        money = self.pos.money
        with Vertical(classes="dialog wide"):
            yield Static(_("Sale {number} · {when}").format(number=self.order.number,
                                                           when=_when(self.order.paid_at)),
                         classes="title")
            table = DataTable(id="order-lines", show_cursor=False)
            table.can_focus = False
            table.add_column(_("Product"), width=30)
            table.add_column(_("Qty"), width=10)
            table.add_column(_("Price"), width=10)
            table.add_column(_("Total"), width=10)
            for line in customer_stats.order_lines(self.order.id):
                table.add_row(line.name, right(self.pos.store.quantity(line.quantity, line.uom)),
                              right(self.pos.store.unit_price(line.unit_price_minor, line.uom)),
                              right(money(line.total_minor)))
            yield table
            yield Static(_("TOTAL {amount}").format(amount=money(self.order.total_minor)), classes="big")
        yield KeyBar()

    def action_refund(self) -> None:
        from pos_tui.screens.receipt import ReceiptScreen
        from pos_tui.screens.refund import RefundScreen

        def refunded(receipt) -> None:
            if receipt is not None:
                self.app.push_screen(ReceiptScreen(receipt))

        self.app.push_screen(RefundScreen(self.order.id), refunded)

    def action_close(self) -> None:
        self.dismiss(None)
