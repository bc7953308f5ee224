"""`pos customers …` through CliRunner, on the demo store (Spain, EUR, 20 customers)."""

from datetime import datetime

import pytest

from pos_tui.services import audit, cashiers, customers, sales
from pos_tui.services.payments import Tender
from tests.cli_helpers import as_json, cli_runner

JOSE = "José García López"  # demo customer: 612 400 118, jose.garcia@example.es, 53464097E
MEXICAN = ["--name", "Comercial Azteca", "--company", "--country", "MX", "--tax-id", "GODE561231GR8",
           "--phone", "+52 33 1234 5678", "--fiscal", "regime=601", "--fiscal", "cfdi_use=G03",
           "--fiscal", "tax_postal_code=03940"]


@pytest.fixture
def run(db_path, monkeypatch):
    return cli_runner(db_path, monkeypatch)


@pytest.fixture
def demo(run):
    assert run("demo").exit_code == 0



def count(stored) -> int:
    return len(stored(customers.list_customers, limit=10_000)) + len(
        stored(customers.list_customers, limit=10_000, archived=True))


def add(run, *args: str) -> dict:
    return as_json(run("customers", "add", *args, "--format", "json"))


# add ------------------------------------------------------------------------------------------


def test_add_with_a_spanish_nif_and_a_local_phone(run, demo, stored):
    result = run("customers", "add", "--name", "Marta Villa Soto", "--phone", "612 345 678",
                 "--tax-id", "12345678-z", "--email", "marta@example.es", "--city", "Bilbao",
                 "--credit-limit", "500", "--discount", "5", "--needs-invoice")
    assert result.exit_code == 0, result.output
    assert "Customer 21 created: Marta Villa Soto" in result.stdout
    assert "+34612345678" in result.stdout and "500,00" in result.stdout
    info = stored(customers.get_customer, 21)
    assert (info.phone, info.phone_e164) == ("612 345 678", "+34612345678")
    assert (info.tax_id, info.tax_country, info.country, info.language) == ("12345678Z", "ES", "ES", "es")
    assert (info.credit_limit_minor, info.discount_bp, info.needs_invoice) == (50_000, 500, True)
    assert stored(customers.search_customers, "612345678")[0].id == 21


def test_add_as_json_has_plain_values(run, demo):
    doc = add(run, "--name", "Núria Puig", "--phone", "612 345 678", "--credit-limit", "500",
              "--marketing-consent")
    assert doc["currency"] == "EUR" and doc["currency_exponent"] == 2
    assert doc["credit_limit_minor"] == 50_000 and "credit_limit" not in doc
    assert doc["name"] == "Núria Puig" and doc["phone_e164"] == "+34612345678"
    assert doc["marketing_consent"] is True and doc["warnings"] == []
    assert datetime.fromisoformat(doc["marketing_consent_at"]).utcoffset().total_seconds() == 0
    assert datetime.fromisoformat(doc["created_at"])


def test_bad_email_phone_and_nif_one_line_each_and_nothing_written(run, demo, stored):
    before = count(stored)
    result = run("customers", "add", "--name", "Mal Dato", "--email", "mal@", "--phone", "12",
                 "--tax-id", "12345678A")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, result.stderr
    assert {line.split(":")[0] for line in lines} == {"email", "phone", "tax_id"}
    assert any(line.startswith("phone: is not a valid phone number") for line in lines)
    assert "Traceback" not in result.output and result.stdout == ""
    assert count(stored) == before


def test_bad_fiscal_options_are_reported_with_the_other_fields(run, demo, stored):
    before = count(stored)
    result = run("customers", "add", "--name", "Comercial Azteca", "--country", "MX", "--email", "x@",
                 "--fiscal", "regime=999", "--fiscal", "colour=blue", "--fiscal", "nonsense")
    assert result.exit_code == 1
    for fragment in ("email:", "fiscal.regime:", "fiscal.colour: is not a fiscal field for MX",
                     "fiscal: “nonsense” is not KEY=VALUE"):
        assert fragment in result.stderr
    spanish = run("customers", "add", "--name", "Pepa Gil", "--fiscal", "regime=601")
    assert spanish.exit_code == 1 and "fiscal.regime: ES has no extra fiscal fields" in spanish.stderr
    assert count(stored) == before


def test_duplicate_email_is_refused_then_created_anyway_and_audited(run, demo, stored):
    before = count(stored)
    args = ("customers", "add", "--name", "Pepe Otero", "--email", "jose.garcia@example.es")
    refused = run(*args)
    assert refused.exit_code == 1
    assert JOSE in refused.stderr and "612 400 118" in refused.stderr and "same email" in refused.stderr
    assert "--allow-duplicate" in refused.stderr
    assert count(stored) == before

    created = run(*args, "--allow-duplicate", "--format", "json")
    doc = as_json(created)
    assert count(stored) == before + 1
    actions = [entry.action for entry in stored(audit.history, "customer", doc["id"])]
    assert actions == ["create", "create_despite_duplicates"]
    shown = as_json(run("customers", "show", str(doc["id"]), "--format", "json"))
    assert shown["audit"][1]["action"] == "create_despite_duplicates"
    assert "created despite possible duplicates" in run("customers", "show", str(doc["id"])).stdout


def test_mexican_customer_keeps_the_fiscal_extras(run, demo, stored):
    doc = add(run, *MEXICAN)
    assert doc["fiscal_extra"] == {"regime": "601", "cfdi_use": "G03", "tax_postal_code": "03940"}
    info = stored(customers.get_customer, doc["id"])
    assert info.fiscal_extra == doc["fiscal_extra"]
    assert (info.tax_country, info.is_company, info.phone_e164) == ("MX", True, "+523312345678")
    shown = run("customers", "show", str(doc["id"]))
    assert "Fiscal regime (SAT code)" in shown.stdout and "03940" in shown.stdout
    changed = as_json(run("customers", "edit", str(doc["id"]), "--fiscal", "cfdi_use=G01", "--format", "json"))
    assert changed["fiscal_extra"] == {"regime": "601", "cfdi_use": "G01", "tax_postal_code": "03940"}


def test_warnings_are_printed_and_the_customer_saved(run, demo):
    result = run("customers", "add", "--name", "Casa Zapata", "--country", "MX", "--tax-id", "CAZ0506017D3")
    assert result.exit_code == 0, result.output
    assert "Warning: the RFC check digits do not match" in result.stderr
    assert "Customer 21 created" in result.stdout


# edit -----------------------------------------------------------------------------------------


def test_edit_changes_only_the_fields_given_and_audits_old_and_new(run, demo, stored):
    before = as_json(run("customers", "show", "1", "--format", "json"))
    result = run("customers", "edit", "1", "--city", "Bilbao", "--mobile", "699 111 222", "--marketing-consent")
    assert result.exit_code == 0, result.output
    assert "city: Madrid → Bilbao" in result.stdout
    after = as_json(run("customers", "show", "1", "--format", "json"))
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"city", "mobile", "mobile_e164", "marketing_consent", "marketing_consent_at",
                       "updated_at", "audit"}
    assert after["city"] == "Bilbao" and after["mobile_e164"] == "+34699111222"
    last = stored(audit.history, "customer", 1)[-1]
    assert last.action == "update"
    assert last.changes["city"] == ["Madrid", "Bilbao"]
    assert last.changes["mobile"] == ["", "699 111 222"]
    assert set(last.changes) == {"city", "mobile", "mobile_e164", "marketing_consent"}

    person = run("customers", "edit", "1", "--company", "--no-marketing-consent", "--email", "")
    assert person.exit_code == 0, person.output
    info = stored(customers.get_customer, 1)
    assert (info.is_company, info.marketing_consent, info.email, info.city) == (True, False, "", "Bilbao")


def test_edit_with_bad_values_changes_nothing(run, demo, stored):
    before = stored(customers.get_customer, 1)
    result = run("customers", "edit", "1", "--city", "Bilbao", "--phone", "12", "--discount", "150")
    assert result.exit_code == 1
    assert {line.split(":")[0] for line in result.stderr.strip().splitlines()} == {"phone", "discount"}
    assert stored(customers.get_customer, 1) == before
    assert [entry.action for entry in stored(audit.history, "customer", 1)] == ["create"]


def test_edit_needs_an_option_and_a_known_customer(run, demo):
    nothing = run("customers", "edit", "1")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output
    unknown = run("customers", "edit", "999", "--city", "Bilbao")
    assert unknown.exit_code == 1 and "No customer with id 999" in unknown.output


# archive --------------------------------------------------------------------------------------


def test_archive_hides_from_search_and_restore_brings_back(run, demo):
    def found():
        return [row["id"] for row in as_json(run("customers", "search", "garcia", "--format", "json"))]

    assert 1 in found()
    result = run("customers", "archive", "1")
    assert result.exit_code == 0 and "archived" in result.stdout
    assert 1 not in found()
    assert 1 not in [row["id"] for row in as_json(run("customers", "list", "--format", "json"))]
    assert [row["id"] for row in as_json(run("customers", "list", "--archived", "--format", "json"))] == [1]
    assert "already archived" in run("customers", "archive", "1").stdout

    restored = run("customers", "archive", "1", "--restore")
    assert restored.exit_code == 0 and "restored" in restored.stdout
    assert 1 in found()
    assert "not archived" in run("customers", "archive", "1", "--restore").stdout
    assert run("customers", "archive", "999").exit_code == 1


# list, search, show ---------------------------------------------------------------------------


def test_list_as_table_and_json_with_pages(run, demo):
    table = run("customers", "list")
    assert table.exit_code == 0, table.output
    assert JOSE in table.stdout and "612 400 118" in table.stdout and "Madrid" in table.stdout
    everyone = as_json(run("customers", "list", "--format", "json"))
    assert len(everyone) == 20
    assert set(everyone[0]) == {"id", "name", "phone", "tax_id", "city", "points"}
    jose = next(row for row in everyone if row["id"] == 1)
    assert jose == {"id": 1, "name": JOSE, "phone": "612 400 118", "tax_id": "53464097E", "city": "Madrid",
                    "points": 0}
    page = as_json(run("customers", "list", "--limit", "5", "--offset", "5", "--format", "json"))
    assert page == everyone[5:10]
    assert "--offset 10" in run("customers", "list", "--limit", "5", "--offset", "5").stdout
    assert as_json(run("customers", "list", "--archived", "--format", "json")) == []


def test_search_as_the_till_does(run, demo):
    by_phone = as_json(run("customers", "search", "612 400 118", "--format", "json"))
    assert [row["name"] for row in by_phone] == [JOSE]
    by_name = as_json(run("customers", "search", "jose garcia", "--format", "json"))
    assert by_name[0]["id"] == 1
    by_last_digits = as_json(run("customers", "search", "400118", "--format", "json"))
    assert by_last_digits[0]["id"] == 1
    table = run("customers", "search", "jose")
    assert table.exit_code == 0 and JOSE in table.stdout
    nobody = run("customers", "search", "zzzzqq")
    assert nobody.exit_code == 0 and "No customer matches" in nobody.stdout
    assert as_json(run("customers", "search", "zzzzqq", "--format", "json")) == []


def _sell_to(customer_id: int) -> int:
    ana = cashiers.authenticate("Ana", "1234")
    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, "3*P001")
    sales.add_code(sale.id, "P002")
    sales.set_customer(sale.id, customer_id)
    sales.checkout(sale.uuid, [Tender("cash", 10_000)])
    return sales.get_sale(sale.id).total_minor


def test_show_every_field_figures_sales_and_audit(run, demo, stored):
    assert run("session", "open", "--cashier", "Ana", "--float", "100").exit_code == 0
    total = stored(_sell_to, 1)
    assert run("customers", "edit", "1", "--credit-limit", "250,5").exit_code == 0

    doc = as_json(run("customers", "show", "1", "--format", "json"))
    assert doc["currency"] == "EUR" and doc["id"] == 1 and doc["name"] == JOSE
    for name in customers.CustomerInfo.__dataclass_fields__:
        if name != "warnings":
            assert name in doc, name
    assert doc["credit_limit_minor"] == 25_050
    assert doc["stats"]["total_spent_minor"] == total and doc["stats"]["visits"] == 1
    assert doc["stats"]["average_ticket_minor"] == total
    assert doc["stats"]["top_products"][0]["quantity"] == 3
    assert len(doc["stats"]["monthly"]) == 12
    assert doc["stats"]["monthly"][-1]["spent_minor"] == total
    assert [sale["number"] for sale in doc["sales"]] == ["T1-000001"]
    assert doc["sales"][0]["items"] == 4 and doc["sales"][0]["total_minor"] == total
    assert datetime.fromisoformat(doc["sales"][0]["paid_at"]).tzinfo is not None
    assert [entry["action"] for entry in doc["audit"]] == ["create", "update"]
    assert doc["audit"][1]["changes"]["credit_limit_minor"] == [0, 25_050]
    assert datetime.fromisoformat(doc["audit"][0]["at"])

    table = run("customers", "show", "1")
    assert table.exit_code == 0, table.output
    for fragment in (JOSE, "jose.garcia@example.es", "+34612400118", "53464097E", "250,50",
                     "Total spent", "T1-000001", "Leche", "credit_limit_minor: 0,00"):
        assert fragment in table.stdout, fragment


def test_show_of_an_unknown_customer_fails_cleanly(run, demo):
    for fmt in ("table", "json"):
        result = run("customers", "show", "999", "--format", fmt)
        assert result.exit_code == 1
        assert "No customer with id 999" in result.stderr
        assert result.stdout == ""
        assert isinstance(result.exception, SystemExit)
    assert run("customers", "show", "abc").exit_code == 2


def test_commands_need_a_store(run):
    result = run("customers", "list")
    assert result.exit_code == 1 and "no store" in result.output


def test_bad_format_is_a_usage_error(run, demo):
    result = run("customers", "list", "--format", "xml")
    assert result.exit_code == 2


def test_json_keeps_utf8_unescaped(run, demo):
    result = run("customers", "list", "--format", "json")
    assert "José" in result.stdout and "\\u00e9" not in result.stdout


@pytest.mark.parametrize("command", [[], ["list"], ["search"], ["show"], ["add"], ["edit"], ["archive"]])
def test_every_command_has_help(run, command):
    result = run("customers", *command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    if not command:
        for name in ("list", "search", "show", "add", "edit", "archive"):
            assert name in result.output


def test_help_shows_the_options(run):
    add_help = run("customers", "add", "--help").output
    for option in ("--name", "--tax-id", "--postal-code", "--fiscal", "--allow-duplicate", "--format"):
        assert option in add_help
    edit_help = run("customers", "edit", "--help").output
    for option in ("--person", "--no-needs-invoice", "--no-marketing-consent"):
        assert option in edit_help
    assert "customers" in run("--help").output
