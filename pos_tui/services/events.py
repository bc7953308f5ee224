"""The change feed for other systems: events written to the outbox inside the transaction of
the change itself, read in order by cursor (`pos export events --after CURSOR`).

If the process dies, the change and its event are both there or neither is: nothing is lost,
nothing is sent twice. The cursor comes from a gapless counter taken under the write lock, so
events are numbered in the order their transactions committed. The events of a transaction are
written at its end, just before it commits (`db.before_commit`): on SQLite that changes nothing;
on PostgreSQL the counter's row lock, which every writer of events waits for, is then held only
for those last statements and the commit, and always taken after the transaction's other locks
(sale, customer, number series), so that tills never wait for each other in a circle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from pos_tui import models, quantity
from pos_tui.db import before_commit, now
from pos_tui.services import bulk
from pos_tui.services.numbering import next_value, next_values

CUSTOMER_CREATED, CUSTOMER_UPDATED = "customer.created", "customer.updated"
CUSTOMER_ARCHIVED, CUSTOMER_RESTORED, CUSTOMER_ANONYMISED = (
    "customer.archived", "customer.restored", "customer.anonymised")
SALE_PAID, REFUND_PAID, ACCOUNT_PAYMENT = "sale.paid", "refund.paid", "account.payment"
INVOICE_ISSUED, LOYALTY_ENTRY, SESSION_CLOSED = "invoice.issued", "loyalty.entry", "session.closed"


def _plain(value: object) -> object:
    """JSON for what json does not know: a stored (naive UTC) time in ISO 8601 with its offset,
    as every time the feed and the exports write."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    return str(value)


def emit(kind: str, entity: str, entity_id: int, payload: dict | None = None) -> None:
    """Record an event in the caller's write transaction (written as it commits)."""
    emit_many([(kind, entity, entity_id, payload)])


def emit_many(items: list[tuple[str, str, int, dict | None]]) -> None:
    """Record many events (kind, entity, entity_id, payload), in that order, in the caller's write
    transaction (written as it commits, numbered then)."""
    if not items:
        return
    encode = json.JSONEncoder(ensure_ascii=False, default=_plain, sort_keys=True).encode
    at = now()
    told = [(kind, entity, entity_id, encode(payload or {})) for kind, entity, entity_id, payload in items]
    before_commit(lambda: _write(at, told))


def _write(at: datetime, told: list[tuple[str, str, int, str]]) -> None:
    cursors = next_values("outbox", len(told)) if len(told) > 1 else [next_value("outbox")]
    bulk.insert_values(models.Event, ["cursor", "at", "kind", "entity", "entity_id", "payload"], [
        [cursor, at, kind, entity, entity_id, payload] for cursor, (kind, entity, entity_id, payload) in zip(cursors, told)])


def order_payload(order: models.Order) -> dict:
    """A paid order (sale or refund) as the change feed tells it."""
    P, L = models.Payment, models.OrderLine
    return {"id": order.id, "uuid": str(order.uuid), "number": order.number, "kind": order.kind,
            "till": order.till, "session_id": order.session_id, "customer_id": order.customer_id,
            "paid_at": order.paid_at, "net_minor": order.net_minor, "tax_minor": order.tax_minor,
            "total_minor": order.total_minor, "discount_minor": order.discount_minor,
            "refund_of": order.refund_of_id,
            "payments": [{"method": p.method, "amount_minor": p.amount_minor}
                         for p in P.select().where(P.order == order.id).order_by(P.id)],
            # quantities exact: 3, or "0.75" (kg) as a string, never a float; negative on a refund
            "lines": [{"product_id": line.product_id, "sku": line.sku, "quantity": quantity.json_value(line.quantity),
                       "uom": line.uom, "unit_price_minor": line.unit_price_minor, "total_minor": line.total_minor}
                      for line in L.select().where(L.order == order.id).order_by(L.id)]}


@dataclass(frozen=True)
class EventRecord:
    cursor: int
    at: datetime
    kind: str
    entity: str
    entity_id: int
    payload: dict


def after(cursor: int = 0, limit: int = 1000) -> list[EventRecord]:
    """The events after `cursor`, oldest first."""
    E = models.Event
    query = (E.select(E.cursor, E.at, E.kind, E.entity, E.entity_id, E.payload)
             .where(E.cursor > cursor).order_by(E.cursor).limit(limit).tuples())
    return [EventRecord(c, at, k, e, i, json.loads(p)) for c, at, k, e, i, p in query]


def last_cursor() -> int:
    E = models.Event
    return E.select(E.cursor).order_by(E.cursor.desc()).scalar() or 0
