"""Stock: a ledger of movements (`models.StockMove`), on hand being the sum of a product's moves."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from peewee import fn

from pos_tui import models, quantity


def on_hand(product_ids: Iterable[int]) -> dict[int, Decimal]:
    """What is on hand of each product (the sum of its moves; 0 for one that never moved), in one
    query over the ledger's (product, quantity) index."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    M, P = models.StockMove, models.Product
    sums = dict(M.select(M.product, fn.SUM(M.quantity)).where(M.product.in_(ids)).group_by(M.product).tuples())
    units = dict(P.select(P.id, P.uom).where(P.id.in_(ids)).tuples())
    return {pid: quantity.quantize(Decimal(str(sums.get(pid) or 0)), units.get(pid, quantity.UNITS)) for pid in ids}
