"""The first screen on an empty database: load the demo store, or set up a real one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from pos_tui import keys
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.screens.base import Message, PosScreen, after_typing
from pos_tui.services import demo, store
from pos_tui.widgets.form import Field, Form
from pos_tui.widgets.keybar import KeyBar


class SetupScreen(PosScreen):
    SCOPE = "setup"
    BINDINGS = keys.bindings("setup")

    def compose(self) -> ComposeResult:
        with Vertical(id="setup", classes="panel"):
            yield Static(_("Welcome to pos-tui"), classes="title")
            yield Static(_("This database has no store yet."))
            yield Static("")
            yield Static(_("[b]D[/b]  Load the demo store: a shop with 43 products, 20 customers "
                           "and two cashiers, to try the till."))
            yield Static(_("[b]N[/b]  Set up your own store: its name, country, currency and "
                           "the first cashier."))
            yield Static(_("[b]I[/b]  Set up your own store, then import its products from a file "
                           "(our own export or Odoo's)."))
            yield Message(id="message")
        yield KeyBar()

    def action_demo(self) -> None:
        try:
            summary = demo.load_demo()
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        people = ", ".join(_("{name} (PIN {pin}, {role})").format(name=n, pin=p, role=_(r))
                           for n, p, r in summary.cashiers)
        self.pos.login_hint = _("Demo store loaded. Log in as {people}.").format(people=people)
        self.pos.show_login()

    def action_new_store(self) -> None:
        self.app.push_screen(StoreFormScreen())

    def action_import_products(self) -> None:
        from pos_tui.screens.product_import import StoreThenImportScreen

        self.app.push_screen(StoreThenImportScreen())


class StoreFormScreen(PosScreen):
    """The store's name, country, currency, tax ID and address, and its first cashier (a manager)."""

    SCOPE = "store_form"
    BINDINGS = keys.bindings("store_form")
    FINISH = "save"
    FIELDS = (
        Field("store_name", N_("Store name *")),
        Field("country", N_("Country (ES, MX, US) *"), "ES"),
        Field("currency", N_("Currency (EUR, MXN…) *"), "EUR"),
        Field("tax_id", N_("Tax ID (NIF, RFC…)")),
        Field("address", N_("Address")),
        Field("cashier", N_("Manager's name *")),
        Field("pin", N_("PIN (4 to 8 digits) *"), password=True),
    )

    def compose(self) -> ComposeResult:
        yield Static(_("New store"), classes="title")
        yield Static(_("Country and currency as ISO codes. The first cashier is a manager: "
                       "they approve discounts, voids and cash differences."))
        yield Form(self.FIELDS)
        yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(Form).input("store_name").focus()

    @after_typing
    def action_save(self) -> None:
        form = self.query_one(Form)
        values = form.values()
        try:
            store.setup_store(values["store_name"], values["country"], values["currency"],
                              values["cashier"], values["pin"], tax_id=values["tax_id"],
                              address=values["address"])
        except ValidationError as exc:
            form.show_errors(exc)
            self.query_one(Message).say(_("Please correct the marked fields."), error=True)
            return
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.pos.login_hint = _("Store created. Log in as {name}.").format(name=values["cashier"].strip())
        self.pos.show_login()

    def action_cancel(self) -> None:
        self.dismiss()
