"""The audit trail: who did what to which record, and what changed. Append-only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN

from pos_tui import models


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    cashier: str | None
    action: str
    changes: dict


def record(entity: str, entity_id: int, action: str, changes: dict | None = None,
           cashier_id: int | None = None) -> None:
    """Write one entry, inside the caller's transaction."""
    models.AuditLog.create(entity=entity, entity_id=entity_id, action=action, cashier=cashier_id,
                           changes=json.dumps(changes or {}, ensure_ascii=False, default=_plain))


def _plain(value: object) -> str:
    """JSON for what json does not know: timestamps in ISO 8601."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def diff(before: dict, after: dict) -> dict[str, list]:
    """field -> [old, new] for the fields whose value changed."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


def history(entity: str, entity_id: int) -> list[AuditEntry]:
    A, C = models.AuditLog, models.Cashier
    rows = (A.select(A.at, C.name, A.action, A.changes).join(C, JOIN.LEFT_OUTER)
            .where((A.entity == entity) & (A.entity_id == entity_id)).order_by(A.id).tuples())
    return [AuditEntry(at, cashier, action, json.loads(changes)) for at, cashier, action, changes in rows]
