"""Every key of the till in one place. Screens take their bindings from here, and the F1 help
reads the same table, so what the footer shows, what the help lists and what the keys do never
drift apart. Each key has an id, so a user keymap can rebind it (`App.set_keymap`)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from pos_tui.i18n import N_, _


@dataclass(frozen=True)
class Key:
    id: str
    key: str
    action: str
    description: str
    show: bool = True
    priority: bool = False
    key_display: str | None = None

    def binding(self) -> Binding:
        """The Textual binding. Its description stays the English msgid: the key bar translates it
        when it shows it, so a switch of language at login shows at once."""
        return Binding(self.key, self.action, self.description, show=self.show,
                       priority=self.priority, id=self.id,
                       key_display=self.key_display or display(self.key, footer=True))


KEYMAP: dict[str, tuple[Key, ...]] = {
    "global": (
        Key("app.help", "f1", "app.help", N_("Help"), priority=True),
        Key("app.quit", "ctrl+q", "app.quit", N_("Quit (a sale in progress is kept)"), show=False,
            priority=True),
    ),
    "setup": (
        Key("setup.demo", "d", "demo", N_("Load demo store")),
        Key("setup.new", "n", "new_store", N_("New store")),
        Key("setup.import", "i", "import_products", N_("New store, import products")),
        Key("setup.quit", "ctrl+q", "app.quit", N_("Quit"), priority=True),
    ),
    "store_form": (
        Key("store_form.next", "enter", "next_field", N_("Next"), priority=True),
        Key("store_form.save", "ctrl+s", "save", N_("Save")),
        Key("store_form.cancel", "escape", "cancel", N_("Back")),
    ),
    "product_import": (
        Key("product_import.next", "enter", "next_field", N_("Next"), priority=True),
        Key("product_import.check", "f5", "check", N_("Check the file")),
        Key("product_import.apply", "f10", "apply", N_("Import")),
        Key("product_import.close", "escape", "close", N_("Done")),
    ),
    "login": (
        Key("login.submit", "enter", "submit", N_("Log in"), priority=True),
        # TRANSLATORS: the key that switches the till to the other language: that language's own name.
        Key("login.language", "f2", "switch_language", N_("Español")),
        Key("login.up", "up", "cursor(-1)", N_("Previous cashier"), show=False),
        Key("login.down", "down", "cursor(1)", N_("Next cashier"), show=False),
        Key("login.quit", "ctrl+q", "app.quit", N_("Quit"), priority=True),
    ),
    "session": (
        Key("session.open", "enter", "open_session", N_("Open session"), priority=True),
        Key("session.sale", "f4", "sale", N_("Sale")),
        Key("session.cash", "f2", "move_cash(1)", N_("Cash")),
        Key("session.sales", "f6", "sales", N_("Sales")),
        Key("session.report", "f7", "report", N_("Report")),
        Key("session.close", "f9", "close_session", N_("Close")),
        Key("session.logout", "ctrl+l", "logout", N_("Log out")),
        Key("session.quit", "ctrl+q", "app.quit", N_("Quit"), priority=True),
    ),
    "close_session": (
        Key("close_session.next", "enter", "next_field", N_("Next"), priority=True),
        Key("close_session.count", "f2", "count_notes", N_("Count notes")),
        Key("close_session.confirm", "ctrl+s", "confirm", N_("Close")),
        Key("close_session.confirm_f10", "f10", "confirm", N_("Close"), show=False),
        Key("close_session.cancel", "escape", "cancel", N_("Cancel")),
    ),
    "sale": (
        Key("sale.add", "enter", "add_code", N_("Add"), priority=True),
        Key("sale.customer", "f2", "customer", N_("Customer")),
        Key("sale.products", "f3", "products", N_("Find")),
        Key("sale.details", "f4", "customer_details", N_("Info")),
        Key("sale.session", "f5", "session", N_("Session")),
        Key("sale.quantity", "f6", "quantity", N_("Qty")),
        Key("sale.invoice", "f7", "invoice", N_("Invoice")),
        Key("sale.remove", "f8", "remove_line", N_("Remove")),
        Key("sale.more", "f9", "more", N_("More")),
        Key("sale.pay", "f10", "pay", N_("Pay")),
        Key("sale.print", "f12", "print", N_("Print")),
        Key("sale.drawer", "ctrl+o", "drawer", N_("Drawer")),
        Key("sale.up", "up", "cursor(-1)", N_("Previous line"), show=False),
        Key("sale.down", "down", "cursor(1)", N_("Next line"), show=False),
        Key("sale.clear", "escape", "clear", N_("Clear input"), show=False),
    ),
    "customer_picker": (
        Key("picker.new", "f2", "new_customer", N_("New customer")),
        Key("picker.pick", "enter", "pick", N_("Pick"), priority=True),
        Key("picker.up", "up", "cursor(-1)", N_("Previous"), show=False),
        Key("picker.down", "down", "cursor(1)", N_("Next"), show=False),
        Key("picker.details", "f4", "details", N_("Details")),
        Key("picker.none", "f8", "no_customer", N_("No customer")),
        Key("picker.cancel", "escape", "cancel", N_("Back")),
    ),
    "duplicates": (
        Key("duplicates.use", "enter", "use", N_("Use this one"), priority=True),
        Key("duplicates.create", "f9", "create", N_("Create anyway")),
        Key("duplicates.cancel", "escape", "cancel", N_("Back to the form")),
    ),
    "customer_detail": (
        Key("detail.open", "enter", "open_order", N_("Open"), priority=True),
        Key("detail.edit", "f2", "edit", N_("Edit")),
        Key("detail.purchases", "f5", "tab('purchases')", N_("Sales")),
        Key("detail.points", "f3", "tab('points')", N_("Points")),
        Key("detail.profile", "f6", "tab('profile')", N_("Profile")),
        Key("detail.changes", "f7", "tab('changes')", N_("Log")),
        Key("detail.archive", "f8", "archive", N_("Archive")),
        Key("detail.use", "f10", "use", N_("Use")),
        Key("detail.back", "escape", "back", N_("Back")),
    ),
    "order_lines": (
        Key("order_lines.refund", "f9", "refund", N_("Refund")),
        Key("order_lines.close", "escape", "close", N_("Close")),
        Key("order_lines.close_enter", "enter", "close", N_("Close"), show=False),
    ),
    "customer_form": (
        Key("customer_form.save", "ctrl+s", "save", N_("Save")),
        Key("customer_form.save_f10", "f10", "save", N_("Save"), show=False),
        Key("customer_form.cancel", "escape", "cancel", N_("Cancel")),
    ),
    "product_search": (
        Key("products.add", "enter", "add", N_("Add"), priority=True),
        Key("products.up", "up", "cursor(-1)", N_("Previous"), show=False),
        Key("products.down", "down", "cursor(1)", N_("Next"), show=False),
        Key("products.cancel", "escape", "cancel", N_("Back")),
    ),
    "products": (
        Key("catalog.edit", "enter", "edit", N_("Edit"), priority=True),
        Key("catalog.new", "f2", "new", N_("New")),
        Key("catalog.archive", "f8", "archive", N_("Archive")),
        Key("catalog.up", "up", "cursor(-1)", N_("Previous"), show=False),
        Key("catalog.down", "down", "cursor(1)", N_("Next"), show=False),
        Key("catalog.back", "escape", "cancel", N_("Back")),
    ),
    "product_form": (
        Key("product_form.next", "enter", "next_field", N_("Next"), priority=True),
        Key("product_form.save", "ctrl+s", "save", N_("Save")),
        Key("product_form.save_f10", "f10", "save", N_("Save"), show=False),
        Key("product_form.cancel", "escape", "cancel", N_("Cancel")),
    ),
    "ask": (
        Key("ask.ok", "enter", "confirm", N_("OK"), priority=True),
        Key("ask.cancel", "escape", "cancel", N_("Cancel")),
    ),
    "confirm": (
        Key("confirm.yes", "enter", "yes", N_("Yes"), priority=True),
        Key("confirm.no", "escape", "no", N_("No")),
    ),
    "manager_pin": (
        Key("manager_pin.ok", "enter", "confirm", N_("Approve"), priority=True),
        Key("manager_pin.cancel", "escape", "cancel", N_("Cancel")),
    ),
    "more": (
        Key("more.discount", "d", "choose('discount')", N_("Line discount")),
        Key("more.order_discount", "o", "choose('order_discount')", N_("Sale discount")),
        Key("more.price", "p", "choose('price')", N_("Price")),
        Key("more.refund", "f", "choose('refund')", N_("Refund")),
        Key("more.account", "a", "choose('account')", N_("Pay on account")),
        Key("more.park", "k", "choose('park')", N_("Park")),
        Key("more.recall", "r", "choose('recall')", N_("Recall")),
        Key("more.void", "v", "choose('void')", N_("Void")),
        Key("more.session", "s", "choose('session')", N_("Session")),
        Key("more.products", "c", "choose('catalog')", N_("Products")),
        Key("more.cancel", "escape", "cancel", N_("Back")),
    ),
    "refund": (
        Key("refund.more", "right", "change(1)", N_("One more back"), key_display="→", priority=True),
        Key("refund.less", "left", "change(-1)", N_("One less"), key_display="←", priority=True),
        Key("refund.more_plus", "plus", "change(1)", N_("One more back"), show=False),
        Key("refund.less_minus", "minus", "change(-1)", N_("One less"), show=False),
        Key("refund.quantity", "f6", "quantity", N_("Qty back")),
        Key("refund.all", "a", "all", N_("All back")),
        Key("refund.method", "f2", "method", N_("Cash/original")),
        Key("refund.confirm", "f10", "confirm", N_("Refund")),
        Key("refund.cancel", "escape", "cancel", N_("Back")),
    ),
    "card_ref": (
        Key("card_ref.next", "enter", "next_field", N_("Next"), priority=True),
        Key("card_ref.save", "ctrl+s", "save", N_("OK")),
        Key("card_ref.cancel", "escape", "cancel", N_("Cancel")),
    ),
    "pay_on_account": (
        Key("pay_on_account.ok", "enter", "confirm", N_("Take it"), priority=True),
        Key("pay_on_account.cash", "f2", "method('cash')", N_("Cash")),
        Key("pay_on_account.card", "f3", "method('card')", N_("Card")),
        Key("pay_on_account.transfer", "f4", "method('transfer')", N_("Transfer")),
        Key("pay_on_account.cancel", "escape", "cancel", N_("Cancel")),
    ),
    "parked": (
        Key("parked.recall", "enter", "recall", N_("Recall"), priority=True),
        Key("parked.cancel", "escape", "cancel", N_("Back")),
    ),
    "in_progress": (
        Key("in_progress.park", "k", "choose('park')", N_("Park it")),
        Key("in_progress.void", "v", "choose('void')", N_("Void it")),
        Key("in_progress.back", "escape", "choose('')", N_("Back")),
    ),
    "cash_move": (
        Key("cash_move.next", "enter", "next_field", N_("Next"), priority=True),
        Key("cash_move.switch", "f2", "switch", N_("In/out")),
        Key("cash_move.save", "ctrl+s", "save", N_("Save")),
        Key("cash_move.cancel", "escape", "cancel", N_("Cancel")),
    ),
    "cash_count": (
        Key("cash_count.next", "enter", "next_field", N_("Next"), priority=True),
        Key("cash_count.done", "ctrl+s", "done", N_("Done")),
        Key("cash_count.cancel", "escape", "cancel", N_("Cancel")),
    ),
    "session_sales": (
        Key("session_sales.void", "f8", "void", N_("Void sale")),
        Key("session_sales.back", "escape", "back", N_("Back")),
    ),
    "zreport": (
        Key("zreport.done", "enter", "done", N_("OK")),
        Key("zreport.done_esc", "escape", "done", N_("OK"), show=False),
    ),
    "payment": (
        Key("payment.cash", "f2", "method('cash')", N_("Cash")),
        Key("payment.card", "f3", "method('card')", N_("Card")),
        Key("payment.transfer", "f4", "method('transfer')", N_("Transfer")),
        Key("payment.account", "f5", "method('account')", N_("Account")),
        Key("payment.card_ref", "f6", "card_ref", N_("Card ref")),
        Key("payment.points", "f7", "method('points')", N_("Points")),
        Key("payment.add", "enter", "add_payment", N_("Add"), priority=True),
        Key("payment.remove", "f8", "remove_payment", N_("Undo")),
        Key("payment.validate", "f10", "validate", N_("Pay")),
        Key("payment.cancel", "escape", "cancel", N_("Back")),
    ),
    "receipt": (
        Key("receipt.next", "enter", "next_sale", N_("Next sale")),
        Key("receipt.invoice", "f7", "invoice", N_("Invoice")),
        Key("receipt.print", "f12", "print", N_("Print again")),
        Key("receipt.next_esc", "escape", "next_sale", N_("Next sale"), show=False),
    ),
    "invoice": (
        Key("invoice.close", "escape", "close", N_("Close")),
        Key("invoice.close_enter", "enter", "close", N_("Close"), show=False),
    ),
    "help": (
        Key("help.close", "escape", "dismiss", N_("Close")),
        Key("help.close_f1", "f1", "dismiss", N_("Close"), show=False, priority=True),
    ),
}


_NAMES = {"escape": "Esc", "enter": "Enter", "up": "↑", "down": "↓", "left": "←", "right": "→", "delete": "Del",
          "plus": "+", "minus": "-"}


def display(key: str, footer: bool = False) -> str:
    """How a key is written for people: F10, Ctrl+S, Esc, ↑ (and ⏎ in the narrow footer)."""
    if footer and key == "enter":
        return "⏎"
    if footer and key.startswith("ctrl+"):
        return "^" + key[5:].upper()
    if key in _NAMES:
        return _NAMES[key]
    return "+".join(part.capitalize() if len(part) > 1 else part.upper() for part in key.split("+"))


def bindings(scope: str) -> list[Binding]:
    """The Textual bindings of one screen, from the table above. F1 is added to each, because
    Textual does not pass keys from a dialog on to the app."""
    own = [key.binding() for key in KEYMAP[scope]]
    if not any(key.key == "f1" for key in KEYMAP[scope]):
        own.append(KEYMAP["global"][0].binding())
    return own


def help_rows(scope: str) -> list[tuple[str, str]]:
    """(key, what it does) for the F1 help: the screen's own keys, then the global ones."""
    return [(key.key_display or display(key.key), _(key.description))
            for key in (*KEYMAP[scope], *KEYMAP["global"])]
