"""F9 C on the sale: the store's products at the till. Find one (its fields and what is on hand),
add a new one, change one or archive it, with the same rules and messages as `pos products`.

A manager opens it at once; a cashier only with a manager's PIN (recorded as an approval). The
form also opens from the sale when an unknown barcode is scanned, with the barcode filled in.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import get_decimal_symbol
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Input, OptionList, Static
from textual.worker import get_current_worker

from pos_tui import keys, quantity
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.money import format_plain
from pos_tui.screens.base import Message, PosScreen, after_typing, right
from pos_tui.screens.search import SearchScreen
from pos_tui.services import catalog, stock, taxes
from pos_tui.services.catalog import ProductInfo
from pos_tui.widgets.form import Field, Form, Section
from pos_tui.widgets.keybar import KeyBar

#: One product found, with what is on hand (None: not tracked in stock).
Found = tuple[ProductInfo, Decimal | None]

UNIT_CHOICES = tuple((unit, unit) for unit in quantity.UNIT_NAMES)
NO_STOCK = "—"


def find_with_stock(text: str, limit: int = 50) -> list[Found]:
    """Products matching `text` with their stock on hand, in two queries (run in a worker)."""
    found = catalog.search_products(text, limit=limit)
    counts = stock.on_hand(p.id for p in found if p.track_stock)
    return [(p, counts.get(p.id) if p.track_stock else None) for p in found]


def stock_text(on_hand: Decimal | None, uom: str, locale: str) -> str:
    return NO_STOCK if on_hand is None else quantity.format_quantity(on_hand, uom, locale)


def new_barcode(text: str) -> str | None:
    """The barcode in what was scanned (`3*CODE` too) when it is a well-formed one, else None."""
    from pos_tui.services.sales import parse_code

    try:
        code = parse_code(text)[1]
        return catalog.barcode(code) if code and code.isdigit() else None
    except PosError:
        return None


def may_change_products(pos) -> bool:
    """A manager, or a cashier a manager allowed since they logged in."""
    cashier = pos.cashier
    return cashier is not None and (cashier.role == "manager" or pos.products_approved_for == cashier.id)


def ask_leave(screen: PosScreen, then) -> None:
    """Run `then()` when the logged-in cashier may change products; else ask a manager's PIN first
    (the approval is recorded, and holds until the cashier logs out)."""
    from pos_tui.services import approvals

    pos = screen.pos
    if may_change_products(pos):
        then()
        return
    cashier_id = pos.cashier.id if pos.cashier else None

    def approved(_manager_id: int) -> None:
        pos.products_approved_for = cashier_id
        then()

    screen.with_approval(
        lambda pin: approvals.grant(pin, "products", _("till {till}").format(till=pos.till),
                                    cashier_id=cashier_id, till=pos.till),
        approved, lambda exc: screen.query_one(Message).fail(exc))


class ProductsScreen(SearchScreen[Found]):
    SCOPE = "products"
    BINDINGS = keys.bindings("products")
    TITLE_TEXT = N_("Products")
    PLACEHOLDER = N_("Product name, reference or barcode")
    COLUMNS = ((N_("Product"), 28), (N_("Ref."), 9), (N_("Price"), 10), (N_("On hand"), 11),
               (N_("Category"), 10))

    def compose(self) -> ComposeResult:
        yield Static(_(self.TITLE_TEXT), classes="title")
        yield Input(id="query", placeholder=_(self.PLACEHOLDER))
        table = DataTable(id="results", cursor_type="row", zebra_stripes=True)
        table.can_focus = False
        yield table
        yield Static(id="product-detail")
        yield Message(id="message")
        yield KeyBar()

    def find(self, text: str) -> list[Found]:
        found = find_with_stock(text)
        return found if not get_current_worker().is_cancelled else []

    def row(self, item: Found) -> tuple:
        product, on_hand = item
        locale = self.pos.store.locale
        category = product.category.rsplit(catalog.CATEGORY_SEPARATOR, 1)[-1]
        return (product.name, product.sku, right(self.pos.money(product.price_minor)),
                right(stock_text(on_hand, product.uom, locale)), category)

    def nothing_found(self, text: str) -> str:
        return _("No product matches “{text}”. F2 adds one.").format(text=text)

    #: What was just done, said once the list shows the result.
    notice = ""

    def show_results(self, text: str, found: list[Found]) -> None:
        super().show_results(text, found)
        self.show_detail()
        if self.notice and text == self.query_one("#query", Input).value:
            self.query_one(Message).say(self.notice)
            self.notice = ""

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        """The selected product's fields, in three lines under the list."""
        item = self.selected()
        detail = self.query_one("#product-detail", Static)
        if item is None:
            detail.update("")
            return
        product, on_hand = item
        store = self.pos.store
        money = self.pos.money
        yes, no = _("yes"), _("no")
        lines = [
            _("{ref} · barcode {barcode} · {category}").format(
                ref=product.sku, barcode=product.barcode or NO_STOCK, category=product.category or NO_STOCK),
            _("Price {price} ({included}) · taxes {taxes} · cost {cost} · unit {unit}{weight}").format(
                price=money(product.price_minor),
                included=_("tax included") if product.price_includes_tax else _("plus tax"),
                taxes=" + ".join(product.taxes) or _("none"), cost=money(product.cost_minor),
                unit=_(product.uom), weight=" · " + _("by weight") if product.by_weight else ""),
            _("On hand {stock} · reorder at {point} · at the till: {pos}").format(
                stock=stock_text(on_hand, product.uom, store.locale),
                point=quantity.format_quantity(product.reorder_point, product.uom, store.locale)
                if product.track_stock else NO_STOCK,
                pos=yes if product.available_in_pos else no),
        ]
        detail.update(Text("\n".join(lines)))

    def refresh_list(self, message: str = "") -> None:
        self.notice = message
        self.search(self.query_one("#query", Input).value)

    @after_typing
    def action_edit(self) -> None:
        self.when_current(self.edit)

    def edit(self) -> None:
        item = self.selected()
        if item is None:
            self.query_one(Message).say(_("No product selected: type part of its name, or F2 for a new one."),
                                        error=True)
            return

        def saved(product: ProductInfo | None) -> None:
            if product is not None:
                self.refresh_list(_("Saved: {name} ({ref})").format(name=product.name, ref=product.sku))

        self.app.push_screen(ProductFormScreen(item[0]), saved)

    def action_new(self) -> None:
        def saved(product: ProductInfo | None) -> None:
            if product is None:
                return
            message = _("Added: {name} ({ref})").format(name=product.name, ref=product.sku)
            query = self.query_one("#query", Input)
            if query.value == product.sku:
                self.refresh_list(message)
            else:  # the new text searches again
                self.notice = message
                query.value = product.sku

        self.app.push_screen(ProductFormScreen(), saved)

    def action_archive(self) -> None:
        from pos_tui.screens.dialogs import ConfirmDialog

        item = self.selected()
        if item is None:
            self.query_one(Message).say(_("No product selected."), error=True)
            return
        product = item[0]

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                catalog.archive_product(f"#{product.id}", self.pos.cashier.id if self.pos.cashier else None)
            except PosError as exc:
                self.query_one(Message).fail(exc)
                return
            self.refresh_list(_("Archived: {name} ({ref}). pos products restore brings it back.").format(
                name=product.name, ref=product.sku))

        self.app.push_screen(ConfirmDialog(
            _("Archive {name} ({ref})? It leaves the till; its sales stay. Enter: yes · Esc: no").format(
                name=product.name, ref=product.sku)), answered)


def form_items() -> list[Field | Section]:
    return [
        Section(N_("Product")),
        Field("reference", N_("Reference *")),
        Field("name", N_("Name *")),
        Field("barcode", N_("Barcode"), placeholder=N_("EAN-13, EAN-8 or UPC-A")),
        Field("category", N_("Category"), placeholder=N_("Bakery / Bread")),
        Section(N_("Price and taxes")),
        Field("price", N_("Sale price *")),
        Field("price_includes_tax", N_("Price includes tax"), kind="check"),
        Field("taxes", N_("Taxes *"), placeholder=N_("names joined by “ + ”, or “none”")),
        Field("cost", N_("Cost")),
        Section(N_("Selling and stock")),
        Field("unit", N_("Unit"), kind="select", options=UNIT_CHOICES),
        Field("by_weight", N_("Sold by weight"), kind="check"),
        Field("available_in_pos", N_("Available at the till"), kind="check"),
        Field("track_stock", N_("Tracked in stock"), kind="check"),
        Field("reorder_point", N_("Reorder point")),
    ]


class ProductFormScreen(PosScreen):
    """A new product (optionally with some fields filled in, e.g. a scanned barcode) or one
    changed. Answers with the saved product, or None when left with Esc (nothing saved)."""

    SCOPE = "product_form"
    BINDINGS = keys.bindings("product_form")

    def __init__(self, product: ProductInfo | None = None, initial: dict | None = None) -> None:
        super().__init__()
        self.product = product
        self.initial = initial or {}

    def compose(self) -> ComposeResult:
        title = (_("Edit product: {name}").format(name=self.product.name) if self.product
                 else _("New product"))
        yield Static(Text(title), classes="title")
        yield Form(form_items())
        known = [t.name for t in taxes.list_taxes()]
        yield Static(Text(_("Taxes: {names}").format(names=" · ".join(known) if known else _("none yet"))),
                     id="tax-names", classes="hint-line")
        yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        form = self.query_one(Form)
        if self.product is not None:
            form.fill(self.values_of(self.product))
        else:
            form.fill({"price_includes_tax": True, "available_in_pos": True, "track_stock": True,
                       "unit": quantity.UNITS, "taxes": self.default_taxes()})
            form.fill(self.initial)
        form.widget("name" if self.product is not None else "reference").focus()

    def default_taxes(self) -> str:
        """The store's first tax (its standard rate), as a starting point."""
        known = taxes.list_taxes()
        return known[0].name if known else ""

    def values_of(self, product: ProductInfo) -> dict:
        store = self.pos.store
        values = catalog.form_values(product, store.exponent)
        values["price"] = format_plain(product.price_minor, store.exponent, store.locale)
        values["cost"] = format_plain(product.cost_minor, store.exponent, store.locale) if product.cost_minor else ""
        if product.reorder_point:
            values["reorder_point"] = quantity.plain(product.reorder_point).replace(
                ".", get_decimal_symbol(store.locale))
        for name in ("price_includes_tax", "by_weight", "available_in_pos", "track_stock"):
            values[name] = values[name] == "yes"
        return values

    FINISH = "save"

    def action_next_field(self) -> None:
        """Enter goes down the form (a box keeps its tick; Space ticks it, Space or ↓ opens a
        choice), and saves on the last field; in a choice's open list it picks."""
        focused = self.focused
        if isinstance(focused, OptionList):  # a choice's open list
            focused.action_select()
        else:
            super().action_next_field()

    @after_typing
    def action_save(self) -> None:
        form = self.query_one(Form)
        values = {name: ("yes" if value is True else "no" if value is False else value)
                  for name, value in form.values().items()}
        cashier = self.pos.cashier.id if self.pos.cashier else None
        try:
            if self.product is None:
                saved = catalog.add_product(values, cashier)
            else:
                saved = catalog.update_product(f"#{self.product.id}", values, cashier)
        except ValidationError as exc:
            form.show_errors(exc)
            self.query_one(Message).say(_("Please correct the marked fields."), error=True)
            return
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.dismiss(saved)

    def action_cancel(self) -> None:
        self.dismiss(None)
