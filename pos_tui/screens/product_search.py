"""F3 on the sale: find a product by name when it has no barcode at hand."""

from __future__ import annotations

from pos_tui import keys
from pos_tui.i18n import N_, _
from pos_tui.money import format_rate
from pos_tui.screens.base import Message, after_typing
from pos_tui.screens.search import SearchScreen
from pos_tui.services import catalog
from pos_tui.services.catalog import ProductInfo


class ProductSearchScreen(SearchScreen[ProductInfo]):
    SCOPE = "product_search"
    BINDINGS = keys.bindings("product_search")
    TITLE_TEXT = N_("Products")
    PLACEHOLDER = N_("Product name, SKU or barcode")
    COLUMNS = ((N_("Product"), 38), (N_("SKU"), 8), (N_("Price"), 11), (N_("Tax"), 8))

    def find(self, text: str) -> list[ProductInfo]:
        return catalog.search_products(text)

    def row(self, item: ProductInfo) -> tuple:
        return item.name, item.sku, self.pos.money(item.price_minor), format_rate(item.tax_rate_bp)

    @after_typing
    def action_add(self) -> None:
        self.when_current(self.add)

    def add(self) -> None:
        product = self.selected()
        if product is None:
            self.query_one(Message).say(_("No product to add: type part of its name."), error=True)
            return
        self.dismiss(product.id)
