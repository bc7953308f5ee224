"""The till's session: open it with a float, put cash in or take it out, see its sales, close it
by counting every payment method (cash note by note if wished), and read its Z report."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Label, Static

from pos_tui import keys, l10n
from pos_tui.db import local_time
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.money import DENOMINATIONS, format_plain, parse_minor
from pos_tui.screens.base import Message, PosModal, PosScreen, after_typing, right
from pos_tui.services import sales, sessions, zreport
from pos_tui.services.payments import CARD, CASH, TRANSFER, method_label
from pos_tui.services.sessions import SessionInfo
from pos_tui.widgets.form import Field, Form
from pos_tui.widgets.keybar import KeyBar


class SessionScreen(PosScreen):
    SCOPE = "session"
    BINDINGS = keys.bindings("session")
    is_open = False

    def compose(self) -> ComposeResult:
        with Vertical(id="session", classes="panel"):
            yield Static(_("Session"), classes="title")
            yield Static(id="summary")
            yield Label(_("Opening float (cash in the drawer)"), id="float-label")
            yield Input(id="float", placeholder=self.zero(), compact=True)
            yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.refresh_session()

    def on_screen_resume(self) -> None:
        self.refresh_session()

    @property
    def session(self) -> SessionInfo | None:
        return sessions.current_session(self.pos.till)

    def refresh_session(self) -> None:
        session = self.session
        summary = self.query_one("#summary", Static)
        opening = session is None
        self.is_open = not opening
        self.query_one("#float", Input).display = opening
        self.query_one("#float-label", Label).display = opening
        cashier = self.pos.cashier.name if self.pos.cashier else ""
        if opening:
            summary.update(_("Till {till} has no open session. {cashier}, count the cash in the "
                             "drawer, type it and press Enter.").format(till=self.pos.till, cashier=cashier))
            self.query_one("#float", Input).focus()
        else:
            money = self.pos.money
            lines = [
                _("Till {till} · opened {when} by {cashier}").format(
                    till=session.till, when=l10n.format_datetime(local_time(session.opened_at)),
                    cashier=session.cashier_name),
                _("Opening float: {amount}").format(amount=money(session.opening_float_minor)),
                _("Sales: {count} · {total}").format(count=session.sales_count,
                                                      total=money(session.sales_total_minor)),
            ]
            for method, amount in sorted(session.totals_by_method.items()):
                lines.append(f"  {method_label(method)}: {money(amount)}")
            if session.cash_moves_minor:
                lines.append(_("Cash in/out: {amount}").format(amount=money(session.cash_moves_minor)))
            summary.update("\n".join(lines))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_session":
            return not self.is_open
        if action in ("sale", "close_session", "move_cash", "sales", "report"):
            return self.is_open
        return True

    def say(self, text: str, error: bool = False) -> None:
        self.query_one(Message).say(text, error)

    @after_typing
    def action_open_session(self) -> None:
        field = self.query_one("#float", Input)
        try:
            minor = parse_minor(field.value or "0", _("opening float"), self.pos.store.exponent)
            sessions.open_session(self.pos.till, self.pos.cashier.id, minor)
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.pos.show_sale()

    def action_sale(self) -> None:
        self.pos.show_sale()

    def action_move_cash(self, sign: int) -> None:
        def moved(info: SessionInfo | None) -> None:
            if info is not None:
                self.refresh_session()
                self.say(_("Done. The drawer should now hold {amount}.").format(
                    amount=self.pos.money(info.expected_cash_minor)))

        self.app.push_screen(CashMoveDialog(sign), moved)

    def action_sales(self) -> None:
        self.app.push_screen(SessionSalesScreen(self.session.id), lambda _r: self.refresh_session())

    def action_report(self) -> None:
        self.app.push_screen(ZReportScreen(self.session.id, _("Report so far (X)")))

    def action_close_session(self) -> None:
        def closed(result: SessionInfo | None) -> None:
            if result is not None:
                self.app.push_screen(ZReportScreen(result.id, _("Session closed")),
                                     lambda _r: self.refresh_session())

        self.app.push_screen(CloseSessionDialog(self.session), closed)

    def action_logout(self) -> None:
        self.pos.login_hint = ""
        self.pos.show_login()


class CashMoveDialog(PosModal):
    """Cash in or out of the drawer outside a sale, with the reason. F2 switches in and out."""

    SCOPE = "cash_move"
    BINDINGS = keys.bindings("cash_move")
    FINISH = "save"

    def __init__(self, sign: int) -> None:
        super().__init__()
        self.sign = 1 if sign > 0 else -1

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(id="direction", classes="title")
            yield Form([Field("amount", N_("Amount"), placeholder=self.zero()),
                        Field("reason", N_("Reason"))])
            yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.show_direction()
        self.query_one(Form).input("amount").focus()

    def show_direction(self) -> None:
        self.query_one("#direction", Static).update(_("Cash in") if self.sign > 0 else _("Cash out"))

    def action_switch(self) -> None:
        self.sign = -self.sign
        self.show_direction()

    @after_typing
    def action_save(self) -> None:
        form = self.query_one(Form)
        values = form.values()
        try:
            amount = parse_minor(str(values["amount"]), "amount", self.pos.store.exponent, allow_zero=False)
            info = sessions.move_cash(self.pos.till, self.sign * amount, str(values["reason"]),
                                      self.pos.cashier.id if self.pos.cashier else None)
        except ValidationError as exc:
            form.show_errors(exc)
            return
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.dismiss(info)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CloseSessionDialog(PosModal):
    """What the drawer and the card terminal hold, counted before the expected amounts are shown."""

    SCOPE = "close_session"
    BINDINGS = keys.bindings("close_session")
    FINISH = "confirm"
    METHODS = (CASH, CARD, TRANSFER)

    def __init__(self, session: SessionInfo) -> None:
        super().__init__()
        self.session = session
        self.cash_count: dict[int, int] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Close session"), classes="title")
            yield Static(_("Count what the drawer holds; card and transfer as the terminal and the bank "
                           "say (left empty: as the sales say)."))
            yield Form([Field(method, method_label(method), placeholder=self.zero() if method == CASH else "")
                        for method in self.METHODS])
            yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(Form).input(CASH).focus()

    def action_count_notes(self) -> None:
        currency = self.pos.store.currency
        if currency not in DENOMINATIONS:
            self.query_one(Message).say(_("No notes and coins known for {currency}: type the total.")
                                        .format(currency=currency), error=True)
            return

        def counted(count: dict[int, int] | None) -> None:
            if count is not None:
                self.cash_count = count
                store = self.pos.store
                total = sessions.count_cash(count)
                self.query_one(Form).input(CASH).value = format_plain(total, store.exponent, store.locale)
                self.query_one(Form).input(CARD).focus()

        self.app.push_screen(CashCountDialog(DENOMINATIONS[currency]), counted)

    def counted(self) -> dict[str, int]:
        form, exp = self.query_one(Form), self.pos.store.exponent
        amounts, errors = {}, {}
        for method, text in form.values().items():
            if method == CASH or str(text).strip():
                try:
                    amounts[method] = parse_minor(str(text), method, exp)
                except ValidationError as exc:
                    errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        return amounts

    @after_typing
    def action_confirm(self) -> None:
        form = self.query_one(Form)
        form.clear_errors()
        try:
            amounts = self.counted()
        except ValidationError as exc:
            form.show_errors(exc)
            return
        cash_count = self.cash_count
        if cash_count and sessions.count_cash(cash_count) != amounts[CASH]:
            cash_count = None  # the total was typed over the count: the total is what was counted
        cashier = self.pos.cashier.id if self.pos.cashier else None

        def close(pin: str | None) -> SessionInfo:
            return sessions.close_session(self.pos.till, amounts, cashier, cash_count=cash_count, manager_pin=pin)

        def failed(exc: PosError) -> None:
            if isinstance(exc, sessions.SaleInProgress):
                self.app.push_screen(SaleInProgressDialog(exc.order_id), self.after_sale_put_away)
            else:
                self.query_one(Message).fail(exc)

        self.with_approval(close, self.dismiss, failed)

    def after_sale_put_away(self, done: bool | None) -> None:
        if done:
            self.action_confirm()

    def action_cancel(self) -> None:
        self.dismiss(None)


class SaleInProgressDialog(PosModal):
    """The till cannot close with a sale in progress: park it (to finish in the next session) or
    void it, here and now."""

    SCOPE = "in_progress"
    BINDINGS = keys.bindings("in_progress")

    def __init__(self, order_id: int) -> None:
        super().__init__()
        self.order_id = order_id

    def compose(self) -> ComposeResult:
        sale = sales.get_sale(self.order_id)
        with Vertical(classes="dialog"):
            yield Static(_("A sale is in progress"), classes="title")
            yield Static(_("{items} items, {total}{customer}. Park it to finish it later, or void it.").format(
                items=sale.item_count, total=self.pos.money(sale.total_minor),
                customer=f" · {sale.customer_name}" if sale.customer_name else ""))
            yield Message(id="message")
        yield KeyBar()

    def action_choose(self, choice: str) -> None:
        if not choice:
            self.dismiss(False)
            return
        try:
            (sales.park_sale if choice == "park" else sales.void_draft)(self.order_id)
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.dismiss(True)


class CashCountDialog(PosModal):
    """How many of each note and coin; the total adds up as you type."""

    SCOPE = "cash_count"
    BINDINGS = keys.bindings("cash_count")
    FINISH = "done"

    def __init__(self, denominations: tuple[int, ...]) -> None:
        super().__init__()
        self.denominations = denominations

    def compose(self) -> ComposeResult:
        money = self.pos.money
        with Vertical(classes="dialog tall"):
            yield Static(_("Count notes and coins"), classes="title")
            yield Form([Field(f"d{value}", money(value), placeholder="0") for value in self.denominations])
            yield Static(id="count-total", classes="big")
            yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(Form).input(f"d{self.denominations[0]}").focus()
        self.show_total()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show_total()

    def count(self) -> dict[int, int]:
        result, errors = {}, {}
        for name, text in self.query_one(Form).values().items():
            text = str(text).strip()
            if not text:
                continue
            if not (text.isascii() and text.isdigit()):
                errors[name] = _("type how many, a whole number")
                continue
            if int(text):
                result[int(name[1:])] = int(text)
        if errors:
            raise ValidationError(errors)
        return result

    def show_total(self) -> None:
        try:
            total = sessions.count_cash(self.count())
        except ValidationError:
            return
        self.query_one("#count-total", Static).update(_("Total: {amount}").format(amount=self.pos.money(total)))

    @after_typing
    def action_done(self) -> None:
        try:
            self.dismiss(self.count())
        except ValidationError as exc:
            self.query_one(Form).show_errors(exc)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SessionSalesScreen(PosScreen):
    """The session's sales; a paid one can be voided with a manager's PIN."""

    SCOPE = "session_sales"
    BINDINGS = keys.bindings("session_sales")

    def __init__(self, session_id: int) -> None:
        super().__init__()
        self.session_id = session_id
        self.rows: list = []

    def compose(self) -> ComposeResult:
        yield Static(_("Sales of this session"), classes="title")
        yield DataTable(id="session-sales", cursor_type="row", zebra_stripes=True)
        yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#session-sales", DataTable)
        for label, width in ((_("Time"), 6), (_("Number"), 12), (_("Customer"), 28), (_("Total"), 12),
                             (_("State"), 10)):
            table.add_column(label, width=width)
        self.reload()
        table.focus()

    def reload(self) -> None:
        self.rows = sales.session_sales(self.session_id)
        table = self.query_one("#session-sales", DataTable)
        table.clear()
        for row in self.rows:
            table.add_row(l10n.format_time(local_time(row.paid_at)), row.number, row.customer or "—",
                          right(self.pos.money(row.total_minor)), _(row.state))

    def action_void(self) -> None:
        from pos_tui.screens.dialogs import ConfirmDialog

        if not self.rows:
            return
        row = self.rows[self.query_one("#session-sales", DataTable).cursor_row]
        if row.state != "paid":
            self.query_one(Message).say(_("Sale {number} is already {state}.").format(
                number=row.number, state=_(row.state)), error=True)
            return
        cashier = self.pos.cashier.id if self.pos.cashier else None

        def answered(yes: bool | None) -> None:
            if yes:
                self.with_approval(lambda pin: sales.void_paid(row.order_id, cashier, pin),
                                   lambda _r: (self.reload(), self.query_one(Message).say(
                                       _("Sale {number} voided: give the money back.").format(number=row.number))),
                                   self.query_one(Message).fail)

        self.app.push_screen(ConfirmDialog(_("Void sale {number} ({total})? Enter: yes · Esc: no").format(
            number=row.number, total=self.pos.money(row.total_minor))), answered)

    def action_back(self) -> None:
        self.dismiss(None)


class ZReportScreen(PosModal):
    SCOPE = "zreport"
    BINDINGS = keys.bindings("zreport")

    def __init__(self, session_id: int, title: str) -> None:
        super().__init__()
        self.session_id = session_id
        self.title_text = title

    def compose(self) -> ComposeResult:
        store = self.pos.store
        report = zreport.z_report(self.session_id)
        diff = report.session.difference_minor
        with Vertical(classes="dialog tall"):
            yield Static(self.title_text, classes="title")
            if diff is not None:
                verdict = (_("The drawer is right.") if diff == 0 else
                           _("The drawer has {amount} more than expected.").format(amount=self.pos.money(diff))
                           if diff > 0 else _("The drawer is {amount} short.").format(amount=self.pos.money(-diff)))
                yield Static(verdict, classes="error" if diff else "ok")
            with VerticalScroll(id="zreport-box"):
                yield Static(zreport.render_text(report, store.name, self.pos.money), id="zreport")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#zreport-box").focus()

    @after_typing
    def action_done(self) -> None:
        self.dismiss(None)

