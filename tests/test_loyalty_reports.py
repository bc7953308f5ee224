"""The loyalty and customer reports on a small store whose every figure is known: sales, a refund,
a redemption, a manager's gift and an expiry run at chosen dates (through the real services, on
a clock the test moves), and for RFM paid orders written at chosen dates for each segment."""

from __future__ import annotations

import sys
import uuid
from datetime import datetime, timedelta

import pytest

from pos_tui import db, models
from pos_tui.services import cashiers, customers, demo, loyalty, refunds, sales, sessions
from pos_tui.services import loyalty_reports as reports
from pos_tui.services.payments import Tender

T0 = datetime(2025, 1, 1, 8, 0)


class Clock:
    """`now()` for every module that imported it, and for the models' defaults."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment


@pytest.fixture
def clock(monkeypatch, database):
    fake, real = Clock(T0), db.now
    for name, module in list(sys.modules.items()):
        if name.startswith("pos_tui") and getattr(module, "now", None) is real:
            monkeypatch.setattr(module, "now", fake)
    for model in models.BaseModel.__subclasses__():
        meta = model._meta
        monkeypatch.setattr(meta, "_default_callable_list", [
            (field, fake if default is real else default) for field, default in meta._default_callable_list])
    return fake


# The known store -------------------------------------------------------------------------------------------


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day) + timedelta(hours=hour)


def buy(clock, cashier, customer_id, quantity, moment, tenders=None):
    """`quantity` × P021 (4,50 €) for the customer at `moment`, paid by card unless told."""
    clock.set(moment)
    sale = sales.current_sale("T1", cashier.id)
    sales.add_code(sale.id, f"{quantity}*P021")
    sale = sales.set_customer(sale.id, customer_id)
    return sales.checkout(sale.uuid, tenders or [Tender("card", sale.total_minor)], cashier_id=cashier.id)


@pytest.fixture
def store(clock):
    """10 points per euro, a point worth 0,02 €, points expiring after 60 days; then

    - Ana (created 5 Jan): 2 × 4,50 on 10 Jan (90 points), 4 × 4,50 on 5 Feb (180 points), 2 of those
      4 refunded on 10 Feb (90 points taken back, from the January ones, which expire first);
    - Bruno (10 Jan): 4 × 4,50 on 20 Jan (180 points); on 25 Feb 4,50 paid 1,00 with 50 points and
      3,50 by card (35 points);
    - Carla (3 Feb): 4,50 on 15 Feb (45 points); a manager's gift of 20 points on 10 Mar;
    - Dani (20 Feb): never buys;
    - the expiry run of 25 Mar expires what Bruno has left of his January points (130);
    - the 20 demo customers, created on 1 Jan, never buy.
    """
    demo.load_demo()
    ana_mgr, luis = cashiers.authenticate("Ana", "1234"), cashiers.authenticate("Luis", "2345")
    sessions.open_session("T1", ana_mgr.id, 10_000)
    loyalty.set_rules(points_per_unit="10", point_value="0,02", expiry_days="60")
    people = {}
    for name, day in (("Ana Compra", "2025-01-05"), ("Bruno Vela", "2025-01-10"), ("Carla Prieto", "2025-02-03"),
                      ("Dani Rojo", "2025-02-20")):
        clock.set(at(day, 9))
        people[name.split()[0].lower()] = customers.create_customer({"name": name}).id
    ana, bruno, carla = people["ana"], people["bruno"], people["carla"]
    buy(clock, luis, ana, 2, at("2025-01-10"))
    buy(clock, luis, bruno, 4, at("2025-01-20"))
    second = buy(clock, luis, ana, 4, at("2025-02-05"))
    clock.set(at("2025-02-10"))
    line = refunds.refundable(second.order_id).lines[0]
    refunds.refund(second.order_id, {line.line_id: 2}, "T1", luis.id)
    buy(clock, luis, carla, 1, at("2025-02-15"))
    buy(clock, luis, bruno, 1, at("2025-02-25"), [Tender("points", 100), Tender("card", 350)])
    clock.set(at("2025-03-10"))
    loyalty.adjust(carla, 20, "Goodwill", ana_mgr.id)
    assert loyalty.expire(at("2025-03-25", 3)) == 130
    clock.set(at("2025-03-26"))
    return people


def test_the_store_is_what_the_reports_are_checked_against(store):
    assert {name: loyalty.balance(cid) for name, cid in store.items()} == {
        "ana": 180, "bruno": 35, "carla": 65, "dani": 0}
    assert loyalty.check() == []


# Top customers ---------------------------------------------------------------------------------------------


def test_top_spend_counts_refunds_and_purchases(store):
    rows = reports.top_spend()
    assert [(r.customer_id, r.purchases, r.spend_minor) for r in rows] == [
        (store["bruno"], 2, 2250), (store["ana"], 2, 1800), (store["carla"], 1, 450)]
    assert rows[1].name == "Ana Compra" and rows[1].last_purchase == at("2025-02-05")
    assert [r.customer_id for r in reports.top_spend(limit=1)] == [store["bruno"]]


def test_top_spend_in_a_date_range(store):
    february = reports.top_spend(since=at("2025-02-01", 0), until=at("2025-03-01", 0))
    # Ana's refund of 10 Feb lands in February with her 5 Feb sale; Bruno and Carla tie on 4,50
    assert [(r.customer_id, r.purchases, r.spend_minor) for r in february] == [
        (store["ana"], 1, 900), (store["bruno"], 1, 450), (store["carla"], 1, 450)]
    assert reports.top_spend(until=at("2025-01-15", 0)) == [
        reports.SpendRow(store["ana"], "Ana Compra", 1, 900, at("2025-01-10"))]


def test_top_points_now_and_as_of_a_day(store):
    assert [(r.customer_id, r.points, r.value_minor) for r in reports.top_points()] == [
        (store["ana"], 180, 360), (store["carla"], 65, 130), (store["bruno"], 35, 70)]
    # on 12 Feb: Ana 90 + 180 − 90, Bruno 180 (a tie: the lower id first); Carla had none
    assert [(r.customer_id, r.points) for r in reports.top_points(until=at("2025-02-12", 0))] == [
        (store["ana"], 180), (store["bruno"], 180)]


# Liability -------------------------------------------------------------------------------------------------


def test_liability_by_expiry_month(store):
    owed = reports.liability()
    assert [(r.month, r.points, r.value_minor, r.earnings, r.customers) for r in owed.rows] == [
        ("2025-04", 260, 520, 3, 3),  # Ana 180 (5 Feb), Carla 45 (15 Feb), Bruno 35 (25 Feb)
        ("2025-05", 20, 40, 1, 1),  # Carla's gift of 10 Mar
    ]
    assert (owed.points, owed.value_minor, owed.point_value_milli) == (280, 560, 2000)
    assert owed.points == sum(loyalty.balance(cid) for cid in store.values())


def test_liability_as_of_an_earlier_day(store):
    owed = reports.liability(until=at("2025-02-12", 0))
    assert [(r.month, r.points, r.earnings) for r in owed.rows] == [("2025-03", 180, 1), ("2025-04", 180, 1)]
    assert owed.as_of == at("2025-02-12", 0)


def test_points_past_their_date_are_owed_until_the_expiry_run(store):
    # 22 Mar: Bruno's January points expired on 21 Mar, but the expiry runs only on 25 Mar
    owed = reports.liability(until=at("2025-03-22", 0))
    assert [(r.month, r.points) for r in owed.rows] == [("2025-03", 130), ("2025-04", 260), ("2025-05", 20)]


def test_never_expiring_points_come_last(store, clock):
    loyalty.set_rules(expiry_days="0")
    loyalty.adjust(store["dani"], 7, "Forever", cashiers.find_cashier("Ana").id)
    assert [(r.month, r.points) for r in reports.liability().rows] == [
        ("2025-04", 260), ("2025-05", 20), (None, 7)]


# Points per month ------------------------------------------------------------------------------------------


def test_points_issued_redeemed_expired_per_month(store):
    assert reports.points_monthly() == [
        reports.PointsMonth("2025-01", issued=270, redeemed=0, expired=0, taken_back=0, net=270),
        reports.PointsMonth("2025-02", issued=260, redeemed=50, expired=0, taken_back=90, net=120),
        reports.PointsMonth("2025-03", issued=20, redeemed=0, expired=130, taken_back=0, net=-110),
    ]
    assert sum(m.net for m in reports.points_monthly()) == reports.liability().points


def test_points_monthly_in_a_date_range(store):
    assert [m.month for m in reports.points_monthly(since=at("2025-02-01", 0), until=at("2025-03-01", 0))] == [
        "2025-02"]
    assert [m.month for m in reports.points_monthly(since=at("2025-02-11", 0))] == ["2025-02", "2025-03"]
    assert reports.points_monthly(since=at("2025-02-11", 0))[0].issued == 80  # Carla 45, Bruno 35


def test_a_manager_taking_points_is_taken_back(store, clock):
    loyalty.adjust(store["ana"], -30, "Mistake", cashiers.find_cashier("Ana").id)
    march = reports.points_monthly()[-1]
    assert (march.issued, march.taken_back, march.net) == (20, 30, -140)


# Inactive and new customers ----------------------------------------------------------------------------------


def test_inactive_customers(store):
    # no purchase since 24 Feb: Ana (last 5 Feb: a refund is no purchase), Carla (15 Feb), Dani (never),
    # the 20 demo customers (never); Bruno bought on 25 Feb
    result = reports.inactive(days=30, limit=3)
    assert result.total == 23 and result.as_of == at("2025-03-26")
    assert [(r.customer_id, r.last_purchase, r.purchases, r.spend_minor) for r in result.rows] == [
        (store["ana"], at("2025-02-05"), 2, 1800), (store["carla"], at("2025-02-15"), 1, 450),
        (1, None, 0, 0)]
    assert store["bruno"] not in [r.customer_id for r in reports.inactive(days=30, limit=100).rows]


def test_inactive_as_of_a_day_leaves_out_customers_created_since(store):
    # as of 1 Mar, 20 days: no purchase since 9 Feb. Ana's last was on 5 Feb; Bruno bought on 25 Feb,
    # Carla on 15 Feb; Dani was created on 20 Feb, too late to count
    result = reports.inactive(days=20, until=at("2025-03-01", 0), limit=100)
    ids = [r.customer_id for r in result.rows]
    assert store["ana"] in ids
    assert store["bruno"] not in ids and store["carla"] not in ids and store["dani"] not in ids
    assert result.total == 21 and len(ids) == 21


def test_archived_customers_are_not_inactive(store, clock):
    customers.archive_customer(store["carla"])
    assert store["carla"] not in [r.customer_id for r in reports.inactive(days=30, limit=100).rows]


def test_new_customers_per_month(store):
    assert reports.new_customers() == [
        reports.NewCustomersMonth("2025-01", 22, 2),  # the 20 demo customers, Ana and Bruno
        reports.NewCustomersMonth("2025-02", 2, 1),  # Carla bought, Dani did not
    ]
    assert reports.new_customers(since=at("2025-02-01", 0)) == [reports.NewCustomersMonth("2025-02", 2, 1)]
    # as of 14 Feb Carla had not bought yet
    assert reports.new_customers(since=at("2025-02-01", 0), until=at("2025-02-14", 0)) == [
        reports.NewCustomersMonth("2025-02", 1, 0)]


def test_bad_limits_and_days_are_refused(shop):
    from pos_tui.errors import ValidationError

    with pytest.raises(ValidationError):
        reports.top_spend(limit=0)
    with pytest.raises(ValidationError):
        reports.inactive(days=0)


def test_reports_on_an_empty_store(shop):
    assert reports.top_spend() == [] and reports.top_points() == [] and reports.points_monthly() == []
    assert reports.liability().rows == () and reports.liability().points == 0
    result = reports.rfm()
    assert result.customers == 0 and [s.segment for s in result.segments] == list(reports.SEGMENTS)


# RFM ---------------------------------------------------------------------------------------------------------

AS_OF = datetime(2025, 12, 31, 12, 0)

#: customer -> (days since the last purchase, purchases, spend in euros) and the segment wanted. Ten
#: customers, each value distinct: the scores are 1 + ⌊(rank − 1) / 2⌋, two customers per score.
RFM_PLAN = {
    "c1": ((1, 10, 1000), (5, 5, 5), reports.CHAMPIONS),
    "c2": ((3, 8, 800), (5, 4, 4), reports.CHAMPIONS),
    "c3": ((10, 9, 600), (4, 5, 3), reports.LOYAL),
    "c4": ((30, 6, 900), (3, 3, 5), reports.LOYAL),
    "c5": ((11, 2, 400), (4, 1, 2), reports.POTENTIAL),
    "c6": ((31, 4, 200), (3, 2, 1), reports.POTENTIAL),
    "c7": ((100, 7, 700), (2, 4, 4), reports.AT_RISK),
    "c8": ((300, 5, 500), (1, 3, 3), reports.AT_RISK),
    "c9": ((101, 3, 300), (2, 2, 2), reports.HIBERNATING),
    "c10": ((301, 1, 100), (1, 1, 1), reports.LOST),
}


def paid_order(customer_id: int, paid_at: datetime, total_minor: int, kind: str = "sale") -> None:
    models.Order.create(uuid=uuid.uuid4(), number=f"R-{uuid.uuid4().hex[:10]}", state="paid", kind=kind,
                        till="T1", customer=customer_id, total_minor=total_minor, paid_at=paid_at,
                        created_at=paid_at)


@pytest.fixture
def rfm_store(shop):
    """The customers of RFM_PLAN with their sales (the last at the recency day, the others a week
    apart before it), c4's spend being 950 € of sales less a 50 € refund, c8's 510 € less a 10 €
    refund 5 days ago (a refund is no purchase: c8's recency stays 300 days)."""
    ids = {}
    for name, ((days, count, euros), _scores, _segment) in RFM_PLAN.items():
        cid = customers.create_customer({"name": f"Cliente {name}"}).id
        ids[name] = cid
        extra = {"c4": 5000, "c8": 1000}.get(name, 0)
        spend = euros * 100 + extra
        last = AS_OF - timedelta(days=days)
        for n in range(count):
            share = spend // count + (spend % count if n == 0 else 0)
            paid_order(cid, last - timedelta(days=7 * n), share)
    paid_order(ids["c4"], AS_OF - timedelta(days=40), -5000, "refund")
    paid_order(ids["c8"], AS_OF - timedelta(days=5), -1000, "refund")
    # neither a purchase nor spend: a voided sale, a draft, an order without a customer
    models.Order.create(uuid=uuid.uuid4(), state="voided", kind="sale", till="T1", customer=ids["c10"],
                        total_minor=99_900, paid_at=AS_OF)
    models.Order.create(uuid=uuid.uuid4(), state="draft", kind="sale", till="T1", customer=ids["c10"],
                        total_minor=99_900)
    paid_order(None, AS_OF, 99_900)
    return ids


def test_rfm_scores_each_customer_by_quintiles(rfm_store):
    found = {c.customer_id: c for c in reports.rfm_customers(until=AS_OF)}
    assert len(found) == 10
    for name, ((days, count, euros), scores, segment) in RFM_PLAN.items():
        row = found[rfm_store[name]]
        assert (row.r, row.f, row.m) == scores, name
        assert (row.purchases, row.spend_minor, row.segment) == (count, euros * 100, segment), name
        assert row.last_purchase == AS_OF - timedelta(days=days)
    assert reports.rfm_customers(until=AS_OF, limit=1)[0].customer_id == rfm_store["c1"]  # 15 points


def test_rfm_segments_with_counts_and_spend(rfm_store):
    result = reports.rfm(until=AS_OF)
    assert result.as_of == AS_OF
    got = {s.segment: (s.customers, s.purchases, s.spend_minor, s.avg_recency_days) for s in result.segments}
    assert got == {
        reports.CHAMPIONS: (2, 18, 180_000, 2),  # 1 and 3 days
        reports.LOYAL: (2, 15, 150_000, 20),  # 10 and 30
        reports.POTENTIAL: (2, 6, 60_000, 21),  # 11 and 31
        reports.AT_RISK: (2, 12, 120_000, 200),  # 100 and 300
        reports.HIBERNATING: (1, 3, 30_000, 101),
        reports.LOST: (1, 1, 10_000, 301),
    }
    assert [s.label for s in result.segments] == ["Champions", "Loyal", "Potential", "At risk", "Hibernating",
                                                  "Lost"]
    assert (result.customers, result.spend_minor) == (10, 550_000)


def test_rfm_equal_customers_share_their_scores(rfm_store):
    twin = customers.create_customer({"name": "Cliente c10 bis"}).id
    paid_order(twin, AS_OF - timedelta(days=301), 10_000)
    found = {c.customer_id: c for c in reports.rfm_customers(until=AS_OF)}
    first, second = found[rfm_store["c10"]], found[twin]
    assert (first.r, first.f, first.m, first.segment) == (second.r, second.f, second.m, second.segment)
    assert (first.r, first.f, first.m) == (1, 1, 1)


def test_rfm_in_a_date_range(rfm_store):
    # the last 50 days: c1–c6 bought; c8 only has a refund there, so is left out
    since = AS_OF - timedelta(days=50)
    found = {c.customer_id: c for c in reports.rfm_customers(since=since, until=AS_OF)}
    assert set(found) == {rfm_store[n] for n in ("c1", "c2", "c3", "c4", "c5", "c6")}
    # c4: the sales of 30, 37 and 44 days ago (158,35 € + 2 × 158,33 €) and the refund of 40 days ago
    c4 = found[rfm_store["c4"]]
    assert (c4.purchases, c4.spend_minor) == (3, 15_835 + 2 * 15_833 - 5_000)
    assert reports.rfm(since=since, until=AS_OF).customers == 6


def test_rfm_as_of_an_earlier_day_counts_only_what_was_bought_by_then(rfm_store):
    until = AS_OF - timedelta(days=200)  # only c8 and c10 had bought by then
    found = {c.customer_id: c for c in reports.rfm_customers(until=until)}
    assert set(found) == {rfm_store["c8"], rfm_store["c10"]}
    assert found[rfm_store["c8"]].spend_minor == 51_000  # the refund came later
    assert (found[rfm_store["c8"]].r, found[rfm_store["c10"]].r) == (3, 1)
    result = reports.rfm(until=until)
    assert result.as_of == until and result.customers == 2
    # two customers: scores 1 and 3 (1 + ⌊5 × (2 − 1) / 2⌋); c8 is ahead on every count
    assert {s.segment: s.avg_recency_days for s in result.segments if s.customers} == {
        reports.LOYAL: 100, reports.LOST: 101}


# A voided sale gives back what it earned and redeemed ---------------------------------------------------------


def test_voiding_a_paid_sale_takes_back_its_points_and_gives_back_the_redeemed(store, clock):
    luis, bruno = cashiers.find_cashier("Luis"), store["bruno"]
    before = loyalty.balance(bruno)  # 35
    receipt = buy(clock, luis, bruno, 2, at("2025-03-26", 13), [Tender("points", 60), Tender("card", 840)])
    assert loyalty.balance(bruno) == before - 30 + 84
    sales.void_paid(receipt.order_id, luis.id, manager_pin="1234")
    assert loyalty.balance(bruno) == before
    kinds = {e.kind: e.points for e in models.LoyaltyEntry.select().where(
        models.LoyaltyEntry.order == receipt.order_id)}
    assert kinds == {"redeem": -30, "earn": 84, "reverse": -84, "restore": 30}
    assert loyalty.check() == []


# The walk-through -------------------------------------------------------------------------------------


def test_earn_twice_redeem_part_refund_the_second_and_everything_agrees(open_till):
    """A customer earns points on two sales, redeems part of them on a third, and the second sale
    is refunded: the balance, the ledger, each receipt (also when got again later) and the reports
    tell the same story."""
    from pos_tui.services import printing, receipts

    luis = cashiers.authenticate("Luis", "2345")
    eva = customers.create_customer({"name": "Eva Luna Prado"}).id

    def sell(code, tenders=None):
        sale = sales.current_sale("T1", luis.id)
        sales.add_code(sale.id, code)
        sale = sales.set_customer(sale.id, eva)
        return sales.checkout(sale.uuid, tenders or [Tender("card", sale.total_minor)], cashier_id=luis.id)

    first = sell("4*P021")  # 18,00: 18 points
    second = sell("6*P021")  # 27,00: 27 points
    third = sell("2*P021", [Tender("points", 30), Tender("card", 870)])  # 30 points pay 0,30; 8 earned
    line = refunds.refundable(second.order_id).lines[0]
    back = refunds.refund(second.order_id, {line.line_id: 6}, "T1", luis.id)
    # 27 points to take back, but 12 of them paid for the third sale: the balance (23) is what can be
    # taken back; it never goes below zero
    assert loyalty.balance(eva) == 0 and models.Customer.get_by_id(eva).points == 0
    assert loyalty.check() == []
    ledger = [(line.kind, line.points, line.order_number) for line in reversed(loyalty.ledger(eva))]
    assert ledger == [("earn", 18, first.number), ("earn", 27, second.number), ("redeem", -30, third.number),
                      ("earn", 8, third.number), ("reverse", -23, back.number)]

    def told(receipt):
        return (receipt.points_earned, receipt.points_redeemed, receipt.points_taken_back, receipt.points_balance)

    assert [told(r) for r in (first, second, third, back)] == [(18, 0, 0, 18), (27, 0, 0, 45), (8, 30, 0, 23),
                                                               (0, 0, 23, 0)]
    # got again later, each receipt says what it said then
    assert [told(receipts.get_receipt(r.order_id)) for r in (first, second, third, back)] == [
        told(r) for r in (first, second, third, back)]
    text = receipts.render_text(receipts.get_receipt(third.order_id), "Shop", str)
    assert "Points redeemed" in text and "-30" in text and "Points earned" in text
    assert "Points taken back" in receipts.render_text(receipts.get_receipt(back.order_id), "Shop", str)
    printed = printing.preview(printing.layout_receipt(printing.receipt_payload(receipts.get_receipt(third.order_id)),
                                                       42))
    assert "Points redeemed" in printed and "-30" in printed and "23" in printed

    [spend] = [r for r in reports.top_spend() if r.customer_id == eva]
    assert (spend.purchases, spend.spend_minor) == (3, 1800 + 2700 + 900 - 2700)
    assert eva not in [r.customer_id for r in reports.top_points()]
    [month] = reports.points_monthly()
    assert (month.issued, month.redeemed, month.taken_back, month.net) == (53, 30, 23, 0)
    assert reports.liability().points == sum(c.points for c in models.Customer.select()) == 0
    rfm = reports.rfm()
    assert rfm.customers == 1 and rfm.spend_minor == 2700


# The generated ledger -------------------------------------------------------------------------------------------


def test_the_generated_ledger_is_what_the_services_would_have_written(shop):
    """`pos demo --customers --orders` writes the loyalty ledger of its sales itself, in bulk: each
    earning must be what `loyalty.on_checkout` computes (rules then, tier from the year's spend,
    points paid for not earning), each redemption must match its points payment and take from
    the earnings closest to expiry, the nightly expiry must leave nothing past its date, and the
    cached balances must be the ledger's."""
    from datetime import date

    from peewee import fn

    from pos_tui.services import generator

    loyalty.set_rules(points_per_unit="5", point_value="0,05", expiry_days="120",
                      tiers="Bronze:0:1:0,Silver:60:1.5:0,Gold:200:2:0")
    models.LoyaltyRule.update(valid_from=datetime(2020, 1, 1)).execute()
    generator.generate(60, 3000, seed=7, today=date(2026, 6, 1))
    E, U, O, P = models.LoyaltyEntry, models.LoyaltyUse, models.Order, models.Payment
    kinds = dict(E.select(E.kind, fn.COUNT(E.id)).group_by(E.kind).tuples())
    assert kinds.get("earn", 0) > 1000 and kinds.get("redeem", 0) > 10 and kinds.get("expire", 0) > 100
    assert loyalty.check() == []
    rules = loyalty.current_rules()
    tiers = set()
    for entry in E.select().where(E.kind == "earn").order_by(E.id).limit(400):
        order = O.get_by_id(entry.order_id)
        tier = loyalty.tier_for(loyalty.spend_last_year(entry.customer_id, order.paid_at) - order.total_minor
                                - int(O.select(fn.COALESCE(fn.SUM(O.total_minor), 0))
                                      .where((O.customer == entry.customer_id) & (O.state == "paid")
                                             & (O.paid_at > order.paid_at)).scalar()), rules)
        tiers.add(tier.name)
        eligible = loyalty._eligible_minor(order, rules)
        assert entry.points == eligible * 5 * tier.multiplier_bp // (10_000 * 100), order.number
        assert entry.expires_at == order.paid_at + timedelta(days=120) and entry.at == order.paid_at
    assert tiers == {"Bronze", "Silver", "Gold"}
    for entry in E.select().where(E.kind == "redeem"):
        paid = P.get((P.order == entry.order_id) & (P.method == "points")).amount_minor
        assert -entry.points == loyalty.points_for_money(paid, rules)
        assert U.select(fn.SUM(U.points)).where(U.entry == entry.id).scalar() == -entry.points
    # no earning gave more than it had; what the nightly runs expired was past its date then
    used = dict(U.select(U.source, fn.SUM(U.points)).group_by(U.source).tuples())
    for source in E.select().where(E.points > 0):
        assert used.get(source.id, 0) <= source.points
    for expiry in E.select().where(E.kind == "expire"):
        [use] = list(U.select().where(U.entry == expiry.id))
        assert use.source.expires_at <= expiry.at and use.points == -expiry.points
    # up to the last nightly run, nothing is left to expire
    last_run = E.select(fn.MAX(E.at)).where(E.kind == "expire").scalar()
    assert loyalty.expire(at=last_run) == 0
