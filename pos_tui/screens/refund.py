"""A past sale's lines, to bring some back: choose how many of each, then pay the money back to
the original methods (or in cash)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from pos_tui import keys, l10n
from pos_tui.db import local_time
from pos_tui.errors import PosError
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
        self.back: dict[int, int] = {}
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
        for label, width in ((_("Product"), 30), (_("Sold"), 5), (_("Back before"), 11), (_("Back now"), 8),
                             (_("Amount"), 11)):
            table.add_column(label, width=width)
        self.redraw()
        table.focus()

    def redraw(self) -> None:
        table = self.query_one("#refund-lines", DataTable)
        row = table.cursor_row
        table.clear()
        for line in self.sale.lines:
            now_ = self.back.get(line.line_id, 0)
            table.add_row(line.name, right(str(line.sold)), right(str(line.returned)), right(str(now_)),
                          right(self.pos.money(now_ * line.unit_total_minor)))
        table.move_cursor(row=min(row, len(self.sale.lines) - 1))
        estimate = sum(self.back.get(line.line_id, 0) * line.unit_total_minor for line in self.sale.lines)
        how = _("to the original methods") if self.method == refunds.ORIGINAL else _("in cash")
        self.query_one("#refund-total", Static).update(
            _("To pay back: about {amount}, {how}").format(amount=self.pos.money(estimate), how=how))

    def selected(self):
        return self.sale.lines[self.query_one("#refund-lines", DataTable).cursor_row]

    def action_change(self, delta: int) -> None:
        line = self.selected()
        wanted = self.back.get(line.line_id, 0) + delta
        if not 0 <= wanted <= line.returnable:
            self.query_one(Message).say(_("{name}: at most {n} can come back.").format(
                name=line.name, n=line.returnable), error=True)
            return
        self.back[line.line_id] = wanted
        self.query_one(Message).say("")
        self.redraw()

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
