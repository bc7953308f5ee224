"""Loyalty points: earned, redeemed, taken back, expired, adjusted; the ledger always adds up."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from pos_tui import db, models
from pos_tui.db import now
from pos_tui.errors import PosError, ValidationError
from pos_tui.services import cashiers, customers, demo, loyalty, refunds, sales, sessions
from pos_tui.services.payments import Tender
from tests import targets


@pytest.fixture
def luis(shop):
    return cashiers.authenticate("Luis", "2345")


@pytest.fixture
def eva(shop):
    return customers.create_customer({"name": "Eva Luna Prado"})


def buy(luis, customer_id, *codes, tenders=None):
    sale = sales.current_sale("T1", luis.id)
    for code in codes:
        sales.add_code(sale.id, code)
    sale = sales.set_customer(sale.id, customer_id)
    return sales.checkout(sale.uuid, tenders or [Tender("card", sale.total_minor)], cashier_id=luis.id)


def test_earning_at_checkout_with_the_default_rules(open_till, luis, eva):
    receipt = buy(luis, eva.id, "2*P021", "P001")  # 9,95: 9 points at 1 per euro, Bronze
    assert (receipt.points_earned, receipt.points_balance, receipt.tier) == (9, 9, "Bronze")
    assert models.Customer.get_by_id(eva.id).points == 9
    [entry] = loyalty.ledger(eva.id)
    assert (entry.kind, entry.points, entry.order_number) == ("earn", 9, receipt.number)
    assert entry.expires_at - models.Order.get_by_id(receipt.order_id).paid_at == timedelta(days=365)


def test_no_customer_no_points_and_a_retried_checkout_earns_once(open_till, luis, eva):
    sale = sales.current_sale("T1", luis.id)
    sales.add_code(sale.id, "P021")
    sales.checkout(sale.uuid, [Tender("cash", 450)])
    assert models.LoyaltyEntry.select().count() == 0
    sale = sales.current_sale("T1", luis.id)
    sales.add_code(sale.id, "P021")
    sales.set_customer(sale.id, eva.id)
    sales.checkout(sale.uuid, [Tender("cash", 450)])
    sales.checkout(sale.uuid, [Tender("cash", 450)])
    assert loyalty.balance(eva.id) == 4


def test_rules_exclusions_minimum_and_a_change_applies_only_afterwards(open_till, luis, eva):
    loyalty.set_rules(points_per_unit="2", min_order="5", excluded_skus="P001")
    assert buy(luis, eva.id, "P021").points_earned == 0  # 4,50: under the minimum
    first = buy(luis, eva.id, "2*P021", "P001")  # 9,95, the milk excluded: 9,00 × 2
    assert first.points_earned == 18
    first_rule = models.LoyaltyEntry.get(models.LoyaltyEntry.order == first.order_id).rule_id
    loyalty.set_rules(points_per_unit="1")
    assert buy(luis, eva.id, "2*P021").points_earned == 9
    assert models.LoyaltyEntry.get(models.LoyaltyEntry.order == first.order_id).rule_id == first_rule


def test_bad_rules_are_refused_all_at_once(shop):
    with pytest.raises(ValidationError) as bad:
        loyalty.set_rules(points_per_unit="-1", point_value="0", expiry_days="many", tiers="Gold:1:1:1",
                          colour="red")
    assert set(bad.value.errors) == {"points_per_unit", "point_value", "expiry_days", "tiers", "colour"}
    assert models.LoyaltyRule.select().count() == 0


def test_tiers_multiply_points_and_give_their_discount(open_till, luis, eva):
    loyalty.set_rules(tiers="Bronze:0:1:0,Gold:20:2:10")
    buy(luis, eva.id, "5*P021")  # 22,50 spent: Gold from now on
    assert loyalty.tier_of(eva.id).name == "Gold"
    sale = sales.current_sale("T1", luis.id)
    sales.add_code(sale.id, "2*P021")
    sale = sales.set_customer(sale.id, eva.id)
    assert sale.discount_bp == 1000 and sale.total_minor == 810
    receipt = sales.checkout(sale.uuid, [Tender("card", 810)])
    assert receipt.points_earned == 16  # 8,10 × 2


def test_redeem_part_of_the_balance_never_more(open_till, luis, eva):
    loyalty.set_rules(points_per_unit="10")  # 10 points per euro, a point is worth 0,01
    buy(luis, eva.id, "5*P021")  # 225 points
    assert loyalty.balance(eva.id) == 225
    assert loyalty.redeemable(eva.id, 100) == (100, 100)
    assert loyalty.redeemable(eva.id, 10_000) == (225, 225)
    receipt = buy(luis, eva.id, "P021", tenders=[Tender("points", 150), Tender("cash", 300)])
    assert [(p.method, p.amount_minor) for p in receipt.payments] == [("points", 150), ("cash", 300)]
    assert receipt.points_earned == 30  # on the 3,00 not paid with points
    assert loyalty.balance(eva.id) == 225 - 150 + 30
    sale = sales.current_sale("T1", luis.id)
    sales.add_code(sale.id, "5*P021")
    sales.set_customer(sale.id, eva.id)
    with pytest.raises(ValidationError, match="only 105 points"):
        sales.checkout(sale.uuid, [Tender("points", 200), Tender("cash", 2050)])
    with pytest.raises(ValidationError):  # never more than what is due
        sales.checkout(sale.uuid, [Tender("points", 5000)])


def test_paying_with_points_needs_a_customer(open_till, luis):
    sale = sales.current_sale("T1", luis.id)
    sales.add_code(sale.id, "P021")
    with pytest.raises(ValidationError, match="needs a customer"):
        sales.checkout(sale.uuid, [Tender("points", 450)])


def test_points_closest_to_expiry_go_first_and_expiry_is_safe_to_run_twice(open_till, luis, eva):
    manager = cashiers.find_cashier("Ana")
    loyalty.adjust(eva.id, 50, "Welcome gift", manager.id)
    buy(luis, eva.id, "5*P021")  # 22 points
    gift, earned = sorted(models.LoyaltyEntry.select().where(models.LoyaltyEntry.points > 0),
                          key=lambda e: e.id)
    gift.expires_at = now() + timedelta(days=10)  # the gift expires first
    gift.save()
    loyalty.adjust(eva.id, -30, "Correction", manager.id)
    assert loyalty.expiring_soon(eva.id) == 20
    assert loyalty.expire(at=now() + timedelta(days=11)) == 20
    assert loyalty.expire(at=now() + timedelta(days=11)) == 0
    assert loyalty.balance(eva.id) == 22
    assert loyalty.check() == []


def test_adjustments_need_a_manager_and_a_reason(shop, eva):
    luis = cashiers.find_cashier("Luis")
    ana = cashiers.find_cashier("Ana")
    with pytest.raises(PosError, match="Only a manager"):
        loyalty.adjust(eva.id, 10, "Gift", luis.id)
    with pytest.raises(ValidationError):
        loyalty.adjust(eva.id, 10, " ", ana.id)
    with pytest.raises(ValidationError, match="only 0 points"):
        loyalty.adjust(eva.id, -5, "Oops", ana.id)
    assert loyalty.adjust(eva.id, 10, "Gift", ana.id) == 10
    assert loyalty.ledger(eva.id)[0].reason == "Gift" and loyalty.ledger(eva.id)[0].cashier == "Ana"


def test_a_refund_takes_back_earned_and_gives_back_redeemed_points(open_till, luis, eva):
    loyalty.set_rules(points_per_unit="10")
    buy(luis, eva.id, "4*P021")  # 180 points
    receipt = buy(luis, eva.id, "4*P021", tenders=[Tender("points", 100), Tender("card", 1700)])
    assert receipt.points_earned == 170 and loyalty.balance(eva.id) == 180 - 100 + 170
    line = refunds.refundable(receipt.order_id).lines[0]
    back = refunds.refund(receipt.order_id, {line.line_id: 2}, "T1", luis.id)  # half of it
    assert [(p.method, p.amount_minor) for p in back.payments] == [("points", -100), ("card", -800)]
    kinds = {e.kind: e.points for e in models.LoyaltyEntry.select().where(
        models.LoyaltyEntry.order == back.order_id)}
    assert kinds == {"reverse": -85, "restore": 100}
    assert loyalty.balance(eva.id) == 250 - 85 + 100
    assert loyalty.check() == []


def test_check_finds_and_mends_a_wrong_cache(open_till, luis, eva):
    buy(luis, eva.id, "P021")
    models.Customer.update(points=999).where(models.Customer.id == eva.id).execute()
    [difference] = loyalty.check()
    assert (difference.cached, difference.ledger) == (999, 4)
    loyalty.check(fix=True)
    assert loyalty.check() == [] and models.Customer.get_by_id(eva.id).points == 4


# The ledger under any sequence of events ------------------------------------------------------------


class LoyaltyMachine(RuleBasedStateMachine):
    """Earn, redeem, refund, expire and adjust in any order; the ledger always adds up."""

    @initialize()
    def start(self):
        import tempfile
        from pathlib import Path

        self.dir = tempfile.TemporaryDirectory()
        db.close_database()
        db.open_database(str(Path(self.dir.name) / "loyalty.sqlite3") if not targets.ON_POSTGRES
                         else targets.empty_session_database())
        demo.load_demo()
        loyalty.set_rules(points_per_unit="10", tiers="Bronze:0:1:0,Silver:30:1.5:0")
        self.luis = cashiers.find_cashier("Luis")
        self.ana = cashiers.find_cashier("Ana")
        sessions.open_session("T1", self.luis.id, 0)
        self.eva = customers.create_customer({"name": "Eva Luna Prado"}).id
        self.sales: list[int] = []
        self.clock = now()

    def teardown(self):
        db.close_database()
        self.dir.cleanup()

    def sale(self, quantity: int, points_money: int):
        sale = sales.current_sale("T1", self.luis.id)
        sales.add_code(sale.id, f"{quantity}*P021")
        sale = sales.set_customer(sale.id, self.eva)
        points_money = min(points_money, sale.total_minor,
                           loyalty.money_for_points(loyalty.balance(self.eva), loyalty.current_rules()))
        tenders = [Tender("points", points_money)] if points_money else []
        if sale.total_minor - points_money:
            tenders.append(Tender("card", sale.total_minor - points_money))
        before = loyalty.balance(self.eva)
        receipt = sales.checkout(sale.uuid, tenders)
        assert sum(p.amount_minor for p in receipt.payments if p.method == "points") <= sale.total_minor
        again = sales.checkout(sale.uuid, tenders)  # a retried commit earns nothing more
        assert again.points_earned == receipt.points_earned
        return receipt, before

    @rule(quantity=st.integers(1, 4), points_money=st.integers(0, 2000))
    def earn_and_maybe_redeem(self, quantity, points_money):
        receipt, _before = self.sale(quantity, points_money)
        self.sales.append(receipt.order_id)

    @precondition(lambda self: self.sales)
    @rule(which=st.integers(0, 100), data=st.data())
    def refund_some(self, which, data):
        order_id = self.sales[which % len(self.sales)]
        sale = refunds.refundable(order_id)
        line = sale.lines[0]
        if line.returnable == 0:
            return
        count = data.draw(st.integers(1, line.returnable))
        refunds.refund(order_id, {line.line_id: count}, "T1", self.luis.id)

    @rule(quantity=st.integers(1, 3))
    def sale_then_full_refund_changes_nothing(self, quantity):
        receipt, before = self.sale(quantity, 0)
        sale = refunds.refundable(receipt.order_id)
        refunds.refund(receipt.order_id, {line.line_id: line.returnable for line in sale.lines}, "T1",
                       self.luis.id)
        assert loyalty.balance(self.eva) == before

    @rule(days=st.integers(0, 800))
    def expire(self, days):
        loyalty.expire(at=self.clock + timedelta(days=days))

    @rule(points=st.integers(-50, 50))
    def adjust(self, points):
        if points == 0 or points < -loyalty.balance(self.eva):
            return
        loyalty.adjust(self.eva, points, "Machine", self.ana.id)

    @invariant()
    def balance_is_the_ledger(self):
        if not hasattr(self, "eva"):
            return
        total = loyalty.balance(self.eva)
        assert total >= 0
        assert models.Customer.get_by_id(self.eva).points == total
        used = {}
        for use in models.LoyaltyUse.select():
            used[use.source_id] = used.get(use.source_id, 0) + use.points
        for entry in models.LoyaltyEntry.select().where(models.LoyaltyEntry.points > 0):
            assert used.get(entry.id, 0) <= entry.points  # no points taken twice


LoyaltyMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=12, deadline=None,
                                            suppress_health_check=[HealthCheck.too_slow])
test_the_ledger_always_adds_up = LoyaltyMachine.TestCase
