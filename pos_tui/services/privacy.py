"""A person's data: everything the store keeps about a customer, as one document (the right of
access), and anonymising them (the right to erasure) while keeping what the law requires.

Anonymising scrubs the personal fields and free text of the customer (`PERSONAL`), their search
tokens, and the personal values that earlier entries of their audit trail and their earlier
`customer.*` events carried — otherwise `pos customers show` or the change feed would still tell
them —, the name on the receipts kept for the printer, and the reasons a manager typed on their
loyalty entries (the points stay). It keeps their sales (lines, payments) and the invoices with
the fiscal data frozen when each was issued, which the law requires; the customer stays as
"Anonymised customer 123", archived, so their sales still add up. All in one transaction,
audited without the old values, and told to other systems as `customer.anonymised`.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal

from peewee import JOIN

from pos_tui import models, quantity
from pos_tui.db import now, transactional
from pos_tui.errors import NotFound, StateError
from pos_tui.i18n import _
from pos_tui.services import audit, customer_search, events
from pos_tui.services.store import get_store

#: The fields anonymising clears, and what they become. Country, language, company or person, the
#: commercial terms, points and visit figures stay: they tell no one who the person was.
PERSONAL = {
    "fiscal_name": "", "email": "", "phone": "", "phone_e164": "", "mobile": "", "mobile_e164": "",
    "street": "", "street2": "", "city": "", "state": "", "postal_code": "", "tax_id": "", "tax_country": "",
    "fiscal_extra": "{}", "needs_invoice": False, "special_terms": "", "notes": "", "loyalty_card": None,
    "marketing_consent": False, "marketing_consent_at": None, "search_key": "", "name_key": "",
}


#: Derived from the fields a person typed (search keys, phone numbers in E.164): cleared with them,
#: never named on their own.
DERIVED = frozenset({"phone_e164", "mobile_e164", "search_key", "name_key"})


def anonymous_name(customer_id: int) -> str:
    return _("Anonymised customer {id}").format(id=customer_id)


# The document --------------------------------------------------------------------------------------


def _value(value: object) -> object:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return quantity.json_value(value)
    return value


def _row(row: models.BaseModel, json_fields: tuple[str, ...] = ()) -> dict:
    """Every stored column of a row (foreign keys as `…_id`), JSON text parsed."""
    doc = {}
    for f in row._meta.sorted_fields:
        value = row.__data__.get(f.name)
        if f.name in json_fields and isinstance(value, str):
            value = json.loads(value or "null")
        doc[f.column_name] = _value(value)
    return doc


def _customer(customer_id: int) -> models.Customer:
    row = models.Customer.get_or_none(models.Customer.id == customer_id)
    if row is None:
        raise NotFound(_("No customer with id {id}.").format(id=customer_id))
    return row


def customer_data(customer_id: int) -> dict:
    """Everything stored about a customer: profile, search tokens, sales with their lines and
    payments, invoices (as issued), loyalty ledger, audit trail, the receipts of their sales kept
    for the printer, the managers' approvals on their sales, and the change-feed events. Times in
    ISO 8601 (UTC), amounts in integer minor units of `currency`."""
    customer = _customer(customer_id)
    store = get_store()
    O, L, P, I, T = models.Order, models.OrderLine, models.Payment, models.Invoice, models.CustomerToken  # noqa: E741
    A, K, E = models.AuditLog, models.Cashier, models.Event
    their_orders = O.select(O.id).where(O.customer == customer_id)
    lines: dict[int, list] = {}
    for line in L.select().where(L.order.in_(their_orders)).order_by(L.id):
        lines.setdefault(line.order_id, []).append(_row(line))
    payments: dict[int, list] = {}
    for payment in P.select().where(P.order.in_(their_orders)).order_by(P.id):
        payments.setdefault(payment.order_id, []).append(_row(payment))
    orders = [{**_row(order), "lines": lines.get(order.id, []), "payments": payments.get(order.id, [])}
              for order in O.select().where(O.customer == customer_id).order_by(O.id)]
    snapshots = ("store_snapshot", "customer_snapshot", "lines_snapshot", "payments_snapshot")
    invoices = [_row(invoice, snapshots) for invoice in I.select().where(I.order.in_(their_orders)).order_by(I.id)]
    trail = [{"at": _value(at), "cashier": cashier, "action": action, "changes": json.loads(changes)}
             for at, cashier, action, changes in
             A.select(A.at, K.name, A.action, A.changes).join(K, JOIN.LEFT_OUTER, on=(A.cashier == K.id))
             .where((A.entity == "customer") & (A.entity_id == customer_id)).order_by(A.id).tuples()]
    about = ((E.entity == "customer") & (E.entity_id == customer_id)) | (
        (E.entity == "order") & E.entity_id.in_(their_orders)) | (
        (E.entity == "invoice") & E.entity_id.in_(I.select(I.id).where(I.order.in_(their_orders))))
    doc = {
        "generated_at": _value(now()),
        "store": {"name": store.name, "currency": store.currency, "currency_exponent": store.exponent} if store else {},
        "customer": _row(customer, ("fiscal_extra",)),
        "search_tokens": [t for (t,) in T.select(T.token).where(T.customer == customer_id).order_by(T.token).tuples()],
        "orders": orders,
        "invoices": invoices,
        "audit": trail,
    }
    if hasattr(models, "LoyaltyEntry"):
        LE = models.LoyaltyEntry
        entries = list(LE.select().where(LE.customer == customer_id).order_by(LE.id))
        doc["loyalty"] = [_row(entry) for entry in entries]
        about = about | ((E.entity == "loyalty_entry") & E.entity_id.in_(
            LE.select(LE.id).where(LE.customer == customer_id)))
    PJ, AP = models.PrintJob, models.Approval
    doc["receipts_queued"] = [_row(job, ("payload",)) for job in
                              PJ.select().where(PJ.order.in_(their_orders)).order_by(PJ.id)]
    doc["approvals"] = [_row(approval, ("details",)) for approval in
                        AP.select().where(AP.order.in_(their_orders)).order_by(AP.id)]
    doc["events"] = [{"cursor": e.cursor, "at": _value(e.at), "kind": e.kind, "entity": e.entity,
                      "entity_id": e.entity_id, "payload": json.loads(e.payload)}
                     for e in E.select().where(about).order_by(E.cursor)]
    return doc


# Anonymising ---------------------------------------------------------------------------------------


def _scrub_changes(changes: dict, fields: set[str]) -> dict:
    return {key: ([None, None] if isinstance(value, list) and len(value) == 2 else None) if key in fields else value
            for key, value in changes.items()}


@transactional
def anonymise(customer_id: int, cashier_id: int | None = None) -> list[str]:
    """Scrub a customer's personal data for good (see the module's doc). Returns the fields
    that held something and were cleared."""
    row = _customer(customer_id)
    if row.anonymised_at is not None:
        raise StateError(_("Customer {id} was already anonymised on {day}.").format(
            id=customer_id, day=row.anonymised_at.date().isoformat()))
    cleared = sorted(name for name, empty in {"name": "", **PERSONAL}.items()
                     if name not in DERIVED and getattr(row, name) not in (empty, "", None, False, "{}"))
    at = now()
    C = models.Customer
    C.update(**PERSONAL, name=anonymous_name(customer_id), archived=True, anonymised_at=at,
             updated_at=at).where(C.id == customer_id).execute()
    customer_search.drop_tokens(customer_id)

    # What the past told about them: the audit trail's values, the customer events' payloads.
    personal = {"name", *PERSONAL}
    A = models.AuditLog
    for entry_id, changes in A.select(A.id, A.changes).where(
            (A.entity == "customer") & (A.entity_id == customer_id)).tuples():
        A.update(changes=json.dumps(_scrub_changes(json.loads(changes), personal), ensure_ascii=False)).where(
            A.id == entry_id).execute()
    E = models.Event
    scrubbed = {**PERSONAL, "name": anonymous_name(customer_id), "fiscal_extra": {}}
    for cursor, payload in E.select(E.cursor, E.payload).where(
            (E.entity == "customer") & (E.entity_id == customer_id)).tuples():
        told = json.loads(payload)
        told.update({key: scrubbed[key] for key in told if key in scrubbed})
        E.update(payload=json.dumps(told, ensure_ascii=False, sort_keys=True)).where(E.cursor == cursor).execute()

    # Receipts kept for the printer name them; a manager's reasons on their points are free text.
    PJ, O = models.PrintJob, models.Order
    their_orders = O.select(O.id).where(O.customer == customer_id)
    for job_id, payload in PJ.select(PJ.id, PJ.payload).where(PJ.order.in_(their_orders)).tuples():
        job = json.loads(payload or "{}")
        receipt = job.get("receipt")
        if isinstance(receipt, dict) and receipt.get("customer"):
            receipt["customer"] = anonymous_name(customer_id)
            PJ.update(payload=json.dumps(job, ensure_ascii=False)).where(PJ.id == job_id).execute()
    if hasattr(models, "LoyaltyEntry"):
        LE = models.LoyaltyEntry
        reasons = [entry_id for (entry_id,) in LE.select(LE.id).where(
            (LE.customer == customer_id) & (LE.reason != "")).tuples()]
        if reasons:
            LE.update(reason="").where(LE.id.in_(reasons)).execute()
            for cursor, payload in E.select(E.cursor, E.payload).where(
                    (E.entity == "loyalty_entry") & E.entity_id.in_(reasons)).tuples():
                told = json.loads(payload)
                if told.get("reason"):
                    told["reason"] = ""
                    E.update(payload=json.dumps(told, ensure_ascii=False, sort_keys=True)).where(
                        E.cursor == cursor).execute()
            cleared.append("loyalty reasons")

    audit.record("customer", customer_id, "anonymise", {"cleared": cleared}, cashier_id)
    events.emit(events.CUSTOMER_ANONYMISED, "customer", customer_id, {"id": customer_id, "anonymised_at": at})
    return cleared
