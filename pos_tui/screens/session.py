"""The till's session: open it with a float, see how it goes, close it by counting the cash."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Input, Label, Static

from pos_tui import keys
from pos_tui.db import local_time
from pos_tui.errors import PosError
from pos_tui.i18n import _
from pos_tui.money import parse_minor
from pos_tui.screens.base import Message, PosModal, PosScreen
from pos_tui.services import sessions
from pos_tui.services.payments import method_label
from pos_tui.services.sessions import SessionInfo


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
        yield Footer(compact=True)

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
                             "drawer, type it and press Enter.").format(till=self.pos.till,
                                                                        cashier=cashier))
            self.query_one("#float", Input).focus()
        else:
            money = self.pos.money
            lines = [
                _("Till {till} · opened {when} by {cashier}").format(
                    till=session.till, when=local_time(session.opened_at).strftime("%Y-%m-%d %H:%M"),
                    cashier=session.cashier_name),
                _("Opening float: {amount}").format(amount=money(session.opening_float_minor)),
                _("Sales: {count} · {total}").format(count=session.sales_count,
                                                      total=money(session.sales_total_minor)),
            ]
            for method, amount in sorted(session.totals_by_method.items()):
                lines.append(f"  {method_label(method)}: {money(amount)}")
            summary.update("\n".join(lines))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_session":
            return not self.is_open
        if action in ("sale", "close_session"):
            return self.is_open
        return True

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

    def action_close_session(self) -> None:
        def closed(result: SessionInfo | None) -> None:
            if result is not None:
                self.app.push_screen(SessionResultScreen(result), lambda _r: self.refresh_session())

        self.app.push_screen(CloseSessionDialog(), closed)

    def action_logout(self) -> None:
        self.pos.login_hint = ""
        self.pos.show_login()


class CloseSessionDialog(PosModal):
    """Counted cash first; the expected amount is shown only after counting."""

    SCOPE = "close_session"
    BINDINGS = keys.bindings("close_session")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Close session"), classes="title")
            yield Label(_("Cash counted in the drawer"))
            yield Input(id="counted", placeholder=self.zero(), compact=True)
            yield Message(id="message")
        yield Footer(compact=True)

    def action_confirm(self) -> None:
        try:
            counted = parse_minor(self.query_one("#counted", Input).value, _("counted cash"),
                                  self.pos.store.exponent)
            result = sessions.close_session(self.pos.till, counted)
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SessionResultScreen(PosModal):
    """Expected cash, counted cash and the difference of a closed session."""

    SCOPE = "session_result"
    BINDINGS = keys.bindings("session_result")

    def __init__(self, session: SessionInfo) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        money, s = self.pos.money, self.session
        difference = s.difference_minor or 0
        with Vertical(classes="dialog"):
            yield Static(_("Session closed"), classes="title")
            table = DataTable(show_cursor=False, id="close-result")
            table.can_focus = False
            table.add_columns(_("Cash"), _("Amount"))
            table.add_row(_("Expected"), money(s.expected_cash_minor))
            table.add_row(_("Counted"), money(s.counted_cash_minor or 0))
            table.add_row(_("Difference"), money(difference))
            yield table
            yield Static(_("Sales: {count} · {total}").format(count=s.sales_count,
                                                             total=money(s.sales_total_minor)))
            verdict = (_("The drawer is right.") if difference == 0 else
                       _("The drawer has {amount} more than expected.").format(amount=money(difference))
                       if difference > 0 else
                       _("The drawer is {amount} short.").format(amount=money(-difference)))
            yield Static(verdict, classes="error" if difference else "ok")
        yield Footer(compact=True)

    def action_done(self) -> None:
        self.dismiss(None)
