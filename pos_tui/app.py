"""The till: one Textual app per till process. It routes between screens and keeps who is
logged in; every rule is in `pos_tui.services`."""

from __future__ import annotations

from textual.app import App

from pos_tui import keys
from pos_tui.services import sessions, store
from pos_tui.services.cashiers import CashierInfo
from pos_tui.services.store import StoreInfo


class PosApp(App):
    """The point of sale. The database must already be open (`pos_tui.db.open_database`)."""

    CSS_PATH = "pos.tcss"
    TITLE = "pos-tui"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = keys.bindings("global")

    def __init__(self, till: str = "T1") -> None:
        super().__init__()
        self.till = sessions.check_till(till)
        self.cashier: CashierInfo | None = None
        self.store: StoreInfo | None = None
        #: A line for the login screen, e.g. the demo cashiers and their PINs.
        self.login_hint = ""

    def on_mount(self) -> None:
        self.store = store.get_store()
        if self.store is None:
            from pos_tui.screens.setup import SetupScreen

            self.push_screen(SetupScreen())
        else:
            self.show_login()

    # Routing between the main screens -----------------------------------------------------

    def _replace(self, screen) -> None:
        """Make `screen` the only screen above the default one."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(screen)

    def show_login(self) -> None:
        from pos_tui.screens.login import LoginScreen

        self.store = store.get_store()
        self.cashier = None
        self._replace(LoginScreen())

    def logged_in(self, cashier: CashierInfo) -> None:
        self.cashier = cashier
        self.show_till()

    def show_till(self) -> None:
        """The sale screen when the till has an open session, else the session screen."""
        if sessions.current_session(self.till) is None:
            self.show_session()
        else:
            self.show_sale()

    def show_session(self) -> None:
        from pos_tui.screens.session import SessionScreen

        self._replace(SessionScreen())

    def show_sale(self) -> None:
        from pos_tui.screens.sale import SaleScreen

        self._replace(SaleScreen())

    def money(self, minor: int) -> str:
        assert self.store is not None
        return self.store.money(minor)

    def action_help(self) -> None:
        from pos_tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(getattr(self.screen, "SCOPE", "global")))
