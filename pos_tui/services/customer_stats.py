"""What a customer has bought: history, one order's lines, and the figures of the detail screen.
Every figure is one SQL aggregate, never a loop over orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from peewee import Case, fn

from pos_tui import models, quantity
from pos_tui.db import is_sqlite, now
from pos_tui.errors import NotFound
from pos_tui.i18n import _
from pos_tui.money import round_minor

PAID = "paid"


@dataclass(frozen=True)
class OrderSummary:
    id: int
    number: str
    paid_at: datetime
    items: int
    total_minor: int


@dataclass(frozen=True)
class OrderLineInfo:
    name: str
    sku: str
    quantity: Decimal  # 3, or 0.750 (kg)
    unit_price_minor: int
    discount_minor: int
    total_minor: int
    uom: str = quantity.UNITS


@dataclass(frozen=True)
class TopProduct:
    name: str
    quantity: Decimal  # 3, or 2.250 (kg)
    total_minor: int
    uom: str = quantity.UNITS


@dataclass(frozen=True)
class CustomerStats:
    total_spent_minor: int
    visits: int
    average_ticket_minor: int
    first_visit: datetime | None
    last_visit: datetime | None
    top_products: tuple[TopProduct, ...]
    monthly: tuple[tuple[str, int], ...]  # (YYYY-MM, spent), the last 12 months, oldest first


def _month(column):
    """The YYYY-MM of a timestamp column, in the engine's own words."""
    return fn.strftime("%Y-%m", column) if is_sqlite() else fn.to_char(column, "YYYY-MM")


def last_months(today: date, count: int = 12) -> list[str]:
    year, month = today.year, today.month
    months = []
    for _i in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def history(customer_id: int, limit: int = 100, offset: int = 0) -> list[OrderSummary]:
    """The customer's paid sales, newest first."""
    O, L = models.Order, models.OrderLine
    items = (L.select(fn.COALESCE(fn.SUM(item_count_sql(L)), 0)).where(L.order == O.id))
    query = (O.select(O.id, O.number, O.paid_at, items.alias("items"), O.total_minor)
             .where((O.customer == customer_id) & (O.state == PAID))
             .order_by(O.paid_at.desc(), O.id.desc()).limit(limit).offset(offset))
    return [OrderSummary(i, number, paid_at, int(Decimal(str(items))), total)
            for i, number, paid_at, items, total in query.tuples()]


def item_count_sql(L):
    """What a line counts for among a sale's items: its quantity when counted whole, one when
    weighed (0,750 kg is one item), as the till counts them; negative on a refund."""
    whole = [unit for unit, places in quantity.PRECISION.items() if places == 0]
    return Case(None, [(L.uom.in_(whole), L.quantity), (L.quantity < 0, -1)], 1)


def order_lines(order_id: int) -> list[OrderLineInfo]:
    L = models.OrderLine
    if not models.Order.select().where(models.Order.id == order_id).exists():
        raise NotFound(_("No sale with id {id}.").format(id=order_id))
    query = (L.select(L.name, L.sku, L.quantity, L.unit_price_minor, L.discount_minor, L.total_minor, L.uom)
             .where(L.order == order_id).order_by(L.id))
    return [OrderLineInfo(name, sku, quantity.quantize(Decimal(str(qty)), uom), *rest, uom)
            for name, sku, qty, *rest, uom in query.tuples()]


def stats(customer_id: int, today: date | None = None, top: int = 5) -> CustomerStats:
    O, L = models.Order, models.OrderLine
    paid = (O.customer == customer_id) & (O.state == PAID)
    total, visits, first, last = (O.select(fn.COALESCE(fn.SUM(O.total_minor), 0), fn.COUNT(O.id),
                                           fn.MIN(O.paid_at), fn.MAX(O.paid_at))
                                  .where(paid).scalar(as_tuple=True))
    products = (L.select(L.name, fn.SUM(L.quantity).alias("qty"), fn.SUM(L.total_minor), L.uom)
                .join(O).where(paid).group_by(L.product, L.name, L.uom)
                .order_by(fn.SUM(L.quantity).desc(), L.name).limit(top).tuples())
    months = last_months(today or now().date())
    month = _month(O.paid_at)
    spent = dict(O.select(month, fn.SUM(O.total_minor)).where(paid & (month >= months[0]))
                 .group_by(month).tuples())
    first, last = (_as_datetime(first), _as_datetime(last))
    return CustomerStats(
        int(total), int(visits), round_minor(Decimal(int(total)) / int(visits)) if visits else 0, first, last,
        tuple(TopProduct(name, quantity.quantize(Decimal(str(qty)), uom), int(amount), uom)
              for name, qty, amount, uom in products),
        tuple((m, int(spent.get(m, 0))) for m in months),
    )


def _as_datetime(value) -> datetime | None:
    """SQLite hands MIN/MAX of a timestamp back as text."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
