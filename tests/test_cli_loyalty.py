"""`pos loyalty …` through CliRunner, on the demo store (Spain, EUR): the rules, the nightly chores
(check, expire), a manager's adjustment, a customer's points and every report in every format."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from pos_tui import db, models
from pos_tui.services import cashiers, customers, loyalty, sales, sessions
from pos_tui.services.payments import Tender
from tests.cli_helpers import as_json, cli_runner

KINDS = ("top-spend", "top-points", "liability", "points-monthly", "rfm", "inactive", "new-customers")


@pytest.fixture
def run(db_path, monkeypatch):
    return cli_runner(db_path, monkeypatch, plain_spaces=True)


@pytest.fixture
def demo(run):
    assert run("demo").exit_code == 0



def _sell(customer_id: int, code: str, tenders: list[Tender] | None = None):
    luis = cashiers.find_cashier("Luis")
    if sessions.current_session("T1") is None:
        sessions.open_session("T1", luis.id, 10_000)
    sale = sales.current_sale("T1", luis.id)
    sales.add_code(sale.id, code)
    sale = sales.set_customer(sale.id, customer_id)
    return sales.checkout(sale.uuid, tenders or [Tender("card", sale.total_minor)], cashier_id=luis.id)


@pytest.fixture
def sell(stored):
    def call(customer_id: int, code: str = "2*P021", tenders=None):
        return stored(_sell, customer_id, code, tenders)

    return call


@pytest.fixture
def eva(demo, stored):
    return stored(customers.create_customer, {"name": "Eva Luna Prado"}).id


# config ------------------------------------------------------------------------------------------------------


def test_config_show_the_defaults(run, demo):
    result = run("loyalty", "config", "show")
    assert result.exit_code == 0, result.output
    for text in ("the defaults (never set)", "1 per EUR spent", "0,01 EUR", "after 365 days", "Bronze", "Silver",
                 "1.500,00 €", "1,5", "5 %"):
        assert text in result.stdout, text
    doc = as_json(run("loyalty", "config", "show", "--format", "json"))
    assert doc["version"] is None and doc["points_per_unit_milli"] == 1000 and doc["point_value_milli"] == 1000
    assert [t["name"] for t in doc["tiers"]] == ["Bronze", "Silver", "Gold"]


def test_config_set_only_what_is_given(run, demo, stored):
    result = run("loyalty", "config", "set", "--points-per-unit", "1,5", "--point-value", "0,02",
                 "--tiers", "Base:0:1:0,Oro:300:2:10", "--excluded-categories", "Tabaco", "--cashier", "Ana")
    assert result.exit_code == 0, result.output
    assert "Rules version 1" in result.stdout and "1,5 per EUR spent" in result.stdout
    rules = stored(loyalty.current_rules)
    assert (rules.points_per_unit_milli, rules.point_value_milli, rules.expiry_days) == (1500, 2000, 365)
    assert [(t.name, t.min_spend_minor, t.multiplier_bp, t.discount_bp) for t in rules.tiers] == [
        ("Base", 0, 10_000, 0), ("Oro", 30_000, 20_000, 1000)]
    assert rules.excluded_categories == ("Tabaco",)
    assert stored(lambda: models.LoyaltyRule.get_by_id(rules.id).created_by.name) == "Ana"
    doc = as_json(run("loyalty", "config", "set", "--expiry-days", "0", "--format", "json"))
    assert (doc["version"], doc["expiry_days"], doc["points_per_unit_milli"]) == (2, 0, 1500)
    assert "never" in run("loyalty", "config", "show").stdout


def test_config_set_bad_values_name_their_options_and_nothing_is_written(run, demo, stored):
    result = run("loyalty", "config", "set", "--points-per-unit=-1", "--expiry-days", "many",
                 "--tiers", "Gold:5:1:1", "--enabled", "perhaps", "--min-order", "10")
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert {line.split(":")[0] for line in lines} == {"--points-per-unit", "--expiry-days", "--tiers", "--enabled"}
    assert any(line.startswith("--tiers: the first tier must start at a spend of 0") for line in lines)
    assert "Traceback" not in result.output
    assert stored(models.LoyaltyRule.select().count) == 0
    nothing = run("loyalty", "config", "set")
    assert nothing.exit_code == 2 and "at least one setting" in nothing.stderr
    nobody = run("loyalty", "config", "set", "--expiry-days", "30", "--cashier", "Nadie")
    assert nobody.exit_code == 1 and "--cashier" in nobody.stderr
    assert stored(models.LoyaltyRule.select().count) == 0


def test_a_change_of_rules_applies_only_to_later_earnings(run, demo, eva, sell, stored):
    first = sell(eva, "2*P021")  # 9,00: 9 points at 1 per euro
    assert first.points_earned == 9
    assert run("loyalty", "config", "set", "--points-per-unit", "3").exit_code == 0
    second = sell(eva, "2*P021")
    assert second.points_earned == 27
    entries = stored(lambda: {e.order_id: (e.points, e.rule_id) for e in models.LoyaltyEntry.select()})
    assert entries == {first.order_id: (9, None), second.order_id: (27, 1)}
    assert stored(loyalty.balance, eva) == 36


# check, expire ----------------------------------------------------------------------------------------------


def test_check_finds_a_tampered_cached_balance_and_mends_it_with_fix(run, demo, eva, sell, stored):
    sell(eva, "2*P021")
    assert run("loyalty", "check").stdout.startswith("Every cached balance matches its ledger.")
    stored(lambda: models.Customer.update(points=500).where(models.Customer.id == eva).execute())
    result = run("loyalty", "check")
    assert result.exit_code == 1
    assert "Eva Luna Prado" in result.stdout and "500" in result.stdout and "+491" in result.stdout
    assert "1 balance differs from its ledger" in result.stdout
    doc = json.loads(run("loyalty", "check", "--format", "json").stdout)
    assert doc == {"fixed": False, "differences": [
        {"customer_id": eva, "name": "Eva Luna Prado", "cached": 500, "ledger": 9}]}
    fixed = run("loyalty", "check", "--fix")
    assert fixed.exit_code == 0 and "Mended 1 balance." in fixed.stdout
    assert stored(lambda: models.Customer.get_by_id(eva).points) == 9
    assert run("loyalty", "check").exit_code == 0


def backdate(order_id: int, days: int) -> None:
    """The points earned on the sale expired `days` days ago."""
    entry = models.LoyaltyEntry.get((models.LoyaltyEntry.order == order_id) & (models.LoyaltyEntry.kind == "earn"))
    entry.expires_at = db.now() - timedelta(days=days)
    entry.save()


def test_expire_twice_gives_the_same_result(run, demo, eva, sell, stored):
    receipt = sell(eva, "4*P021")  # 18 points
    sell(eva, "2*P021")  # 9 points, still valid
    E = models.LoyaltyEntry
    stored(backdate, receipt.order_id, 3)
    first = run("loyalty", "expire")
    assert first.exit_code == 0 and first.stdout.strip() == "18 points expired."
    ledger = stored(lambda: [(e.kind, e.points) for e in E.select().order_by(E.id)])
    again = run("loyalty", "expire")
    assert again.exit_code == 0 and again.stdout.strip() == "0 points expired."
    assert stored(lambda: [(e.kind, e.points) for e in E.select().order_by(E.id)]) == ledger
    assert ledger[-1] == ("expire", -18)
    assert stored(loyalty.balance, eva) == 9 and run("loyalty", "check").exit_code == 0


def test_expire_as_of_a_day(run, demo, eva, sell, stored):
    receipt = sell(eva, "4*P021")
    E = models.LoyaltyEntry
    stored(backdate, receipt.order_id, 10)
    day = stored(lambda: (E.get(E.order == receipt.order_id).expires_at))
    before = run("loyalty", "expire", "--as-of", (day - timedelta(days=2)).date().isoformat())
    assert before.stdout.strip() == "0 points expired."
    assert run("loyalty", "expire", "--as-of", (day + timedelta(days=1)).date().isoformat()).stdout.strip() == (
        "18 points expired.")
    future = run("loyalty", "expire", "--as-of", "2999-01-01")
    assert future.exit_code == 1 and "--as-of: 2999-01-01 is in the future" in future.stderr
    bad = run("loyalty", "expire", "--as-of", "31/12/2025")
    assert bad.exit_code == 1 and "--as-of" in bad.stderr and "is not a date" in bad.stderr


# adjust, show -------------------------------------------------------------------------------------------------


def test_adjust_needs_a_manager_and_a_reason(run, demo, eva, stored):
    missing = run("loyalty", "adjust", str(eva), "50", "--manager", "Ana", "--manager-pin", "1234")
    assert missing.exit_code == 2 and "--reason" in missing.output
    blank = run("loyalty", "adjust", str(eva), "50", "--reason", "  ", "--manager", "Ana", "--manager-pin", "1234")
    assert blank.exit_code == 1 and blank.stderr.startswith("--reason:")
    cashier = run("loyalty", "adjust", str(eva), "50", "--reason", "Gift", "--manager", "Luis",
                  "--manager-pin", "2345")
    assert cashier.exit_code == 1 and "Luis is not a manager" in cashier.stderr
    wrong_pin = run("loyalty", "adjust", str(eva), "50", "--reason", "Gift", "--manager", "Ana",
                    "--manager-pin", "0000")
    assert wrong_pin.exit_code == 1
    no_pin = run("loyalty", "adjust", str(eva), "50", "--reason", "Gift", "--manager", "Ana")
    assert no_pin.exit_code == 2 and "PIN" in no_pin.stderr
    assert stored(models.LoyaltyEntry.select().count) == 0
    ok = run("loyalty", "adjust", str(eva), "50", "--reason", "Welcome gift", "--manager", "Ana",
             env={"POS_MANAGER_PIN": "1234"})
    assert ok.exit_code == 0, ok.output
    assert "+50 points for customer" in ok.stdout and "approved by Ana" in ok.stdout and "Balance: 50" in ok.stdout
    too_many = run("loyalty", "adjust", str(eva), "-80", "--reason", "Oops", "--manager", "Ana",
                   "--manager-pin", "1234")
    assert too_many.exit_code == 1 and "only 50 points" in too_many.stderr
    [line] = stored(loyalty.ledger, eva)
    assert (line.kind, line.points, line.reason, line.cashier) == ("adjust", 50, "Welcome gift", "Ana")


def test_show_a_customers_points(run, demo, eva, sell):
    receipt = sell(eva, "4*P021")
    result = run("loyalty", "show", str(eva))
    assert result.exit_code == 0, result.output
    for text in ("Eva Luna Prado", "18 points, worth 0,18 €", "Bronze", "earned", "+18", receipt.number):
        assert text in result.stdout, text
    doc = as_json(run("loyalty", "show", str(eva), "--format", "json"))
    assert (doc["balance"], doc["tier"], doc["value_minor"]) == (18, "Bronze", 18)
    assert doc["ledger"][0]["order_number"] == receipt.number and doc["ledger"][0]["kind"] == "earn"
    missing = run("loyalty", "show", "9999")
    assert missing.exit_code == 1 and "9999" in missing.stderr


# report ------------------------------------------------------------------------------------------------------


@pytest.fixture
def sold(demo, stored, sell):
    """Two customers who bought and earned points; one of them named like a spreadsheet formula."""
    formula = stored(customers.create_customer, {"name": "=cmd|' /C calc'!A0"}).id
    eva = stored(customers.create_customer, {"name": "Eva Luna Prado"}).id
    sell(formula, "4*P021")  # 18,00
    sell(eva, "2*P021")  # 9,00
    sell(eva, "2*P021", [Tender("points", 5), Tender("card", 895)])
    return {"formula": formula, "eva": eva}


@pytest.mark.parametrize("kind", KINDS)
def test_each_report_as_a_table(run, sold, kind):
    result = run("loyalty", "report", kind)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    if kind in ("top-spend", "top-points"):
        assert "Eva Luna Prado" in result.stdout
    if kind == "inactive":  # the demo customers were created today, the others just bought
        assert "Nothing to report." in result.stdout
    else:
        assert "█" in result.stdout  # the bars


@pytest.mark.parametrize("kind", KINDS)
def test_each_report_as_json_and_as_csv(run, sold, kind):
    doc = as_json(run("loyalty", "report", kind, "--format", "json"))
    assert doc["report"] == kind and doc["currency"] == "EUR" and doc["currency_exponent"] == 2
    rows = doc["rows"]
    result = run("loyalty", "report", kind, "--format", "csv")
    assert result.exit_code == 0, result.output
    records = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(records) == len(rows)
    if any(key.endswith("_minor") for key in (rows[0] if rows else {})):
        assert all(record["currency"] == "EUR" for record in records)


def test_report_figures_agree_in_every_format(run, sold):
    doc = as_json(run("loyalty", "report", "top-spend", "--format", "json"))
    assert [(r["name"], r["purchases"], r["spend_minor"]) for r in doc["rows"]] == [
        ("=cmd|' /C calc'!A0", 1, 1800), ("Eva Luna Prado", 2, 1800)]
    table = run("loyalty", "report", "top-spend").stdout
    assert "18,00 €" in table
    records = list(csv.DictReader(io.StringIO(run("loyalty", "report", "top-spend", "--format", "csv").stdout)))
    assert [(r["purchases"], r["spend"]) for r in records] == [("1", "18.00"), ("2", "18.00")]
    points = as_json(run("loyalty", "report", "top-points", "--format", "json"))["rows"]
    # Eva: 9 points, then 5 cents paid with 5 points and 8 earned on the 8,95 paid by card
    assert [(r["name"], r["points"], r["value_minor"]) for r in points] == [
        ("=cmd|' /C calc'!A0", 18, 18), ("Eva Luna Prado", 12, 12)]
    owed = as_json(run("loyalty", "report", "liability", "--format", "json"))
    assert (owed["total_points"], owed["total_value_minor"]) == (30, 30)
    monthly = as_json(run("loyalty", "report", "points-monthly", "--format", "json"))["rows"]
    assert [(m["issued"], m["redeemed"], m["net"]) for m in monthly] == [(35, 5, 30)]
    rfm = as_json(run("loyalty", "report", "rfm", "--format", "json"))
    assert rfm["total_customers"] == 2 and rfm["total_spend_minor"] == 3600


def test_csv_neutralises_a_customer_named_like_a_formula(run, sold):
    for kind in ("top-spend", "top-points", "inactive"):
        args = ("--days", "1") if kind == "inactive" else ()
        result = run("loyalty", "report", kind, "--format", "csv", *args)
        assert result.exit_code == 0, result.output
        if kind == "inactive":  # they just bought: not inactive; the demo customers are, and none is a formula
            assert "=cmd" not in result.stdout
            continue
        names = [r["name"] for r in csv.DictReader(io.StringIO(result.stdout))]
        assert "'=cmd|' /C calc'!A0" in names, names
        assert not any(line.startswith(("=", "+", "-", "@")) for line in result.stdout.splitlines())
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in csv.reader(io.StringIO(result.stdout))
                       for cell in row)
    # JSON keeps the name as it is
    doc = as_json(run("loyalty", "report", "top-spend", "--format", "json"))
    assert doc["rows"][0]["name"] == "=cmd|' /C calc'!A0"


def test_report_date_range_and_options(run, sold):
    today = db.local_time(db.now()).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    empty = as_json(run("loyalty", "report", "top-spend", "--since", tomorrow, "--format", "json"))
    assert empty["rows"] == []
    assert "Nothing to report." in run("loyalty", "report", "top-spend", "--since", tomorrow).stdout
    same = as_json(run("loyalty", "report", "top-spend", "--since", today.isoformat(), "--until", today.isoformat(),
                       "--format", "json"))
    assert len(same["rows"]) == 2 and same["since"] and same["until"]
    yesterday = (today - timedelta(days=1)).isoformat()
    assert as_json(run("loyalty", "report", "top-points", "--until", yesterday, "--format", "json"))["rows"] == []
    assert len(as_json(run("loyalty", "report", "top-spend", "--limit", "1", "--format", "json"))["rows"]) == 1
    inactive = as_json(run("loyalty", "report", "inactive", "--days", "30", "--format", "json"))
    assert inactive["days"] == 30 and inactive["total"] == 0  # the demo customers were created today


def test_report_bad_options_name_themselves(run, sold):
    result = run("loyalty", "report", "liability", "--since", "2026-01-01", "--limit", "5", "--days", "3")
    assert result.exit_code == 1 and result.stdout == ""
    assert {line.split(":")[0] for line in result.stderr.strip().splitlines()} == {"--since", "--limit", "--days"}
    backwards = run("loyalty", "report", "rfm", "--since", "2026-03-01", "--until", "2026-02-01")
    assert backwards.exit_code == 1 and "--until: is before --since" in backwards.stderr
    bad_day = run("loyalty", "report", "rfm", "--since", "March")
    assert bad_day.exit_code == 1 and "--since" in bad_day.stderr
    zero = run("loyalty", "report", "inactive", "--days", "0")
    assert zero.exit_code == 1 and "--days: must be 1 or more" in zero.stderr
    unknown = run("loyalty", "report", "everything")
    assert unknown.exit_code == 2


def test_report_tables_fit_80_columns(run, sold, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    for kind in KINDS:
        result = run("loyalty", "report", kind)
        assert result.exit_code == 0, result.output
        print(result.stdout)
        assert max(len(line.rstrip()) for line in result.stdout.splitlines()) <= 80, kind
    top = run("loyalty", "report", "top-spend").stdout
    assert "18,00 €" in top and "Eva Luna Prado" in top
