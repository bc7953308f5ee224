"""A person's data: all of it as one document (`pos customers data`), and erased for good while
the sales and the invoices the law requires stay (`pos customers anonymise`)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pos_tui import db, models
from pos_tui.cli import app
from pos_tui.errors import NotFound, StateError
from pos_tui.services import audit, customers, events, invoices, privacy
from tests.data_helpers import COMPANY, make_activity


@pytest.fixture
def activity(shop):
    return make_activity()


def a_print_job(order_id: int, name: str) -> int:
    """A receipt waiting for the printer, as the till queues one."""
    payload = {"version": 1, "receipt": {"number": "T1-000001", "customer": name, "lines": []}, "copy": False}
    return models.PrintJob.create(till="T1", kind="receipt", order=order_id, payload=json.dumps(payload)).id


def test_the_data_document_holds_everything_about_the_person(activity):
    customers.update_customer(activity.company_id, {"city": "Getafe"})
    job = a_print_job(activity.invoiced_order_id, COMPANY["name"])
    doc = privacy.customer_data(activity.company_id)
    json.dumps(doc)  # one JSON document
    assert doc["customer"]["name"] == COMPANY["name"] and doc["customer"]["email"] == COMPANY["email"]
    assert doc["customer"]["notes"] == COMPANY["notes"] and doc["customer"]["city"] == "Getafe"
    assert doc["customer"]["fiscal_extra"] == {} and doc["store"]["currency"] == "EUR"
    assert "ferreteria" in " ".join(doc["search_tokens"])
    orders = {o["id"]: o for o in doc["orders"]}
    assert set(orders) == {activity.invoiced_order_id, activity.refund_order_id}  # not the anonymous sale
    sale = orders[activity.invoiced_order_id]
    assert sale["total_minor"] == 900 and [line["sku"] for line in sale["lines"]] == ["P021"]
    assert [p["method"] for p in sale["payments"]] == ["card"] and sale["uuid"].count("-") == 4
    assert [i["kind"] for i in doc["invoices"]] == ["invoice", "credit_note"]
    invoice = next(i for i in doc["invoices"] if i["number"] == activity.invoice_number)
    assert invoice["customer_snapshot"]["name"] == COMPANY["name"]
    assert invoice["lines_snapshot"]["lines"][0]["sku"] == "P021"
    assert [e["kind"] for e in doc["loyalty"]] == ["earn", "reverse", "adjust"]
    assert [a["action"] for a in doc["audit"]] == ["create", "update"]
    assert doc["audit"][1]["changes"]["city"] == ["Madrid", "Getafe"]
    kinds = [e["kind"] for e in doc["events"]]
    for kind in ("customer.created", "customer.updated", "sale.paid", "refund.paid", "invoice.issued",
                 "loyalty.entry"):
        assert kind in kinds
    assert [j["id"] for j in doc["receipts_queued"]] == [job]
    assert doc["receipts_queued"][0]["payload"]["receipt"]["customer"] == COMPANY["name"]
    assert doc["generated_at"].endswith("+00:00")
    with pytest.raises(NotFound):
        privacy.customer_data(9999)


def test_anonymise_scrubs_the_person_and_keeps_what_the_law_requires(activity):
    customer_id = activity.company_id
    customers.update_customer(customer_id, {"city": "Getafe"})
    a_print_job(activity.invoiced_order_id, COMPANY["name"])
    I, O, L, P = models.Invoice, models.Order, models.OrderLine, models.Payment
    invoices_before = [i.__data__.copy() for i in I.select().order_by(I.id)]
    orders_before = [o.__data__.copy() for o in O.select().order_by(O.id)]
    lines_before = [line.__data__.copy() for line in L.select().order_by(L.id)]
    payments_before = [p.__data__.copy() for p in P.select().order_by(P.id)]
    points_before = models.Customer.get_by_id(customer_id).points
    start = events.last_cursor()

    cleared = privacy.anonymise(customer_id, cashier_id=1)

    assert {"name", "email", "phone", "street", "city", "postal_code", "tax_id", "notes"} <= set(cleared)
    # the sales and the invoices exactly as they were
    assert [i.__data__ for i in I.select().order_by(I.id)] == invoices_before
    assert [o.__data__ for o in O.select().order_by(O.id)] == orders_before
    assert [line.__data__ for line in L.select().order_by(L.id)] == lines_before
    assert [p.__data__ for p in P.select().order_by(P.id)] == payments_before
    shown = invoices.get_invoice(activity.invoice_number)
    assert shown.customer["name"] == COMPANY["name"] and shown.customer["tax_id"] == "B85743219"
    # the person is gone
    row = models.Customer.get_by_id(customer_id)
    assert row.name == privacy.anonymous_name(customer_id) and row.archived and row.anonymised_at is not None
    for name in ("email", "phone", "phone_e164", "street", "city", "postal_code", "tax_id", "notes",
                 "special_terms", "search_key", "name_key"):
        assert getattr(row, name) == "", name
    assert row.loyalty_card is None and not row.marketing_consent and row.marketing_consent_at is None
    assert row.points == points_before  # their points still add up with the ledger
    assert models.CustomerToken.select().where(models.CustomerToken.customer == customer_id).count() == 0
    assert not [c for c in customers.search_customers("ferreteria") if c.id == customer_id]
    # nothing left to tell who they were: not the document, the audit trail, the feed, the receipts
    # (but the invoices, as issued, and the feed's invoice events, which are the invoices told to
    # accounting, keep the fiscal data the law requires)
    doc = privacy.customer_data(customer_id)
    kept = {"invoices": doc.pop("invoices"),
            "events": [e for e in doc["events"] if e["kind"] == "invoice.issued"]}
    doc["events"] = [e for e in doc["events"] if e["kind"] != "invoice.issued"]
    for secret in ("compras@ferreteria-norte.es", "915 000 111", "Calle Sol", "Getafe", "Prefiere factura",
                   "Marta Ruiz", "Ferretería", "B85743219", "28004"):
        assert secret not in json.dumps(doc, ensure_ascii=False), secret
    assert "Calle Sol 4" in json.dumps(kept, ensure_ascii=False)
    history = audit.history("customer", customer_id)
    assert history[-1].action == "anonymise" and history[-1].cashier == "Ana"
    assert "Getafe" not in json.dumps([h.changes for h in history], ensure_ascii=False)
    told = events.after(start)
    assert [e.kind for e in told] == ["customer.anonymised"] and told[0].entity_id == customer_id
    everything = json.dumps([e.payload for e in events.after(0) if not e.kind.startswith("invoice.")],
                            ensure_ascii=False)
    assert "compras@ferreteria-norte.es" not in everything and "Marta Ruiz" not in everything
    job = models.PrintJob.select().first()
    assert json.loads(job.payload)["receipt"]["customer"] == privacy.anonymous_name(customer_id)
    assert [e.reason for e in models.LoyaltyEntry.select()] == ["", "", ""]
    with pytest.raises(StateError, match="already anonymised"):
        privacy.anonymise(customer_id)


def test_anonymising_is_one_transaction(activity, monkeypatch):
    before = models.Customer.get_by_id(activity.company_id).__data__.copy()
    start = events.last_cursor()

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(privacy.events, "emit", fail)
    with pytest.raises(RuntimeError):
        privacy.anonymise(activity.company_id)
    assert models.Customer.get_by_id(activity.company_id).__data__ == before
    assert events.last_cursor() == start


# The commands --------------------------------------------------------------------------------------


@pytest.fixture
def run(db_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("POS_LANG", "en")
    monkeypatch.delenv("POS_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        db.close_database()
        result = runner.invoke(app, ["--db", str(db_path), *args], input=input)
        db.close_database()
        return result

    return invoke


def test_the_commands_ask_first_and_write_the_document(activity, run, db_path, tmp_path):
    customer_id = activity.company_id
    shown = run("customers", "data", str(customer_id))
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["customer"]["email"] == COMPANY["email"]
    target = tmp_path / "data.json"
    written = run("customers", "data", str(customer_id), "-o", str(target))
    assert written.exit_code == 0 and json.loads(target.read_text())["customer"]["id"] == customer_id

    declined = run("customers", "anonymise", str(customer_id), input="n\n")
    assert declined.exit_code == 1 and "Nothing was changed" in declined.output
    assert "Ferretería Norte" in declined.output  # it says whom
    db.open_database(str(db_path))
    assert models.Customer.get_by_id(customer_id).anonymised_at is None
    done = run("customers", "anonymise", str(customer_id), input="y\n")
    assert done.exit_code == 0, done.output
    assert "anonymised" in done.stdout
    db.open_database(str(db_path))
    assert models.Customer.get_by_id(customer_id).anonymised_at is not None
    again = run("customers", "anonymise", str(customer_id), "--yes")
    assert again.exit_code == 1 and "already anonymised" in again.output
    missing = run("customers", "anonymise", "9999", "--yes")
    assert missing.exit_code != 0
