"""`pos invoice …`, `pos store …` and `pos customers balances` through CliRunner, on the demo store
(Spain, EUR) with sales made through the services."""

import csv
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from pos_tui import db, models
from pos_tui.services import cashiers, customers, refunds, sales, sessions, store
from pos_tui.services.payments import Tender
from tests.cli_helpers import as_json, cli_runner

COMPANY_TAX_ID = "B65432106"


@pytest.fixture
def run(db_path, monkeypatch):
    return cli_runner(db_path, monkeypatch)


def out(result) -> str:
    """What a command printed; babel puts a no-break space before €, read here as a plain space."""
    assert result.exit_code == 0, result.output
    return result.stdout.replace("\u00a0", " ")



def _shop() -> dict:
    """Sales of the demo store: an invoice (F…1, 8,25 €), a ticket, two sales on the company's
    account (one 45 days overdue) and a credit note for one beer of the invoice."""
    ana = cashiers.authenticate("Ana", "1234")
    sessions.open_session("T1", ana.id, 10_000)
    company = customers.create_customer({
        "name": "Ferretería Norte S.L.", "is_company": True, "tax_id": COMPANY_TAX_ID, "street": "Calle Sol 4",
        "city": "Madrid", "postal_code": "28004", "credit_limit": "100", "payment_terms_days": "30"})

    def sell(*codes, customer=None, invoice=False, method="card"):
        sale = sales.current_sale("T1", ana.id)
        for code in codes:
            sales.add_code(sale.id, code)
        if customer:
            sales.set_customer(sale.id, customer)
        if invoice:
            sales.set_invoice(sale.id, True)
        sale = sales.get_sale(sale.id)
        return sales.checkout(sale.uuid, [Tender(method, sale.total_minor)], cashier_id=ana.id)

    invoiced = sell("P021", "P013", customer=company.id, invoice=True)
    ticket = sell("P001")
    sell("2*P021", customer=company.id, method="account")
    late = models.Payment.get(models.Payment.method == "account")
    late.due_at = db.now() - timedelta(days=45)
    late.save()
    sell("P022", customer=company.id, method="account")
    line = next(line for line in refunds.refundable(invoiced.order_id).lines if line.sku == "P021")
    note = refunds.refund(invoiced.order_id, {line.line_id: 1}, "T1", ana.id)
    return {"invoice": invoiced.invoice_number, "ticket": ticket.invoice_number, "note": note.invoice_number,
            "company": company.id}


@pytest.fixture
def shop(run, stored):
    assert run("demo").exit_code == 0
    return stored(_shop)


# pos invoice list / show / pdf ------------------------------------------------------------------


def test_invoice_list_newest_first_filtered_by_kind_and_as_json(run, shop):
    table = out(run("invoice", "list"))
    assert table.index(shop["note"]) < table.index(shop["invoice"])
    assert "Credit note" in table and "Ferretería Norte S.L." in table and "-4,50 €" in table

    doc = as_json(run("invoice", "list", "--format", "json"))
    assert doc["currency"] == "EUR" and doc["currency_exponent"] == 2
    assert [row["kind"] for row in doc["invoices"]] == ["credit_note", "simplified", "simplified", "simplified",
                                                        "invoice"]
    first = doc["invoices"][-1]
    assert (first["number"], first["customer"], first["total_minor"]) == (shop["invoice"], "Ferretería Norte S.L.",
                                                                           825)
    assert first["issued_at"].endswith("+00:00")

    notes = as_json(run("invoice", "list", "--kind", "credit_note", "--format", "json"))["invoices"]
    assert [(row["number"], row["total_minor"]) for row in notes] == [(shop["note"], -450)]
    assert len(as_json(run("invoice", "list", "--limit", "2", "--format", "json"))["invoices"]) == 2


def test_invoice_list_by_dates(run, shop):
    today = db.local_time(db.now()).date()
    day = today.isoformat()
    assert len(as_json(run("invoice", "list", "--since", day, "--until", day, "--format", "json"))["invoices"]) == 5
    tomorrow = (today + timedelta(days=1)).isoformat()
    yesterday = (today - timedelta(days=1)).isoformat()
    assert as_json(run("invoice", "list", "--since", tomorrow, "--format", "json"))["invoices"] == []
    assert as_json(run("invoice", "list", "--until", yesterday, "--format", "json"))["invoices"] == []
    bad = run("invoice", "list", "--since", "31/03/2026")
    assert bad.exit_code == 1 and "--since" in bad.output and "YYYY-MM-DD" in bad.output


def test_invoice_show_as_a_layout(run, shop):
    shown = out(run("invoice", "show", shop["invoice"].lower()))  # numbers are found whatever the case
    for text in ("Ultramarinos La Esquina", "Tax ID: B85743219", "Invoice", shop["invoice"], "Customer",
                 "Ferretería Norte S.L.", COMPANY_TAX_ID, "Calle Sol 4", "28004 Madrid", "Cerveza (6 latas)",
                 "Atún en aceite (3 latas)", "Taxes", "21 %", "3,72 €", "0,78 €", "Totals", "8,25 €", "Card"):
        assert text in shown, text
    note = out(run("invoice", "show", shop["note"]))
    assert "Credit note" in note and f"corrects {shop['invoice']}" in note and "-4,50 €" in note


def test_invoice_show_as_json(run, shop):
    doc = as_json(run("invoice", "show", shop["invoice"], "--format", "json"))
    assert (doc["number"], doc["kind"], doc["title"], doc["currency"], doc["currency_exponent"]) == (
        shop["invoice"], "invoice", "Invoice", "EUR", 2)
    assert (doc["net_minor"], doc["tax_minor"], doc["total_minor"]) == (713, 112, 825)
    assert doc["store"]["tax_id"] == "B85743219" and doc["customer"]["tax_id"] == COMPANY_TAX_ID
    assert [(line["name"], line["total_minor"]) for line in doc["lines"]] == [
        ("Cerveza (6 latas)", 450), ("Atún en aceite (3 latas)", 375)]
    assert [(t["rate_bp"], t["net_minor"], t["tax_minor"]) for t in doc["taxes"]] == [(1000, 341, 34),
                                                                                      (2100, 372, 78)]
    assert [(p["method"], p["amount_minor"]) for p in doc["payments"]] == [("card", 825)]
    assert doc["issued_at"].endswith("+00:00") and doc["corrects"] is None

    note = as_json(run("invoice", "show", shop["note"], "--format", "json"))
    assert (note["kind"], note["corrects"], note["total_minor"]) == ("credit_note", shop["invoice"], -450)


def test_invoice_pdf_writes_the_file(run, shop, tmp_path):
    target = tmp_path / "F1.pdf"
    assert str(target) in out(run("invoice", "pdf", shop["invoice"], "-o", str(target)))
    assert target.read_bytes().startswith(b"%PDF")
    text = PdfReader(target).pages[0].extract_text().replace("\u00a0", " ")
    assert shop["invoice"] in text and COMPANY_TAX_ID in text and "Total 8,25 €" in text


@pytest.mark.parametrize("args, fragment", [
    (["invoice", "show", "F1999-000001"], "No invoice numbered F1999-000001"),
    (["invoice", "show", "F1999-000001", "--format", "json"], "No invoice numbered F1999-000001"),
    (["invoice", "pdf", "F1999-000001", "-o", "{tmp}/x.pdf"], "No invoice numbered F1999-000001"),
    (["invoice", "pdf", "{invoice}", "-o", "{tmp}/no/such/folder/x.pdf"], "--output: cannot write"),
])
def test_invoice_refusals(run, shop, tmp_path, args, fragment):
    args = [arg.format(tmp=tmp_path, invoice=shop["invoice"]) for arg in args]
    result = run(*args)
    assert result.exit_code == 1
    assert fragment in result.output
    assert not list(tmp_path.rglob("*.pdf"))


# pos store show / set ---------------------------------------------------------------------------


def test_store_show(run, shop):
    table = out(run("store", "show"))
    for text in ("Ultramarinos La Esquina", "B85743219", "Calle Mayor 1, 28013 Madrid", "line", "off", "10 %",
                 "5,00 €", "EUR"):
        assert text in table, text
    assert as_json(run("store", "show", "--format", "json")) == {
        "name": "Ultramarinos La Esquina", "country": "ES", "currency": "EUR", "currency_exponent": 2,
        "locale": "es_ES", "tax_id": "B85743219", "address": "Calle Mayor 1, 28013 Madrid", "rounding": "line",
        "cash_rounding_minor": 0, "discount_limit_bp": 1000, "cash_difference_limit_minor": 500,
        "negative_stock": "allow"}


def test_store_set_changes_only_what_is_given(run, shop, stored):
    saved = out(run("store", "set", "--rounding", "total", "--cash-rounding", "0,05"))
    assert "saved" in saved and "0,05 €" in saved
    doc = as_json(run("store", "show", "--format", "json"))
    assert (doc["rounding"], doc["cash_rounding_minor"]) == ("total", 5)
    assert (doc["name"], doc["tax_id"], doc["discount_limit_bp"]) == ("Ultramarinos La Esquina", "B85743219", 1000)

    doc = as_json(run("store", "set", "--name", "La Esquina", "--tax-id", "a-48192736", "--address", "Calle Luna 2",
                      "--discount-limit", "12,5", "--cash-difference-limit", "2.50", "--format", "json"))
    assert (doc["name"], doc["tax_id"], doc["address"]) == ("La Esquina", "A48192736", "Calle Luna 2")
    assert (doc["discount_limit_bp"], doc["cash_difference_limit_minor"]) == (1250, 250)
    assert (doc["rounding"], doc["cash_rounding_minor"]) == ("total", 5)
    # The till uses them: cash is now rounded, and the next invoice carries the new name.
    assert stored(sales.cash_increment) == 5 and stored(store.get_store).name == "La Esquina"

    assert as_json(run("store", "set", "--cash-rounding", "0", "--format", "json"))["cash_rounding_minor"] == 0


@pytest.mark.parametrize("args, fields", [
    (["--rounding", "sometimes"], ["--rounding"]),
    (["--cash-rounding", "-0.05"], ["--cash-rounding"]),
    (["--cash-rounding", "0,001"], ["--cash-rounding"]),
    (["--tax-id", "B12345678"], ["--tax-id"]),
    (["--name", ""], ["--name"]),
    (["--discount-limit", "150"], ["--discount-limit"]),
    (["--cash-difference-limit", "lots"], ["--cash-difference-limit"]),
    # Every bad option at once, and the good one beside them is not saved either.
    (["--name", "New name", "--rounding", "sometimes", "--cash-rounding", "-1", "--tax-id", "B12345678"],
     ["--rounding", "--cash-rounding", "--tax-id"]),
])
def test_store_set_refuses_bad_values_and_saves_nothing(run, shop, args, fields):
    before = as_json(run("store", "show", "--format", "json"))
    result = run("store", "set", *args)
    assert result.exit_code == 1, result.output
    for field in fields:
        assert f"{field}:" in result.output
    assert as_json(run("store", "show", "--format", "json")) == before


def test_store_set_without_options_says_so(run, shop):
    result = run("store", "set")
    assert result.exit_code == 2 and "nothing to change" in result.output


def test_update_settings_reports_every_bad_setting(stored, run, shop):
    from pos_tui.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        stored(store.update_settings, rounding="x", cash_rounding="-1", discount_limit="abc", colour="red")
    assert set(refused.value.errors) == {"rounding", "cash_rounding", "discount_limit", "colour"}
    assert stored(store.get_settings).rounding == "line"


# pos customers balances -------------------------------------------------------------------------


def test_balances_table_and_totals(run, shop):
    report = out(run("customers", "balances"))
    assert "Ferretería Norte S.L." in report and "EUR" in report
    row = next(line for line in report.splitlines() if "Ferretería" in line)
    assert row.split()[-7:] == ["7,90", "0,00", "9,00", "0,00", "0,00", "16,90", "100,00"]
    total = next(line for line in report.splitlines() if line.split()[:1] == ["Total"])
    assert total.split()[1:] == ["7,90", "0,00", "9,00", "0,00", "0,00", "16,90"]


def test_balances_as_json_and_csv_as_of_a_later_day(run, shop):
    doc = as_json(run("customers", "balances", "--format", "json"))
    [row] = doc["customers"]
    assert (doc["currency"], doc["as_of"]) == ("EUR", db.now().date().isoformat())
    assert (row["customer_id"], row["name"], row["credit_limit_minor"]) == (shop["company"], "Ferretería Norte S.L.",
                                                                            10_000)
    assert row["buckets_minor"] == {"current": 790, "1-30": 0, "31-60": 900, "61-90": 0, "90+": 0}
    assert doc["totals"] == {"buckets_minor": row["buckets_minor"], "total_minor": 1690}

    later = (db.now().date() + timedelta(days=60)).isoformat()  # 105 and 30 days overdue by then
    later_doc = as_json(run("customers", "balances", "--format", "json", "--as-of", later))
    assert later_doc["customers"][0]["buckets_minor"] == {"current": 0, "1-30": 790, "31-60": 0, "61-90": 0,
                                                          "90+": 900}

    result = run("customers", "balances", "--format", "csv", "--as-of", later)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["customer_id", "name", "current", "1-30", "31-60", "61-90", "90+", "total", "credit_limit",
                       "currency"]
    assert rows[1] == [str(shop["company"]), "Ferretería Norte S.L.", "0.00", "7.90", "0.00", "0.00", "9.00",
                       "16.90", "100.00", "EUR"]
    assert rows[2] == ["", "Total", "0.00", "7.90", "0.00", "0.00", "9.00", "16.90", "", "EUR"]


def test_balances_refuse_a_bad_date_and_say_when_nobody_owes(run, stored):
    assert run("demo").exit_code == 0
    bad = run("customers", "balances", "--as-of", "yesterday")
    assert bad.exit_code == 1 and "--as-of" in bad.output
    assert "No customer owes anything" in out(run("customers", "balances"))
    assert as_json(run("customers", "balances", "--format", "json"))["customers"] == []
