"""A past sale's lines, to bring some back: choose how many of each, then pay the money back to
the original methods (or in cash)."""

from __future__ import annotations

from decimal import Decimal

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from pos_tui import keys, l10n, quantity
from pos_tui.db import local_time
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import _
from pos_tui.screens.base import Message, PosScreen, right
from pos_tui.services import refunds
from pos_tui.services.payments import method_label
from pos_tui.widgets.keybar import KeyBar


class RefundScreen(PosScreen):
    SCOPE = "refund"
    BINDINGS = keys.bindings("refund")

    def __init__(self, order_id: int) -> None:
        super().__init__()
        self.order_id = order_id
        self.sale = refunds.refundable(order_id)
        self.back: dict[int, Decimal] = {}
        self.method = refunds.ORIGINAL

    def compose(self) -> ComposeResult:
        s = self.sale
        when = l10n.format_datetime(local_time(s.paid_at))
        yield Static(_("Refund of sale {number} · {when}").format(number=s.number, when=when), classes="title")
        yield Static(_("Customer: {name} · paid {total} by {methods}{invoice}").format(
            name=s.customer or "—", total=self.pos.money(s.total_minor),
            methods=", ".join(method_label(m).lower() for m in s.methods),
            invoice=" · " + _("invoice {number}").format(number=s.invoice_number) if s.invoice_number else ""))
        yield DataTable(id="refund-lines", cursor_type="row", zebra_stripes=True)
        yield Static(id="refund-total", classes="big")
        yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#refund-lines", DataTable)
        for label, width in ((_("Product"), 22), (_("Sold"), 10), (_("Back before"), 14), (_("Back now"), 12),
                             (_("Amount"), 10)):
            table.add_column(label, width=width)
        self.redraw()
        table.focus()

    def redraw(self) -> None:
        table = self.query_one("#refund-lines", DataTable)
        row = table.cursor_row
        table.clear()
        shown = self.pos.store.quantity
        for line in self.sale.lines:
            now_ = self.back.get(line.line_id, 0)
            table.add_row(line.name, right(shown(line.sold, line.uom)), right(shown(line.returned, line.uom)),
                          right(shown(now_, line.uom)), right(self.pos.money(line.amount_for(now_))))
        table.move_cursor(row=min(row, len(self.sale.lines) - 1))
        estimate = sum(line.amount_for(self.back.get(line.line_id, 0)) for line in self.sale.lines)
        how = _("to the original methods") if self.method == refunds.ORIGINAL else _("in cash")
        self.query_one("#refund-total", Static).update(
            _("To pay back: about {amount}, {how}").format(amount=self.pos.money(estimate), how=how))

    def selected(self):
        return self.sale.lines[self.query_one("#refund-lines", DataTable).cursor_row]

    def action_change(self, delta: int) -> None:
        line = self.selected()
        if line.weighed:  # part of a weight comes back: it is typed
            self.action_quantity()
            return
        wanted = self.back.get(line.line_id, 0) + delta
        if not 0 <= wanted <= line.returnable:
            self.query_one(Message).say(_("{name}: at most {n} can come back.").format(
                name=line.name, n=line.returnable), error=True)
            return
        self.back[line.line_id] = wanted
        self.query_one(Message).say("")
        self.redraw()

    def action_quantity(self) -> None:
        """Type how much of the selected line comes back: part of a weight (0,250 of 0,750 kg), or a
        number of Units; never more than can still come back."""
        from pos_tui.screens.dialogs import AskDialog

        line = self.selected()
        most = self.pos.store.quantity(line.returnable, line.uom)

        def parse(text: str) -> Decimal:
            value = quantity.parse(text, line.uom, _("quantity"), allow_zero=True)
            if value > line.returnable:
                raise ValidationError(_("quantity"), _("at most {n} can come back").format(n=most))
            return value

        def chosen(value: Decimal | None) -> None:
            if value is not None:
                self.back[line.line_id] = value
                self.query_one(Message).say("")
                self.redraw()

        label = _("Quantity back (at most {n})").format(n=most)
        current = self.back.get(line.line_id, 0)
        self.app.push_screen(AskDialog(line.name, label, parse, quantity.plain(current) if current else ""), chosen)

    def action_all(self) -> None:
        self.back = {line.line_id: line.returnable for line in self.sale.lines}
        self.redraw()

    def action_method(self) -> None:
        self.method = refunds.IN_CASH if self.method == refunds.ORIGINAL else refunds.ORIGINAL
        self.redraw()

    def action_confirm(self) -> None:
        cashier = self.pos.cashier.id if self.pos.cashier else None
        try:
            receipt = refunds.refund(self.order_id, self.back, self.pos.till, cashier, self.method)
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.dismiss(receipt)

    def action_cancel(self) -> None:
        self.dismiss(None)
