"""The seeded data generator: what it writes must be what the services would have written."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime

import phonenumbers
import pytest
from typer.testing import CliRunner

from pos_tui import db, models
from pos_tui.cli import app
from pos_tui.errors import StateError
from pos_tui.money import line_amounts, order_totals
from pos_tui.services import customer_search, customers, demo, generator, sales, validation
from pos_tui.services.payments import CASH, Tender
from tests.targets import new_store

CUSTOMERS, ORDERS = 300, 500
TODAY = date(2026, 6, 15)


@pytest.fixture
def generated(shop):
    return generator.generate(CUSTOMERS, ORDERS, seed=42, today=TODAY)


def generated_customers():
    C = models.Customer
    return list(C.select().where(C.id > 20).order_by(C.id))  # the demo store has 20


def _dt(value):
    return value if isinstance(value, datetime) or value is None else datetime.fromisoformat(str(value))


def test_the_summary_counts_what_was_written(generated):
    assert (generated.customers, generated.orders) == (CUSTOMERS, ORDERS)
    assert len(generated_customers()) == CUSTOMERS
    assert models.Order.select().where(models.Order.state == "paid").count() == ORDERS
    assert models.OrderLine.select().count() == generated.lines >= ORDERS
    assert models.Payment.select().count() == generated.payments >= ORDERS
    assert models.CustomerToken.select().join(models.Customer).where(models.Customer.id > 20).count() \
        == generated.tokens
    assert (generated.first_day, generated.last_day) == (date(2024, 6, 15), date(2026, 6, 14))


def test_every_customer_passes_the_services_own_validation(generated):
    for row in generated_customers():
        data = customers.form_values(customers.get_customer(row.id))
        cleaned = customers.clean(data, "ES", 2, customer_id=row.id)
        assert cleaned.warnings == (), (row.name, cleaned.warnings)
        stored = {key: getattr(row, key) for key in cleaned.values}
        assert stored == cleaned.values, row.name


def test_the_customers_look_like_a_spanish_shops(generated):
    rows = generated_customers()
    countries = Counter(row.country for row in rows)
    assert countries.most_common(1)[0][0] == "ES" and countries["ES"] > CUSTOMERS * 0.6
    assert len(countries) >= 4
    assert any(ch in "áéíóúñÁÉÍÓÚÑ" for row in rows for ch in row.name)
    people = [row for row in rows if not row.is_company]
    assert sum(len(row.name.split()) >= 3 for row in people) > len(people) * 0.8  # two surnames
    companies = [row for row in rows if row.is_company]
    assert companies and all(row.tax_id for row in companies)
    assert any(row.name.endswith(("S.L.", "S.A.", "S.L.U.", "S.A. de C.V.")) or row.fiscal_name
               for row in companies)
    assert any(row.loyalty_card for row in rows) and any(row.discount_bp for row in rows)
    emails = [row.email for row in rows if row.email]
    assert len(emails) == len(set(emails)) > CUSTOMERS * 0.5
    assert all(email.split("@")[1].endswith(("example.com", "example.net", "example.org")) for email in emails)


def test_tax_ids_and_phones_are_valid_for_their_country(generated):
    checked = Counter()
    for row in generated_customers():
        if row.tax_id:
            tax = validation.tax_id(row.tax_id, row.tax_country)
            assert tax.known and not tax.warning and tax.compact == row.tax_id, (row.tax_id, row.tax_country)
            checked[f"tax {row.tax_country}"] += 1
        for typed, e164 in ((row.phone, row.phone_e164), (row.mobile, row.mobile_e164)):
            if not e164:
                continue
            number = phonenumbers.parse(e164)
            assert phonenumbers.is_valid_number(number), e164
            assert phonenumbers.region_code_for_number(number) == row.country, (e164, row.country)
            assert validation.phone(typed, "ES").e164 == e164, typed
            checked[f"phone {row.country}"] += 1
    assert {"tax ES", "phone ES", "phone MX", "tax MX"} <= set(checked)
    tax_ids = [row.tax_id for row in generated_customers() if row.tax_id]
    assert len(tax_ids) == len(set(tax_ids))


def test_the_phone_patterns_all_make_valid_numbers():
    assert generator.check_phone_patterns(samples=50) == []


def test_search_fields_are_derived_as_the_service_derives_them(generated):
    T = models.CustomerToken
    stored = defaultdict(set)
    ranks = defaultdict(set)
    for token, score, customer in T.select(T.token, T.score, T.customer).tuples():
        stored[customer].add(token)
        ranks[customer].add(score)
    for row in generated_customers():
        values = {k: getattr(row, k) for k in ("name", "fiscal_name", "phone", "phone_e164", "mobile",
                                               "mobile_e164", "email", "tax_id", "tax_country", "loyalty_card")}
        tokens = customer_search.tokens(values)
        assert row.search_key == customer_search.search_key(tokens)
        assert row.name_key == customer_search.name_key(row.name)
        assert row.score == customer_search.score(row.created_at, row.last_visit_at, row.visit_count)
        if row.archived:
            assert row.id not in stored
        else:
            assert stored[row.id] == tokens
            assert ranks[row.id] == {row.score}


def test_visits_match_the_generated_sales(generated):
    O = models.Order
    paid = defaultdict(list)
    for customer, paid_at in O.select(O.customer, O.paid_at).where(O.customer.is_null(False)).tuples():
        paid[customer].append(_dt(paid_at))
    assert sum(len(v) for v in paid.values()) > ORDERS * 0.6  # most sales have a customer
    for row in generated_customers():
        visits = sorted(paid.get(row.id, []))
        assert row.visit_count == len(visits)
        assert row.last_visit_at == (visits[-1] if visits else None)
        if visits:
            assert row.created_at <= visits[0]
        assert (row.marketing_consent_at == row.created_at) if row.marketing_consent else \
            row.marketing_consent_at is None


def test_search_finds_generated_customers_by_name_phone_and_email(generated):
    rows = [row for row in generated_customers() if not row.archived]
    with_phone = [row for row in rows if row.phone_e164][:25]
    with_email = [row for row in rows if row.email][:25]
    assert with_phone and with_email
    for row in rows[:25]:
        prefix = " ".join(word[:4] for word in customer_search.fold(row.name).split())
        assert row.id in customer_search.search_ids(prefix), (prefix, row.name)
    for row in with_phone:
        assert row.id in customer_search.search_ids(row.phone_e164[-4:]), row.phone_e164
        assert row.id in customer_search.search_ids(row.phone), row.phone
    for row in with_email:
        assert row.id in customer_search.search_ids(row.email), row.email
        assert row.id in customer_search.search_ids(row.email.split("@")[0] + "@"), row.email


def test_orders_add_up_and_payments_cover_them(generated):
    O, L, P = models.Order, models.OrderLine, models.Payment
    lines = defaultdict(list)
    for line in L.select():
        lines[line.order_id].append(line)
    payments = defaultdict(list)
    for payment in P.select():
        payments[payment.order_id].append(payment)
    sessions = {s.id: s for s in models.PosSession.select()}
    cash = Counter()
    for order in O.select():
        mine = lines[order.id]
        assert 1 <= len(mine) <= 8
        assert len({line.product_id for line in mine}) == len(mine)
        for line in mine:
            amounts = line_amounts(line.unit_price_minor, line.quantity, line.tax_rate_bp,
                                   line.price_includes_tax, line.discount_bp)
            assert (line.net_minor, line.tax_minor, line.total_minor, line.discount_minor) == (
                amounts.net_minor, amounts.tax_minor, amounts.total_minor, amounts.discount_minor)
            assert line.discount_bp == order.discount_bp
        totals = order_totals((line.tax_rate_bp, line_amounts(
            line.unit_price_minor, line.quantity, line.tax_rate_bp, line.price_includes_tax, line.discount_bp))
            for line in mine)
        assert (order.net_minor, order.tax_minor, order.total_minor, order.discount_minor) == (
            totals.net_minor, totals.tax_minor, totals.total_minor, totals.discount_minor)
        assert order.total_minor == sum(line.total_minor for line in mine)
        assert sum(p.amount_minor for p in payments[order.id]) == order.total_minor
        for p in payments[order.id]:
            assert p.tendered_minor - p.change_minor == p.amount_minor and p.change_minor >= 0
            assert p.change_minor == 0 or p.method == CASH
            if p.method == CASH:
                cash[order.session_id] += p.amount_minor
        if order.customer_id is not None:
            assert order.discount_bp == order.customer.discount_bp
        session = sessions[order.session_id]
        assert session.till == order.till and order.cashier_id == session.cashier_id
        assert session.opened_at < _dt(order.created_at) < _dt(order.paid_at) < session.closed_at
    for session in sessions.values():
        assert session.expected_cash_minor == session.opening_float_minor + cash[session.id]


def test_order_numbers_are_unique_and_the_next_sale_continues_them(generated, open_till, ana):
    O = models.Order
    numbers = [n for n, in O.select(O.number).tuples()]
    assert len(numbers) == len(set(numbers)) == ORDERS
    last = max(int(n.split("-")[1]) for n in numbers if n.startswith("T1-"))
    seq = models.Sequence.get(models.Sequence.name == "order:T1")
    assert seq.last_value == last
    sale = sales.current_sale("T1", ana.id)
    sale, _line = sales.add_code(sale.id, "P001")
    receipt = sales.checkout(sale.uuid, [Tender("cash", 1000)])
    assert O.get_by_id(sale.id).number == f"T1-{last + 1:06d}"
    assert receipt is not None


def _dump():
    tables = []
    for model, order in ((models.Customer, models.Customer.id), (models.Order, models.Order.id),
                         (models.OrderLine, models.OrderLine.id), (models.Payment, models.Payment.id),
                         (models.PosSession, models.PosSession.id),
                         (models.CustomerToken, models.CustomerToken.token)):
        query = model.select().order_by(order).tuples()
        if model is models.Customer:
            query = query.where(models.Customer.id > 20)
        tables.append(list(query))
    return tables


def test_the_same_seed_gives_the_same_data(tmp_path):
    dumps = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        db.open_database(str(new_store(tmp_path, name)))
        try:
            demo.load_demo()
            generator.generate(120, 200, seed=seed, today=TODAY)
            dumps.append(_dump())
        finally:
            db.close_database()
    assert dumps[0] == dumps[1]
    assert dumps[0][0] != dumps[2][0]


def test_generating_needs_a_store(database):
    with pytest.raises(StateError):
        generator.generate(10, 10)


def test_generating_twice_keeps_values_unique(generated):
    generator.generate(200, 100, seed=42, today=TODAY)  # the same seed again, on top
    rows = generated_customers()
    for field in ("email", "phone_e164", "tax_id", "loyalty_card"):
        values = [getattr(row, field) for row in rows if getattr(row, field)]
        assert len(values) == len(set(values)), field
    numbers = [n for n, in models.Order.select(models.Order.number).tuples()]
    assert len(numbers) == len(set(numbers)) == ORDERS + 100


@pytest.fixture
def run(db_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("POS_DATABASE_URL", raising=False)
    monkeypatch.delenv("POS_TILL", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        result = runner.invoke(app, ["--db", str(db_path), *args])
        db.close_database()
        return result

    return invoke


def test_the_demo_command_loads_the_store_then_generates(run, db_path):
    result = run("demo", "--customers", "60", "--orders", "90", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "43 products" in result.output and "Ana" in result.output
    assert "Generated 60 customers and 90 paid sales" in result.output
    again = run("demo", "--customers", "10")
    assert again.exit_code == 0, again.output
    said = again.output.replace("\n", "")  # (a long path wraps the line)
    assert "only generating" in said and "Generated 10 customers and 0 paid sales" in said
    db.open_database(str(db_path))
    try:
        assert models.Customer.select().count() == 20 + 60 + 10
        assert models.Order.select().count() == 90
        assert models.Store.select().count() == 1
    finally:
        db.close_database()
    plain = run("demo")
    assert plain.exit_code != 0 and "already has a store" in plain.output


def test_the_demo_command_refuses_negative_counts(run):
    result = run("demo", "--customers", "-5")
    assert result.exit_code == 2
