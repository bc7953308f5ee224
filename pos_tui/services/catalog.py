"""Products: found by barcode or SKU when scanned, by name when searched."""

from __future__ import annotations

from dataclasses import dataclass

from pos_tui import models
from pos_tui.db import transactional
from pos_tui.money import parse_minor
from pos_tui.services import validation


@dataclass(frozen=True)
class ProductInfo:
    id: int
    sku: str
    barcode: str | None
    name: str
    price_minor: int
    tax_rate_bp: int
    price_includes_tax: bool


def _info(row: models.Product) -> ProductInfo:
    return ProductInfo(row.id, row.sku, row.barcode, row.name, row.price_minor, row.tax_rate_bp,
                       row.price_includes_tax)


def find_by_code(code: str) -> ProductInfo | None:
    """An active product whose barcode or SKU (any case) is `code`."""
    code = code.strip()
    if not code:
        return None
    P = models.Product
    row = (P.select().where((P.active == True) & (P.barcode == code)).first()  # noqa: E712
           or P.select().where((P.active == True) & (P.sku == code.upper())).first())  # noqa: E712
    return _info(row) if row else None


def get_product(product_id: int) -> ProductInfo | None:
    row = models.Product.get_or_none(models.Product.id == product_id)
    return _info(row) if row else None


def search_products(query: str, limit: int = 50) -> list[ProductInfo]:
    """Active products whose name, SKU or barcode contains every word typed (case-blind)."""
    P = models.Product
    q = P.select().where(P.active == True)  # noqa: E712
    for word in query.split():
        pattern = f"%{word}%"
        q = q.where(P.name ** pattern | P.sku ** pattern | P.barcode ** pattern)
    return [_info(row) for row in q.order_by(P.name).limit(limit)]


@transactional
def add_product(sku: str, name: str, price: str, tax_rate_bp: int, barcode: str | None = None,
                price_includes_tax: bool = True, exp: int = 2) -> ProductInfo:
    check = validation.Checker()
    sku = check(validation.text, sku, "sku", max_length=40, required=True, code=True)
    name = check(validation.text, name, "name", max_length=120, required=True)
    barcode = check(validation.text, barcode, "barcode", max_length=32, code=True) or None
    price_minor = check(parse_minor, price, "price", exp)
    check.done()
    row = models.Product.create(sku=sku.upper(), barcode=barcode, name=name, price_minor=price_minor,
                                tax_rate_bp=tax_rate_bp, price_includes_tax=price_includes_tax)
    return _info(row)
