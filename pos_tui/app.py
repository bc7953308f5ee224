"""The till: one Textual app per till process. It routes between screens and keeps who is
logged in; every rule is in `pos_tui.services`."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from textual.app import App

from pos_tui import db, i18n, keys
from pos_tui.errors import PosError
from pos_tui.i18n import _, ngettext
from pos_tui.services import printing, sessions, store
from pos_tui.services.cashiers import CashierInfo
from pos_tui.services.receipts import Receipt
from pos_tui.services.store import StoreInfo


class PosApp(App):
    """The point of sale. The database must already be open (`pos_tui.db.open_database`)."""

    CSS_PATH = "pos.tcss"
    TITLE = "pos-tui"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = keys.bindings("global")

    def __init__(self, till: str = "T1", language: str | None = None) -> None:
        super().__init__()
        if language is not None:
            i18n.set_language(language)
        self.till = sessions.check_till(till)
        self.cashier: CashierInfo | None = None
        #: The cashier a manager allowed to change the products (until they log out).
        self.products_approved_for: int | None = None
        self.store: StoreInfo | None = None
        #: A line for the login screen, e.g. the demo cashiers and their PINs.
        self.login_hint = ""
        #: What the printer last said went wrong, until it prints again (shown on the sale screen).
        self.printer_problem = ""
        self._print_requests: list[tuple[tuple[int, ...] | None, bool]] = []
        self._print_lock = threading.Lock()
        self._printing = False

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
        self.products_approved_for = None
        self._replace(LoginScreen())

    def switch_language(self, language: str) -> None:
        """The till in `language` from now on (at login): the login screen is drawn again in it,
        and the store's amounts and dates follow (its country, the new language)."""
        i18n.set_language(language)
        self.show_login()

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

    # Printing: the sale is already committed; the printer is talked to by a thread worker ----------

    def print_receipt(self, receipt: Receipt) -> None:
        """Queue a paid sale's receipt (when the till has a printer) and print it in the background."""
        try:
            job_id = printing.enqueue_receipt(receipt)
        except PosError as exc:
            self.printer_said(exc.message)
            return
        if job_id is not None:
            self.print_jobs([job_id])

    def print_jobs(self, job_ids: Iterable[int] | None = None, announce: bool = False) -> None:
        """Print these queued jobs (None: all the till's waiting jobs) in a thread worker, never on
        the screen's thread; `announce`: say so when they printed, too."""
        with self._print_lock:
            self._print_requests.append((tuple(job_ids) if job_ids is not None else None, announce))
            if self._printing:
                return  # the running worker takes it next
            self._printing = True
        self.run_worker(self._print_worker, name="printing", group="printing", thread=True, exit_on_error=False)

    def _print_worker(self) -> None:
        try:
            while True:
                with self._print_lock:
                    if not self._print_requests:
                        self._printing = False
                        return
                    job_ids, announce = self._print_requests.pop(0)
                try:
                    result = printing.drain(self.till, job_ids)
                except Exception as exc:  # the database, a bug: say it, keep the till going
                    result = printing.DrainResult(error=str(exc) or type(exc).__name__)
                self.call_from_thread(self._printed, result, announce)
        except BaseException:  # the app is closing: let a later request start a new worker
            with self._print_lock:
                self._printing = False
            raise
        finally:
            db.close_database()  # this thread's own connection

    def _printed(self, result: printing.DrainResult, announce: bool) -> None:
        if result.error:
            text = result.error
            if result.pending:
                text += " " + ngettext("{n} receipt waits: F12 prints it.", "{n} receipts wait: F12 prints them.",
                                       result.pending).format(n=result.pending)
            self.printer_said(text)
            return
        if not result.pending:
            self.printer_problem = ""
        if result.warning:
            self.tell(result.warning, error=True)
        elif announce and result.printed:
            self.tell(_("Printed: {numbers}.").format(numbers=", ".join(result.numbers)) if result.numbers
                      else _("Drawer opened."))

    def printer_said(self, text: str) -> None:
        """A printer problem: kept for the sale screen's message line, and told now."""
        self.printer_problem = _("Printer: {problem}").format(problem=text)
        self.tell(text, error=True)

    def tell(self, text: str, error: bool = False) -> None:
        """On the sale screen, its message line; on any other screen, a notice in the corner."""
        from pos_tui.screens.sale import SaleScreen

        if isinstance(self.screen, SaleScreen):
            self.screen.say(_("Printer: {problem}").format(problem=text) if error else text, error=error)
        else:
            self.notify(text, title=_("Printer"), severity="error" if error else "information",
                        timeout=8 if error else 3, markup=False)

    def action_help(self) -> None:
        from pos_tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(getattr(self.screen, "SCOPE", "global")))
