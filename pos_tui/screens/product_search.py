"""F3 on the sale: find a product by name when it has no barcode at hand."""

from __future__ import annotations

from pos_tui import keys
from pos_tui.i18n import N_, _
from pos_tui.money import format_rate
from pos_tui.screens.base import Message, after_typing, right
from pos_tui.screens.products import Found, find_with_stock, stock_text
from pos_tui.screens.search import SearchScreen


class ProductSearchScreen(SearchScreen[Found]):
    SCOPE = "product_search"
    BINDINGS = keys.bindings("product_search")
    TITLE_TEXT = N_("Products")
    PLACEHOLDER = N_("Product name, SKU or barcode")
    COLUMNS = ((N_("Product"), 29), (N_("SKU"), 8), (N_("Price"), 10), (N_("Tax"), 8), (N_("On hand"), 11))

    def find(self, text: str) -> list[Found]:
        return find_with_stock(text)

    def row(self, item: Found) -> tuple:
        product, on_hand = item
        return (product.name, product.sku, right(self.pos.money(product.price_minor)),
                right(format_rate(product.tax_rate_bp)),
                right(stock_text(on_hand, product.uom, self.pos.store.locale)))

    @after_typing
    def action_add(self) -> None:
        self.when_current(self.add)

    def add(self) -> None:
        found = self.selected()
        if found is None:
            self.query_one(Message).say(_("No product to add: type part of its name."), error=True)
            return
        self.dismiss(found[0].id)
