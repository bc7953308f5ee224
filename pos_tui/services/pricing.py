"""The totals of a sale, from its lines, by the store's rounding rule: the one place the screen,
the receipt, the invoice and the exports get their amounts from."""

from __future__ import annotations

import json
from functools import lru_cache

from pos_tui import models
from pos_tui.money import LINE, LineInput, Totals, compute_totals


def rounding_mode() -> str:
    store = models.Store.select(models.Store.rounding).first()
    return store.rounding if store else LINE


@lru_cache(maxsize=256)
def tax_parts(snapshot: str) -> tuple[tuple[str, int], ...]:
    """A sale line's taxes as kept on it (JSON [[name, rate], …]; empty when it has one)."""
    return tuple((str(name), int(rate)) for name, rate in json.loads(snapshot)) if snapshot else ()


def line_input(line: models.OrderLine, order_discount_bp: int = 0) -> LineInput:
    return LineInput(line.unit_price_minor, line.quantity, line.tax_rate_bp, line.price_includes_tax,
                     line.discount_bp, order_discount_bp, tax_parts(line.taxes or ""))


def order_totals(order: models.Order) -> Totals:
    L = models.OrderLine
    lines = L.select().where(L.order == order.id).order_by(L.id)
    return compute_totals((line_input(line, order.order_discount_bp) for line in lines), rounding_mode())
