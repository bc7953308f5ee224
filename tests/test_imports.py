"""`pos import customers`: every row checked with the till form's rules before anything is
written; all or nothing; files as spreadsheets and other programs write them; round trips."""

from __future__ import annotations

import codecs
import csv
import io
import json
from datetime import datetime

import pytest

from pos_tui import db, models
from pos_tui.errors import PosError, ValidationError
from pos_tui.services import customers, events, exports, imports, store
from tests.data_helpers import make_activity


def write_csv(path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8"):
    with open(path, "w", encoding=encoding, newline="") as out:
        csv.writer(out, delimiter=delimiter).writerows(rows)
    return path


def counts() -> tuple[int, int, int, int]:
    return (models.Customer.select().count(), models.CustomerToken.select().count(),
            models.AuditLog.select().count(), models.Event.select().count())


@pytest.fixture
def empty_store(database):
    """A store set up by hand: no customer yet."""
    store.setup_store("Tienda Nueva", "ES", "EUR", "Ana", "1234")
    return database


BAD_ROWS = [
    ["name", "email", "phone", "tax_id", "postal_code", "credit_limit", "discount"],
    ["Peña Núñez, José", "jose@example.es", "612 345 678", "", "28013", "10,50", "5"],  # row 2: fine
    ["", "nadie@example.es", "", "", "", "", ""],  # row 3: no name
    ["Ana Mala", "not-an-email", "12", "X1234", "", "abc", "200"],  # row 4: five problems
    ["Luis Otro", "jose@example.es", "", "", "", "", ""],  # row 5: same email as row 2
    ["Eva Bien", "eva@example.es", "", "", "", "", ""],  # row 6: fine
]


# The dry run -------------------------------------------------------------------------------------


def test_a_dry_run_reports_every_problem_by_row_and_column_and_writes_nothing(empty_store, tmp_path):
    path = write_csv(tmp_path / "clientes.csv", BAD_ROWS)
    before = counts()
    report = imports.import_customers(path)
    assert counts() == before and not report.applied and report.created == 0
    assert (report.rows, report.valid, report.invalid_rows) == (5, 2, 3)
    found = [(p.row, p.column) for p in report.problems]
    assert found == [(3, "name"), (4, "email"), (4, "phone"), (4, "tax_id"), (4, "discount"), (4, "credit_limit"),
                     (5, "email")] or sorted(found) == sorted(
        [(3, "name"), (4, "email"), (4, "phone"), (4, "tax_id"), (4, "discount"), (4, "credit_limit"), (5, "email")])
    by_place = {(p.row, p.column): p for p in report.problems}
    # the form's own messages, word for word
    with pytest.raises(ValidationError) as form:
        customers.clean({"name": "Ana Mala", "email": "not-an-email", "phone": "12", "tax_id": "X1234",
                         "credit_limit": "abc", "discount": "200"}, "ES", 2)
    for field, message in form.value.errors.items():
        assert by_place[(4, field)].message == message
    assert by_place[(4, "email")].value == "not-an-email"
    assert "row 2" in by_place[(5, "email")].message and "same email" in by_place[(5, "email")].message


def test_duplicates_of_customers_the_store_has_follow_the_forms_rules(shop, tmp_path):
    rows = [["name", "email", "phone", "tax_id"],
            ["Pepe Distinto", "jose.garcia@example.es", "", ""],  # a demo customer's email
            ["Alguien Nuevo", "", "612 400 118", ""],  # … and José's phone
            ["J. G. L.", "", "", "53464097E"],  # … and his tax ID
            ["José García López", "", "", ""],  # his name
            ["Nadie Parecido", "nuevo@example.es", "", ""]]
    path = write_csv(tmp_path / "c.csv", rows)
    report = imports.import_customers(path)
    assert [(p.row, p.column) for p in report.problems] == [(2, "email"), (3, "phone"), (4, "tax_id"), (5, "name")]
    for problem in report.problems:
        assert "José García López" in problem.message
    info = customers.clean({"name": "Pepe Distinto", "email": "jose.garcia@example.es"}, "ES")
    assert customers.find_duplicates(info.values)  # what the form would have said
    allowed = imports.import_customers(path, apply=True, allow_duplicates=True)
    assert allowed.created == 5 and not allowed.problems
    A = models.AuditLog
    assert A.select().where(A.action == "create_despite_duplicates").count() == 4


def test_a_loyalty_card_taken_in_the_store_or_above_is_refused(shop, tmp_path):
    customers.create_customer({"name": "Tarjeta Tomada", "loyalty_card": "CARD-1"})
    path = write_csv(tmp_path / "c.csv", [["name", "loyalty_card"], ["Uno Nuevo", "CARD-1"],
                                          ["Dos Nuevo", "CARD-2"], ["Tres Nuevo", "CARD-2"]])
    report = imports.import_customers(path)
    assert [(p.row, p.column) for p in report.problems] == [(2, "loyalty_card"), (4, "loyalty_card")]
    assert "row 3" in report.problems[1].message


# Applying ----------------------------------------------------------------------------------------


def test_apply_is_all_or_nothing(empty_store, tmp_path):
    path = write_csv(tmp_path / "c.csv", BAD_ROWS)
    before = counts()
    report = imports.import_customers(path, apply=True)
    assert not report.applied and counts() == before


def test_apply_writes_what_the_form_would_in_one_go(empty_store, tmp_path):
    good = [BAD_ROWS[0], BAD_ROWS[1], BAD_ROWS[5]]
    path = write_csv(tmp_path / "c.csv", good)
    start = events.last_cursor()
    report = imports.import_customers(path, apply=True)
    assert report.applied and report.created == 2 and not report.problems
    jose = customers.get_customer(customers.search_customers("peña")[0].id)
    assert (jose.name, jose.email, jose.phone_e164, jose.credit_limit_minor, jose.discount_bp) == (
        "Peña Núñez, José", "jose@example.es", "+34612345678", 1050, 500)
    assert customers.search_customers("612345678")[0].id == jose.id  # searchable like any customer
    told = events.after(start)
    assert [e.kind for e in told] == ["customer.created"] * 2
    by_form = customers.create_customer({"name": "Por Formulario", "email": "form@example.es"})
    form_event = events.after(told[-1].cursor)[0]
    assert set(told[0].payload) == set(form_event.payload)  # the same event a form save writes
    audit = models.AuditLog.get((models.AuditLog.entity_id == jose.id) & (models.AuditLog.action == "create"))
    assert json.loads(audit.changes)["email"] == [None, "jose@example.es"]
    assert by_form.id > jose.id


def test_skip_invalid_writes_the_valid_rows(empty_store, tmp_path):
    path = write_csv(tmp_path / "c.csv", BAD_ROWS)
    report = imports.import_customers(path, apply=True, skip_invalid=True)
    assert report.applied and report.created == 2 and report.invalid_rows == 3
    assert sorted(c.name for c in customers.list_customers()) == ["Eva Bien", "Peña Núñez, José"]
    target = imports.write_report(report.problems, imports.report_path(path))
    assert target == tmp_path / "c.csv.report.csv"
    with open(target, encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [(r["row"], r["column"]) for r in lines][:2] == [("3", "name"), ("4", "email")]


def test_a_row_the_database_refuses_rolls_everything_back(empty_store, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "c.csv", [["name", "loyalty_card"], ["Uno", "C-1"], ["Dos", "C-2"]])
    source, rows = imports.read_rows(path)
    valid, problems, _count = imports.check_rows(source, rows, "native")
    assert not problems
    customers.create_customer({"name": "Mientras Tanto", "loyalty_card": "C-2"})  # a till, meanwhile
    before = counts()
    monkeypatch.setattr(imports, "check_rows", lambda *a, **k: (valid, [], 2))
    with pytest.raises(PosError, match="Nothing was written"):
        imports.import_customers(path, apply=True)
    assert counts() == before


# Files as they come --------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("cp1252", "cp1252"), ("utf-16", "utf-16")])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encoding_and_delimiter_are_detected(empty_store, tmp_path, encoding, expected, delimiter):
    rows = [["name", "city", "notes"], ["Íñigo Müller", "A Coruña", "pagó 5 €, sin recibo"],
            ["Zoë Lefèvre", "Cádiz", "\"citas\"; y más"]]
    path = write_csv(tmp_path / "c.csv", rows, delimiter, encoding)
    source, read = imports.read_rows(path)
    assert (source.encoding, source.delimiter) == (expected, delimiter)
    assert [r for _n, r in read] == [dict(zip(rows[0], row)) for row in rows[1:]]
    report = imports.import_customers(path, apply=True)
    assert report.created == 2
    assert {c.name for c in customers.list_customers()} == {"Íñigo Müller", "Zoë Lefèvre"}


def test_latin_1_that_is_not_windows_1252(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes("name\nPeña\n".encode("latin-1") + b"Caf\xe9 \x81\n")  # 0x81: no character in cp1252
    assert imports.detect_encoding(path) == "latin-1"
    (tmp_path / "w.csv").write_bytes("name\nPeña 5 €\n".encode("cp1252"))
    assert imports.detect_encoding(tmp_path / "w.csv") == "cp1252"
    (tmp_path / "b.csv").write_bytes(codecs.BOM_UTF8 + "name\nPeña\n".encode())
    assert imports.detect_encoding(tmp_path / "b.csv") == "utf-8-sig"


def test_files_that_cannot_be_imported_say_why(empty_store, tmp_path):
    with pytest.raises(PosError, match="No file"):
        imports.import_customers(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(PosError, match="empty"):
        imports.import_customers(tmp_path / "empty.csv")
    write_csv(tmp_path / "noname.csv", [["email"], ["a@example.es"]])
    with pytest.raises(PosError, match="no “name” column"):
        imports.import_customers(tmp_path / "noname.csv")
    write_csv(tmp_path / "twice.csv", [["name", "Name"], ["a", "b"]])
    with pytest.raises(PosError, match="both give"):
        imports.import_customers(tmp_path / "twice.csv")
    (tmp_path / "bad.json").write_text("[{\"name\": 1},")
    with pytest.raises(PosError, match="not valid JSON"):
        imports.import_customers(tmp_path / "bad.json")


# Round trips ---------------------------------------------------------------------------------------


def export_text(kind: str = "customers", **options) -> str:
    out = io.StringIO(newline="")
    exports.export(kind, out, exports.Options(**options))
    return out.getvalue()


def reopen(path) -> None:
    db.close_database()
    db.open_database(str(path))


def rows_of(text: str, skip: tuple[str, ...] = (), delimiter: str = ",") -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter))
    return [{k: v for k, v in r.items() if k not in skip} for r in rows]


def new_store(path) -> None:
    reopen(path)
    store.setup_store("Tienda Nueva", "ES", "EUR", "Ana", "1234")


def test_odoo_csv_round_trip_into_an_empty_store(shop, db_path, tmp_path):
    make_activity()
    C = models.Customer
    C.update(state="Madrid", street2="2º B", mobile="+34 699 000 111", mobile_e164="+34699000111",
             language="es", notes="Línea uno\nLínea dos", loyalty_card="LC-77").where(C.id == 1).execute()
    customers.archive_customer(2)
    odoo = export_text(profile="odoo")
    (tmp_path / "odoo.csv").write_text(odoo, encoding="utf-8", newline="")
    new_store(tmp_path / "other.sqlite3")
    report = imports.import_customers(tmp_path / "odoo.csv", "odoo", apply=True)
    assert report.applied and not report.problems and report.source.ignored == ["ref"]
    again = export_text(profile="odoo")
    assert rows_of(again, ("ref",)) == rows_of(odoo, ("ref",))  # same count, same data
    assert len(rows_of(again)) == 21
    back = rows_of(again)[0]
    assert (back["lang"], back["state_id"], back["barcode"], back["comment"]) == (
        "es_ES", "Madrid", "LC-77", "Línea uno\nLínea dos")
    assert rows_of(again)[1]["active"] == "false"


#: The native columns an import sets; the others are the store's own (ids, counters, times).
STORE_OWN = ("id", "phone_e164", "mobile_e164", "points", "anonymised_at", "created_at", "updated_at",
             "last_visit_at", "visit_count")


@pytest.mark.parametrize("fmt, excel", [("csv", False), ("csv", True), ("json", False), ("jsonl", False)])
def test_native_round_trip_keeps_every_field_a_form_sets(shop, tmp_path, fmt, excel):
    make_activity()
    C = models.Customer
    C.update(name="=Formula Peligrosa", notes="+ nota").where(C.id == 3).execute()
    customers.update_customer(4, {"country": "MX", "tax_id": "GODE561231GR8", "fiscal.regime": "601",
                                  "fiscal.cfdi_use": "G03", "fiscal.tax_postal_code": "03940", "discount": "2.5",
                                  "preferred_payment": "card", "marketing_consent": True}, allow_duplicates=True)
    original = export_text(fmt="csv")
    name = tmp_path / f"customers.{fmt}"
    name.write_text(export_text(fmt=fmt, excel=excel), encoding="utf-8", newline="")
    new_store(tmp_path / "other.sqlite3")
    report = imports.import_customers(name, apply=True)
    assert report.applied and not report.problems, report.problems
    assert set(report.source.ignored) <= set(STORE_OWN)
    again = rows_of(export_text(fmt="csv"), STORE_OWN)
    if excel:  # a spreadsheet's times have whole seconds
        for row in rows_of(original):
            row["marketing_consent_at"] = row["marketing_consent_at"][:19]
        for before, after in zip(rows_of(original, STORE_OWN), again):
            assert after.pop("marketing_consent_at")[:19] == before.pop("marketing_consent_at")[:19]
            assert after == before
    else:
        assert again == rows_of(original, STORE_OWN)


def test_marketing_consent_keeps_its_date(shop, tmp_path):
    customers.update_customer(5, {"marketing_consent": True})
    C = models.Customer
    C.update(marketing_consent_at=datetime(2024, 5, 6, 7, 8, 9)).where(C.id == 5).execute()
    (tmp_path / "c.csv").write_text(export_text(), encoding="utf-8")
    new_store(tmp_path / "other.sqlite3")
    assert imports.import_customers(tmp_path / "c.csv", apply=True).created == 20
    assert C.get(C.name == C.get_by_id(5).name).marketing_consent_at == datetime(2024, 5, 6, 7, 8, 9)
    write_csv(tmp_path / "bad.csv", [["name", "marketing_consent", "marketing_consent_at"], ["X Y", "yes", "ayer"]])
    [problem] = imports.import_customers(tmp_path / "bad.csv").problems
    assert problem.column == "marketing_consent_at"


def test_an_odoo_contact_export_as_odoo_writes_it(empty_store, tmp_path):
    rows = [["Name", "Company Type", "Email", "Phone", "Street", "City", "Zip", "State", "Country", "Tax ID",
             "Notes", "Active"],
            ["Azure Interior", "company", "azure@example.com", "+34 911 222 333", "Calle Luna 1", "Madrid", "28001",
             "Madrid (ES)", "Spain", "ESB85743219", "<p>Buen cliente</p><p>Paga a 30 días</p>", "True"],
            ["Brandon Freeman", "person", "brandon@example.com", "", "", "", "", "", "España", "", "", "False"]]
    path = write_csv(tmp_path / "res.partner.csv", rows)
    report = imports.import_customers(path, "odoo", apply=True)
    assert report.created == 2, report.problems
    azure = customers.get_customer(customers.search_customers("azure")[0].id)
    assert (azure.is_company, azure.country, azure.state, azure.tax_id, azure.notes) == (
        True, "ES", "Madrid", "ESB85743219", "Buen cliente\nPaga a 30 días")
    brandon = models.Customer.get(models.Customer.name == "Brandon Freeman")
    assert brandon.archived and brandon.country == "ES" and not brandon.is_company


def test_progress_is_reported_for_both_stages(empty_store, tmp_path):
    rows = [["name"]] + [[f"Cliente Número {n}"] for n in range(250)]
    path = write_csv(tmp_path / "c.csv", rows)
    seen: list[tuple[str, int, int]] = []
    report = imports.import_customers(path, apply=True, allow_duplicates=True,
                                      progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert report.created == 250
    assert ("check", 250, 250) in seen and seen[-1] == ("write", 250, 250)
