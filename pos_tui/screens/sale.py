"""The sale: scan, see the cart and the total, set the customer, pay. The code input keeps the
focus, so a scanner or the keyboard always lands in it."""

from __future__ import annotations

from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from pos_tui import keys, quantity
from pos_tui.errors import NotFound, PosError
from pos_tui.i18n import _, ngettext
from pos_tui.money import format_plain, format_rate, parse_minor
from pos_tui.screens.base import Message, PosScreen, after_typing, right
from pos_tui.services import catalog, customers, invoices, printing, refunds, sales, sessions
from pos_tui.services.receipts import Receipt
from pos_tui.services.sales import LineView, SaleView
from pos_tui.services.validation import percent
from pos_tui.widgets.keybar import KeyBar


class SaleScreen(PosScreen):
    SCOPE = "sale"
    BINDINGS = keys.bindings("sale")

    def __init__(self) -> None:
        super().__init__()
        self.sale: SaleView | None = None
        self._printer: tuple[printing.PrinterInfo | None] | None = None  # read once, when first needed

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        yield Static(id="customer")
        yield Input(id="code", placeholder=_("Scan or type a barcode or SKU · 3*CODE adds three"))
        table = DataTable(id="cart", cursor_type="row", zebra_stripes=True)
        table.can_focus = False
        yield table
        yield Message(id="message")
        with Horizontal(id="totals"):
            yield Static(id="items")
            yield Static(id="total")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#cart", DataTable)
        table.add_column(_("Product"), key="name", width=33)
        table.add_column(_("Qty"), key="qty", width=10)
        table.add_column(_("Price"), key="price", width=13)
        table.add_column(_("Total"), key="total", width=12)
        self.show(sales.current_sale(self.pos.till, self.pos.cashier.id if self.pos.cashier else None))
        self.query_one("#code", Input).focus()

    # Showing the sale ------------------------------------------------------------------

    def show(self, sale: SaleView, select_line: int | None = None) -> None:
        previous = self.selected_line()
        self.sale = sale
        money = self.pos.money
        table = self.query_one("#cart", DataTable)
        table.clear()
        store = self.pos.store
        for line in sale.lines:  # a weighed line: 0,750 kg × 3,20 €/kg
            price = store.unit_price(line.unit_price_minor, line.uom)
            table.add_row(line.name, right(store.quantity(line.quantity, line.uom)),
                          right(price if line.uom == quantity.UNITS else f"× {price}"),
                          right(money(line.total_minor)), key=str(line.id))
        index = sale.line_index(select_line if select_line is not None else
                                previous.id if previous else None)
        if index is None and sale.lines:
            index = len(sale.lines) - 1
        if index is not None:
            table.move_cursor(row=index)
        session = sessions.current_session(self.pos.till)
        cashier = self.pos.cashier.name if self.pos.cashier else ""
        store = self.pos.store.name if self.pos.store else ""
        state = _("session open") if session else _("no session: F5")
        self.query_one("#status", Static).update(
            f"{store} · {_('Till')} {self.pos.till} · {cashier} · {state}")
        self.query_one("#customer", Static).update(self.customer_line(sale))
        self.query_one("#items", Static).update(
            ngettext("{n} item", "{n} items", sale.item_count).format(n=sale.item_count))
        self.query_one("#total", Static).update(_("TOTAL {amount}").format(amount=money(sale.total_minor)))
        self.refresh_bindings()

    def customer_line(self, sale: SaleView) -> str:
        customer = sale.customer
        if customer is None:
            return _("No customer · F2 to pick or create one")
        parts = [_("Customer: {name}").format(name=customer.name)]
        if sale.discount_bp:
            parts.append(_("discount {rate}: −{amount}").format(
                rate=format_rate(sale.discount_bp), amount=self.pos.money(sale.discount_minor)))
        parts.append(_("{points} points ({tier})").format(points=customer.points, tier=customer.tier))
        if customer.owed_minor or customer.credit_limit_minor:
            parts.append(_("owes {owed} of {limit}").format(owed=self.pos.money(customer.owed_minor),
                                                            limit=self.pos.money(customer.credit_limit_minor)))
        if customer.special_terms:
            parts.append(_("Terms: {terms}").format(terms=" ".join(customer.special_terms.split())))
        if sale.invoice_requested:
            parts.insert(1, _("INVOICE"))
        return " · ".join(parts)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "customer_details":
            return self.sale is not None and self.sale.customer is not None
        if action in ("print", "drawer"):  # no printer: the till is as it always was
            if self._printer is None:
                self._printer = (printing.get_printer(self.pos.till),)
            printer = self._printer[0]
            return printer is not None and (action == "print" or printer.drawer)
        return True

    def selected_line(self) -> LineView | None:
        if self.sale is None or not self.sale.lines:
            return None
        row = self.query_one("#cart", DataTable).cursor_row
        if 0 <= row < len(self.sale.lines):
            return self.sale.lines[row]
        return None

    def say(self, text: str, error: bool = False) -> None:
        self.query_one(Message).say(text, error)

    def run(self, change, *args) -> bool:
        """Call a sales service with the current sale; show the result or the refusal."""
        try:
            result = change(self.sale.id, *args)
        except PosError as exc:
            self.say(exc.message, error=True)
            return False
        sale, line_id = result if isinstance(result, tuple) else (result, None)
        self.show(sale, line_id)
        return True

    # Actions -----------------------------------------------------------------------------

    @after_typing
    def action_add_code(self) -> None:
        field = self.query_one("#code", Input)
        if not field.value.strip():
            self.say(_("Scan a barcode or type a SKU, then Enter."))
            return
        try:
            result = sales.scan(self.sale.id, field.value)
        except PosError as exc:
            self.say(exc.message, error=True)
            field.select_all()
            if isinstance(exc, NotFound):
                self.offer_new_product(field.value)
            return
        field.value = ""
        if result.refund_order_id is not None:
            self.action_refund(result.refund_order_id)
            return
        if result.weigh_product_id is not None:
            self.ask_weight(result.weigh_product_id)
            return
        self.show(result.sale, result.line_id)
        if result.customer_set:
            self.customer_was_set()
        else:
            self.say_added()

    def say_added(self) -> None:
        line = self.selected_line()
        self.say(_("Added: {name} × {qty}").format(
            name=line.name, qty=self.pos.store.quantity(line.quantity, line.uom)) if line else "")

    def add_product(self, product_id: int) -> None:
        """A product chosen by id (F3): one more of it, or, sold by weight, its weight asked first."""
        product = catalog.get_product(product_id)
        if product is not None and product.by_weight:
            self.ask_weight(product_id)
        elif self.run(sales.add_product, product_id):
            self.say_added()

    def ask_weight(self, product_id: int) -> None:
        """A product sold by weight, scanned or chosen without it: ask the weight, then add the line."""
        from pos_tui.screens.dialogs import WeightDialog

        product = catalog.get_product(product_id)
        store = self.pos.store

        def weighed(weight) -> None:
            if weight is not None and self.run(sales.add_product, product_id, weight):
                self.say_added()
            self.query_one("#code", Input).focus()

        self.say(_("Weigh {name}: type its weight.").format(name=product.name))
        self.app.push_screen(WeightDialog(product.name, store.unit_price(product.price_minor, product.uom),
                                          product.uom, store.locale_here), weighed)

    def customer_was_set(self, warnings: tuple[str, ...] = ()) -> None:
        customer = self.sale.customer
        if customer is None:
            self.say(_("Customer removed from the sale."))
            return
        text = _("Customer set: {name}").format(name=customer.name)
        if customer.special_terms:
            text += " · " + _("Terms: {terms}").format(terms=" ".join(customer.special_terms.split()))
        for warning in warnings:
            text += " · " + warning
        self.say(text, error=bool(warnings))

    def action_clear(self) -> None:
        self.query_one("#code", Input).value = ""
        self.say("")

    def action_cursor(self, delta: int) -> None:
        table = self.query_one("#cart", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + delta)))

    def action_quantity(self) -> None:
        from pos_tui.screens.dialogs import QuantityDialog

        line = self.selected_line()
        if line is None:
            self.say(_("The sale is empty."), error=True)
            return

        store = self.pos.store

        def chosen(value: Decimal | None) -> None:
            if value is not None and self.run(sales.set_quantity, line.id, value):
                self.say(_("{name}: quantity {qty}").format(name=line.name, qty=store.quantity(value, line.uom)))

        self.app.push_screen(QuantityDialog(line.name, line.quantity, line.uom, store.locale_here), chosen)

    def action_remove_line(self) -> None:
        line = self.selected_line()
        if line is None:
            self.say(_("The sale is empty."), error=True)
            return
        if self.run(sales.remove_line, line.id):
            self.say(_("Removed: {name}").format(name=line.name))

    # Now and then: discount, price, park, recall, void -----------------------------------------

    def action_more(self) -> None:
        from pos_tui.screens.more import MoreMenu

        def chosen(choice: str | None) -> None:
            actions = {"discount": self.action_discount, "order_discount": self.action_order_discount,
                       "price": self.action_price, "refund": self.action_refund, "account": self.action_account,
                       "park": self.action_park, "recall": self.action_recall, "void": self.action_void,
                       "session": self.action_session, "catalog": self.action_catalog}
            if choice in actions:
                actions[choice]()

        self.app.push_screen(MoreMenu(), chosen)

    def action_catalog(self) -> None:
        """The product screen: a manager at once, a cashier with a manager's PIN."""
        from pos_tui.screens.products import ProductsScreen, ask_leave

        ask_leave(self, lambda: self.app.push_screen(ProductsScreen()))

    def offer_new_product(self, text: str) -> None:
        """An unknown barcode: a manager (or a cashier a manager allowed) may add it as a new
        product, which then goes on the sale."""
        from pos_tui.screens.dialogs import ConfirmDialog
        from pos_tui.screens.products import ProductFormScreen, may_change_products, new_barcode

        code = new_barcode(text)
        if code is None or not may_change_products(self.pos):
            return

        def saved(product) -> None:
            if product is None:
                return
            if not product.available_in_pos:
                self.say(_("{name} saved; it is not sold at the till.").format(name=product.name))
                return
            typed = text.strip()  # scanned again: by its barcode, or its reference if that changed
            self.query_one("#code", Input).value = (
                typed if product.barcode == code else typed[:len(typed) - len(code)] + product.sku)
            self.action_add_code()

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.push_screen(ProductFormScreen(initial={"barcode": code}), saved)

        self.app.push_screen(ConfirmDialog(
            _("No product has the barcode {code}. Add it as a new product? Enter: yes · Esc: no").format(
                code=code)), answered)

    def _cashier_id(self) -> int | None:
        return self.pos.cashier.id if self.pos.cashier else None

    def _fail(self, exc: PosError) -> None:
        self.say(exc.message, error=True)

    def action_discount(self) -> None:
        from pos_tui.screens.dialogs import AskDialog

        line = self.selected_line()
        if line is None:
            self.say(_("The sale is empty."), error=True)
            return

        def chosen(discount_bp: int | None) -> None:
            if discount_bp is None:
                return
            self.with_approval(
                lambda pin: sales.set_line_discount(self.sale.id, line.id, discount_bp, self._cashier_id(), pin),
                lambda sale: (self.show(sale, line.id),
                              self.say(_("{name}: discount {rate}").format(name=line.name,
                                                                           rate=format_rate(discount_bp)))),
                self._fail)

        self.app.push_screen(AskDialog(line.name, _("Discount %"),
                                       lambda text: percent(text or "0", _("discount"))), chosen)

    def action_order_discount(self) -> None:
        from pos_tui.screens.dialogs import AskDialog

        if not self.sale.lines:
            self.say(_("The sale is empty."), error=True)
            return

        def chosen(discount_bp: int | None) -> None:
            if discount_bp is not None:
                self.with_approval(
                    lambda pin: sales.set_order_discount(self.sale.id, discount_bp, self._cashier_id(), pin),
                    lambda sale: (self.show(sale), self.say(_("Discount on the whole sale: {rate}").format(
                        rate=format_rate(discount_bp)))),
                    self._fail)

        self.app.push_screen(AskDialog(_("Discount on the whole sale"), _("Discount %"),
                                       lambda text: percent(text or "0", _("discount")),
                                       str(self.sale.order_discount_bp // 100) if self.sale.order_discount_bp else ""),
                             chosen)

    def action_invoice(self) -> None:
        """Toggle the full invoice. Missing fiscal data opens the customer's form at the first
        missing field; once saved, the invoice is asked for again and the sale goes on."""
        from pos_tui.screens.customer_form import CustomerFormScreen

        try:
            sale = sales.set_invoice(self.sale.id, not self.sale.invoice_requested)
        except invoices.FiscalDataMissing as missing:
            self.say(missing.message, error=True)

            def saved(result) -> None:
                if result is not None:
                    self.show(sales.get_sale(self.sale.id))
                    self.action_invoice()

            customer = customers.get_customer(missing.customer_id)
            self.app.push_screen(CustomerFormScreen(customer, focus_field=missing.fields[0], note=missing.message),
                                 saved)
            return
        except PosError as exc:
            self._fail(exc)
            return
        self.show(sale)
        self.say(_("The customer gets an invoice.") if sale.invoice_requested else _("No invoice: a ticket."))

    def action_refund(self, order_id: int | None = None) -> None:
        from pos_tui.screens.dialogs import AskDialog
        from pos_tui.screens.refund import RefundScreen

        def open_refund(sale_id: int | None) -> None:
            if sale_id is None:
                return

            def done(receipt) -> None:
                if receipt is not None:
                    self.paid(receipt)

            self.app.push_screen(RefundScreen(sale_id), done)

        if order_id is not None:
            open_refund(order_id)
            return
        self.app.push_screen(AskDialog(_("Refund"), _("Receipt or invoice number of the sale"), refunds.find_sale),
                             open_refund)

    def action_account(self) -> None:
        from pos_tui.screens.account import PayOnAccountDialog

        customer = self.sale.customer
        if customer is None:
            self.say(_("Set the customer first (F2)."), error=True)
            return

        def done(receipt) -> None:
            if receipt is not None:
                self.paid(receipt)

        self.app.push_screen(PayOnAccountDialog(customer.id, customer.name), done)

    def action_price(self) -> None:
        from pos_tui.screens.dialogs import AskDialog

        line = self.selected_line()
        if line is None:
            self.say(_("The sale is empty."), error=True)
            return
        store = self.pos.store

        def chosen(price_minor: int | None) -> None:
            if price_minor is None:
                return
            self.with_approval(
                lambda pin: sales.override_price(self.sale.id, line.id, price_minor, self._cashier_id(), pin),
                lambda sale: (self.show(sale, line.id),
                              self.say(_("{name}: new price {price}").format(name=line.name,
                                                                             price=self.pos.money(price_minor)))),
                self._fail)

        self.app.push_screen(AskDialog(line.name, _("New unit price"),
                                       lambda text: parse_minor(text, _("price"), store.exponent),
                                       format_plain(line.unit_price_minor, store.exponent, store.locale)), chosen)

    def action_park(self) -> None:
        try:
            sales.park_sale(self.sale.id)
        except PosError as exc:
            self._fail(exc)
            return
        self.show(sales.current_sale(self.pos.till, self._cashier_id()))
        self.say(_("Sale parked: F9 then R brings it back."))

    def action_recall(self) -> None:
        from pos_tui.screens.parked import ParkedPicker

        parked = sales.parked_sales(self.pos.till)
        if not parked:
            self.say(_("No parked sales on this till."), error=True)
            return

        def chosen(order_id: int | None) -> None:
            if order_id is None:
                return
            try:
                self.show(sales.recall_sale(self.pos.till, order_id))
            except PosError as exc:
                self._fail(exc)
                return
            self.say(_("Parked sale recalled."))

        self.app.push_screen(ParkedPicker(parked), chosen)

    def action_void(self) -> None:
        from pos_tui.screens.dialogs import ConfirmDialog

        if not self.sale.lines:
            self.say(_("The sale is empty."), error=True)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                sales.void_draft(self.sale.id)
                self.show(sales.current_sale(self.pos.till, self._cashier_id()))
                self.say(_("Sale voided."))

        self.app.push_screen(ConfirmDialog(_("Void the sale in progress? Enter: yes · Esc: no")), answered)

    def action_customer(self) -> None:
        from pos_tui.screens.customer_picker import CustomerPickerScreen, Pick

        def picked(pick: Pick | None) -> None:
            if pick is not None and self.run(sales.set_customer, pick.customer_id):
                self.customer_was_set(pick.warnings)

        self.app.push_screen(CustomerPickerScreen(), picked)

    def action_customer_details(self) -> None:
        from pos_tui.screens.customer_detail import CustomerDetailScreen

        if self.sale.customer is None:
            self.say(_("No customer on this sale: F2 picks one."), error=True)
            return

        def closed(_result: object) -> None:  # an edit may have changed the discount or terms
            self.run(sales.set_customer, self.sale.customer_id)

        self.app.push_screen(CustomerDetailScreen(self.sale.customer.id), closed)

    def action_products(self) -> None:
        from pos_tui.screens.product_search import ProductSearchScreen

        def chosen(product_id: int | None) -> None:
            if product_id is not None:
                self.add_product(product_id)

        self.app.push_screen(ProductSearchScreen(), chosen)

    def action_session(self) -> None:
        self.pos.show_session()

    def action_pay(self) -> None:
        from pos_tui.screens.payment import PaymentScreen

        if not self.sale.lines:
            self.say(_("The sale is empty: scan a product first."), error=True)
            return
        if sessions.current_session(self.pos.till) is None:
            self.say(_("No open session on this till: press F5 to open one."), error=True)
            return
        self.app.push_screen(PaymentScreen(self.sale), self.paid)

    def action_print(self) -> None:
        """F12: print what waits for the printer, or else the last receipt again."""
        again = printing.print_again(self.pos.till)
        if not again.job_ids:
            self.say(_("Nothing to print yet on this till."))
            return
        self.pos.print_jobs(again.job_ids, announce=True)
        self.say(ngettext("Printing the receipt that waited…", "Printing the {n} receipts that waited…",
                          again.waiting).format(n=again.waiting) if again.waiting
                 else _("Printing a copy of {number}…").format(number=again.number))

    def action_drawer(self) -> None:
        """Open the drawer with no sale: a manager approves, and it is recorded."""
        self.with_approval(
            lambda pin: printing.open_drawer(self.pos.till, self._cashier_id(), pin),
            lambda job_id: (self.pos.print_jobs([job_id], announce=True), self.say(_("Opening the drawer…"))),
            self._fail)

    def paid(self, receipt: Receipt | None) -> None:
        from pos_tui.screens.receipt import ReceiptScreen

        if receipt is None:
            return
        self.pos.print_receipt(receipt)  # the sale is committed: the printer can only fail the paper

        def next_sale(_result: object) -> None:
            self.show(sales.current_sale(self.pos.till, self.pos.cashier.id if self.pos.cashier else None))
            done = {"refund": _("Refund {number} done."),
                    "account_payment": _("Payment on account {number} received.")}
            problem = self.pos.printer_problem
            self.say(done.get(receipt.kind, _("Sale {number} paid.")).format(number=receipt.number)
                     + (f" · {problem}" if problem else ""), error=bool(problem))
            self.query_one("#code", Input).focus()

        self.app.push_screen(ReceiptScreen(receipt), next_sale)

