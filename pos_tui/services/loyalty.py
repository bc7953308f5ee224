"""Loyalty points: earned at checkout, redeemed as a way to pay, taken back by refunds, expired
per earning, adjusted by a manager with a reason — all in an append-only ledger.

The ledger is the truth: a customer's balance is the sum of their entries (`Customer.points` is
a cache, checked by `check()`). An entry that takes points records which earlier entries it took
them from (`LoyaltyUse`), the ones closest to expiry first, so expiring never takes points that
were already spent. Entries are unique per (order, kind): a checkout retried after a crash finds
its entries there and writes none.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from peewee import JOIN, fn

from pos_tui import models
from pos_tui.db import is_sqlite, lock, lock_row, now, transactional
from pos_tui.errors import NotFound, PosError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.services import events, validation
from pos_tui.services.payments import POINTS

EARN, REDEEM, EXPIRE, REVERSE, RESTORE, ADJUST = "earn", "redeem", "expire", "reverse", "restore", "adjust"
GIVING = (EARN, RESTORE, ADJUST)  # kinds that may add points (an adjust may also take)
KIND_LABELS = {EARN: N_("earned"), REDEEM: N_("redeemed"), EXPIRE: N_("expired"), REVERSE: N_("taken back"),
               RESTORE: N_("given back"), ADJUST: N_("adjusted")}

DEFAULT_TIERS = [
    {"name": "Bronze", "min_spend_minor": 0, "multiplier_bp": 10_000, "discount_bp": 0},
    {"name": "Silver", "min_spend_minor": 50_000, "multiplier_bp": 12_500, "discount_bp": 0},
    {"name": "Gold", "min_spend_minor": 150_000, "multiplier_bp": 15_000, "discount_bp": 500},
]


# The rules ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    name: str
    min_spend_minor: int
    multiplier_bp: int
    discount_bp: int


@dataclass(frozen=True)
class Rules:
    id: int | None
    valid_from: datetime | None
    enabled: bool
    points_per_unit_milli: int
    min_order_minor: int
    point_value_milli: int
    expiry_days: int
    tiers: tuple[Tier, ...]
    excluded_categories: tuple[str, ...]
    excluded_skus: tuple[str, ...]


def _rules(row: models.LoyaltyRule | None) -> Rules:
    if row is None:  # no programme configured yet: the defaults, enabled
        return Rules(None, None, True, 1000, 0, 1000, 365, tuple(Tier(**t) for t in DEFAULT_TIERS), (), ())
    tiers = tuple(Tier(**t) for t in json.loads(row.tiers or "[]")) or tuple(Tier(**t) for t in DEFAULT_TIERS)
    return Rules(row.id, row.valid_from, row.enabled, row.points_per_unit_milli, row.min_order_minor,
                 row.point_value_milli, row.expiry_days, tuple(sorted(tiers, key=lambda t: t.min_spend_minor)),
                 tuple(json.loads(row.excluded_categories or "[]")), tuple(json.loads(row.excluded_skus or "[]")))


def current_rules(at: datetime | None = None) -> Rules:
    R = models.LoyaltyRule
    row = R.select().where(R.valid_from <= (at or now())).order_by(R.valid_from.desc(), R.id.desc()).first()
    return _rules(row)


def _rule_row(at: datetime) -> models.LoyaltyRule | None:
    R = models.LoyaltyRule
    return R.select().where(R.valid_from <= at).order_by(R.valid_from.desc(), R.id.desc()).first()


@transactional
def set_rules(cashier_id: int | None = None, **changes) -> Rules:
    """A new version of the rules, from now on (points already earned keep theirs). Values as a
    person types them: points_per_unit "1,5", min_order "10", point_value "0,01" (currency),
    expiry_days "365", enabled yes/no, tiers "Bronze:0:1:0,Silver:500:1.25:0,Gold:1500:1.5:5"
    (name:min spend:multiplier:discount %), excluded_categories / excluded_skus "a,b"."""
    from pos_tui.money import parse_amount, to_minor
    from pos_tui.services.store import require_store

    exp = require_store().exponent
    old = current_rules()
    known = {"enabled", "points_per_unit", "min_order", "point_value", "expiry_days", "tiers",
             "excluded_categories", "excluded_skus"}
    unknown = set(changes) - known
    check = validation.Checker()
    if unknown:
        check.errors.update({name: _("is not a loyalty setting") for name in sorted(unknown)})
    values = {
        "enabled": old.enabled, "points_per_unit_milli": old.points_per_unit_milli,
        "min_order_minor": old.min_order_minor, "point_value_milli": old.point_value_milli,
        "expiry_days": old.expiry_days, "tiers": [t.__dict__ for t in old.tiers],
        "excluded_categories": list(old.excluded_categories), "excluded_skus": list(old.excluded_skus),
    }
    if "enabled" in changes:
        values["enabled"] = check(validation.boolean, changes["enabled"], "enabled")
    if "points_per_unit" in changes:
        ppu = check(parse_amount, str(changes["points_per_unit"]), "points_per_unit", 3, maximum=Decimal(1000))
        if ppu is not None:
            values["points_per_unit_milli"] = int(ppu * 1000)
    if "min_order" in changes:
        minimum = check(parse_amount, str(changes["min_order"]), "min_order", exp)
        if minimum is not None:
            values["min_order_minor"] = to_minor(minimum, exp)
    if "point_value" in changes:
        value = check(parse_amount, str(changes["point_value"]), "point_value", exp + 3, allow_zero=False,
                      maximum=Decimal(100))
        if value is not None:
            values["point_value_milli"] = int(value.scaleb(exp + 3))
    if "expiry_days" in changes:
        days = check(validation.whole_number, changes["expiry_days"], "expiry_days", maximum=3650)
        if days is not None:
            values["expiry_days"] = days
    if "tiers" in changes:
        tiers = check(parse_tiers, str(changes["tiers"]), exp)
        if tiers is not None:
            values["tiers"] = tiers
    for name in ("excluded_categories", "excluded_skus"):
        if name in changes:
            items = [part.strip() for part in str(changes[name] or "").split(",") if part.strip()]
            values[name] = [item.upper() if name == "excluded_skus" else item for item in items]
    check.done()
    row = models.LoyaltyRule.create(
        enabled=values["enabled"], points_per_unit_milli=values["points_per_unit_milli"],
        min_order_minor=values["min_order_minor"], point_value_milli=values["point_value_milli"],
        expiry_days=values["expiry_days"], tiers=json.dumps(values["tiers"]),
        excluded_categories=json.dumps(values["excluded_categories"], ensure_ascii=False),
        excluded_skus=json.dumps(values["excluded_skus"]), created_by=cashier_id, valid_from=now())
    return _rules(row)


def parse_tiers(text: str, exp: int = 2) -> list[dict]:
    """"Bronze:0:1:0,Silver:500:1.25:0" -> tiers (spend in currency, multiplier, discount %)."""
    from pos_tui.money import parse_amount, to_minor

    tiers = []
    for part in [p for p in text.split(",") if p.strip()]:
        bits = [b.strip() for b in part.split(":")]
        if len(bits) != 4 or not bits[0]:
            raise ValidationError("tiers", _("write each tier as name:min spend:multiplier:discount %"))
        spend = to_minor(parse_amount(bits[1], "tiers", exp), exp)
        multiplier = parse_amount(bits[2], "tiers", 4, maximum=Decimal(10))
        discount = validation.percent(bits[3], "tiers")
        tiers.append({"name": bits[0][:30], "min_spend_minor": spend,
                      "multiplier_bp": int(multiplier * 10_000), "discount_bp": discount})
    if not tiers or min(t["min_spend_minor"] for t in tiers) != 0:
        raise ValidationError("tiers", _("the first tier must start at a spend of 0"))
    return sorted(tiers, key=lambda t: t["min_spend_minor"])


# Reading ------------------------------------------------------------------------------------------


def balance(customer_id: int) -> int:
    E = models.LoyaltyEntry
    return int(E.select(fn.COALESCE(fn.SUM(E.points), 0)).where(E.customer == customer_id).scalar())


def spend_last_year(customer_id: int, at: datetime | None = None) -> int:
    """What the customer spent in the 12 months before `at` (sales less refunds)."""
    O = models.Order
    since = (at or now()) - timedelta(days=365)
    return int(O.select(fn.COALESCE(fn.SUM(O.total_minor), 0))
               .where((O.customer == customer_id) & (O.state == "paid") & O.kind.in_(["sale", "refund"])
                      & (O.paid_at >= since)).scalar())


def tier_for(spend_minor: int, rules: Rules) -> Tier:
    chosen = rules.tiers[0]
    for tier in rules.tiers:
        if spend_minor >= tier.min_spend_minor:
            chosen = tier
    return chosen


def tier_of(customer_id: int, at: datetime | None = None) -> Tier:
    return tier_for(spend_last_year(customer_id, at), current_rules(at))


def points_for_money(amount_minor: int, rules: Rules) -> int:
    """How many points pay `amount_minor` (rounded up: the customer never pays less than asked)."""
    return math.ceil(Decimal(amount_minor) * 1000 / rules.point_value_milli)


def money_for_points(points: int, rules: Rules) -> int:
    """What `points` are worth, rounded down to a minor unit."""
    return int((Decimal(points) * rules.point_value_milli / 1000).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class LedgerLine:
    id: int
    at: datetime
    kind: str
    points: int
    order_number: str | None
    expires_at: datetime | None
    cashier: str | None
    reason: str


def ledger(customer_id: int, limit: int = 200) -> list[LedgerLine]:
    E, O, C = models.LoyaltyEntry, models.Order, models.Cashier
    query = (E.select(E.id, E.at, E.kind, E.points, O.number, E.expires_at, C.name, E.reason)
             .join(O, JOIN.LEFT_OUTER, on=(E.order == O.id)).switch(E)
             .join(C, JOIN.LEFT_OUTER, on=(E.cashier == C.id))
             .where(E.customer == customer_id).order_by(E.at.desc(), E.id.desc()).limit(limit).tuples())
    return [LedgerLine(*row) for row in query]


def _remaining(customer_id: int) -> list[tuple[int, datetime | None, int]]:
    """(entry id, expires_at, points left) of the customer's entries that gave points and still
    have some, closest to expiry first (never-expiring last)."""
    E, U = models.LoyaltyEntry, models.LoyaltyUse
    used = (U.select(U.source, fn.SUM(U.points).alias("used")).group_by(U.source)).alias("used_by")
    query = (E.select(E.id, E.expires_at, E.points - fn.COALESCE(used.c.used, 0))
             .join(used, JOIN.LEFT_OUTER, on=(used.c.source_id == E.id))
             .where((E.customer == customer_id) & (E.points > 0))
             .order_by(E.expires_at.is_null(), E.expires_at, E.id).tuples())
    return [(i, exp, int(left)) for i, exp, left in query if left > 0]


def expiring_soon(customer_id: int, days: int = 30, at: datetime | None = None) -> int:
    limit = (at or now()) + timedelta(days=days)
    return sum(left for _i, expires, left in _remaining(customer_id) if expires is not None and expires <= limit)


# Writing (inside the caller's transaction) ----------------------------------------------------------


def _take(entry: models.LoyaltyEntry, points: int) -> None:
    """Record which earlier entries `entry` took its `points` from, closest to expiry first."""
    for source, _expires, left in _remaining(entry.customer_id):
        if points <= 0:
            break
        taken = min(left, points)
        models.LoyaltyUse.create(entry=entry, source=source, points=taken)
        points -= taken
    if points > 0:
        raise PosError(_("Not enough points."))


def _write(customer_id: int, kind: str, points: int, *, order_id: int | None = None, rule_id: int | None = None,
           expires_at: datetime | None = None, cashier_id: int | None = None, reason: str = "",
           at: datetime | None = None) -> models.LoyaltyEntry | None:
    if points == 0:
        return None
    entry = models.LoyaltyEntry.create(customer=customer_id, at=at or now(), kind=kind, points=points,
                                       order=order_id, rule=rule_id, expires_at=expires_at, cashier=cashier_id,
                                       reason=reason)
    if points < 0:
        _take(entry, -points)
    C = models.Customer
    C.update(points=C.points + points).where(C.id == customer_id).execute()
    events.emit(events.LOYALTY_ENTRY, "loyalty_entry", entry.id, {
        "customer_id": customer_id, "kind": kind, "points": points, "order_id": order_id, "at": entry.at,
        "expires_at": expires_at, "reason": reason})
    return entry


def _eligible_minor(order: models.Order, rules: Rules) -> int:
    """What the sale earns points on: lines after discounts, less excluded products and what was
    paid with points."""
    L, P = models.OrderLine, models.Payment
    total = 0
    for line in L.select().where(L.order == order.id):
        product = line.product
        if line.sku.upper() in rules.excluded_skus or (product.category and product.category in
                                                       rules.excluded_categories):
            continue
        total += line.total_minor
    paid_with_points = sum(p.amount_minor for p in P.select().where((P.order == order.id) & (P.method == POINTS)))
    return max(0, total - paid_with_points)


def on_checkout(order: models.Order, points_tenders: list[int], exp: int) -> None:
    """Inside the checkout: redeem the points used to pay, then earn on the sale."""
    if order.customer_id is None:
        if points_tenders:
            raise ValidationError("method", _("paying with points needs a customer on the sale"))
        return
    E = models.LoyaltyEntry
    lock_row(models.Customer, order.customer_id)  # the balance stays true until the commit
    if E.select().where((E.order == order.id) & (E.kind.in_([EARN, REDEEM]))).exists():
        return  # already written: a retried commit
    rules = current_rules(order.paid_at)
    row = _rule_row(order.paid_at)
    redeemed = sum(points_tenders)
    if redeemed:
        if redeemed > balance(order.customer_id):
            raise ValidationError("points", _("the customer has only {n} points").format(
                n=balance(order.customer_id)))
        _write(order.customer_id, REDEEM, -redeemed, order_id=order.id, rule_id=row.id if row else None,
               at=order.paid_at)
    if not rules.enabled or order.total_minor < rules.min_order_minor:
        return
    tier = tier_for(spend_last_year(order.customer_id, order.paid_at) - order.total_minor, rules)
    units = Decimal(_eligible_minor(order, rules)).scaleb(-exp)
    earned = int((units * rules.points_per_unit_milli / 1000 * tier.multiplier_bp / 10_000)
                 .to_integral_value(rounding=ROUND_FLOOR))
    expires = order.paid_at + timedelta(days=rules.expiry_days) if rules.expiry_days else None
    _write(order.customer_id, EARN, earned, order_id=order.id, rule_id=row.id if row else None,
           expires_at=expires, at=order.paid_at)


def on_refund(original: models.Order, refund: models.Order) -> None:
    """Inside the refund: take back the points earned on the returned part and give back the
    points redeemed on it, in proportion to what came back. The take-back never goes below zero
    (points already spent elsewhere stay spent)."""
    if original.customer_id is None or original.total_minor <= 0:
        return
    E, P = models.LoyaltyEntry, models.Payment
    customer = original.customer_id
    lock_row(models.Customer, customer)
    earned = E.get_or_none((E.order == original.id) & (E.kind == EARN))
    redeemed = E.get_or_none((E.order == original.id) & (E.kind == REDEEM))
    returned = -refund.total_minor
    if earned is not None:
        taken_before = -int(E.select(fn.COALESCE(fn.SUM(E.points), 0)).join(
            models.Order, on=(E.order == models.Order.id))
            .where((models.Order.refund_of == original.id) & (E.kind == REVERSE)).scalar())
        share = min(earned.points - taken_before,
                    int(Decimal(earned.points) * returned / original.total_minor))
        share = min(share, balance(customer))
        if share > 0:
            _write(customer, REVERSE, -share, order_id=refund.id, at=refund.paid_at)
    if redeemed is not None:
        back_money = -sum(p.amount_minor for p in P.select().where((P.order == refund.id) & (P.method == POINTS)))
        paid_money = sum(p.amount_minor for p in P.select().where((P.order == original.id) & (P.method == POINTS)))
        if back_money > 0 and paid_money > 0:
            points = min(-redeemed.points, round(Decimal(-redeemed.points) * back_money / paid_money))
            rules = current_rules(refund.paid_at)
            expires = refund.paid_at + timedelta(days=rules.expiry_days) if rules.expiry_days else None
            _write(customer, RESTORE, points, order_id=refund.id, expires_at=expires, at=refund.paid_at)


def on_void(order: models.Order) -> None:
    """Inside the void of a paid sale: the points it earned are taken back (never below zero, as
    for a refund) and the points it redeemed are given back, less what refunds of it already did."""
    if order.customer_id is None:
        return
    E, O = models.LoyaltyEntry, models.Order
    customer, at = order.customer_id, now()
    earned = E.get_or_none((E.order == order.id) & (E.kind == EARN))
    redeemed = E.get_or_none((E.order == order.id) & (E.kind == REDEEM))

    def by_refunds(kind: str) -> int:
        return int(E.select(fn.COALESCE(fn.SUM(E.points), 0)).join(O, on=(E.order == O.id))
                   .where((O.refund_of == order.id) & (E.kind == kind)).scalar())

    if earned is not None:
        share = min(earned.points + by_refunds(REVERSE), balance(customer))
        if share > 0:
            _write(customer, REVERSE, -share, order_id=order.id, at=at)
    if redeemed is not None:
        back = -redeemed.points - by_refunds(RESTORE)
        if back > 0:
            rules = current_rules(at)
            expires = at + timedelta(days=rules.expiry_days) if rules.expiry_days else None
            _write(customer, RESTORE, back, order_id=order.id, expires_at=expires, at=at)


@transactional
def adjust(customer_id: int, points: int, reason: str, manager_id: int) -> int:
    """A manager adds or takes points, with the reason. Returns the new balance."""
    manager = models.Cashier.get_or_none((models.Cashier.id == manager_id) & (models.Cashier.role == "manager"))
    if manager is None:
        raise PosError(_("Only a manager adjusts points."))
    lock_row(models.Customer, customer_id)
    if models.Customer.get_or_none(models.Customer.id == customer_id) is None:
        raise NotFound(_("No customer with id {id}.").format(id=customer_id))
    check = validation.Checker()
    reason = check(validation.text, reason, "reason", max_length=200, required=True)
    if points == 0:
        check.errors["points"] = _("must not be zero")
    check.done()
    if points < 0 and -points > balance(customer_id):
        raise ValidationError("points", _("the customer has only {n} points").format(n=balance(customer_id)))
    rules = current_rules()
    expires = now() + timedelta(days=rules.expiry_days) if points > 0 and rules.expiry_days else None
    _write(customer_id, ADJUST, points, cashier_id=manager_id, reason=reason, expires_at=expires)
    return balance(customer_id)


@transactional
def expire(at: datetime | None = None) -> int:
    """Write an expiry entry for every earning past its date that still has points. Safe to run
    twice: an earning with nothing left is skipped. Returns the points expired."""
    at = at or now()
    E, U = models.LoyaltyEntry, models.LoyaltyUse
    used = (U.select(U.source, fn.SUM(U.points).alias("used")).group_by(U.source)).alias("used_by")
    due = (E.select(E.id, E.customer, E.order, E.points - fn.COALESCE(used.c.used, 0))
           .join(used, JOIN.LEFT_OUTER, on=(used.c.source_id == E.id))
           .where((E.points > 0) & E.expires_at.is_null(False) & (E.expires_at <= at)).tuples())
    due = list(due)
    # Every customer concerned locked in one order before any is changed (engines with row locks).
    if due and not is_sqlite():
        C, ids = models.Customer, sorted({row[1] for row in due})
        for start in range(0, len(ids), 10_000):
            lock(C.select(C.id).where(C.id.in_(ids[start:start + 10_000])).order_by(C.id)).execute()
    total = 0
    for entry_id, customer, order_id, left in due:
        if left <= 0:
            continue
        # one expiry per earning: its order (unique per kind) or, for an adjustment, none
        expiry = models.LoyaltyEntry.create(customer=customer, at=at, kind=EXPIRE, points=-left, order=order_id,
                                            reason=f"#{entry_id}")
        models.LoyaltyUse.create(entry=expiry, source=entry_id, points=left)
        models.Customer.update(points=models.Customer.points - left).where(models.Customer.id == customer).execute()
        events.emit(events.LOYALTY_ENTRY, "loyalty_entry", expiry.id, {
            "customer_id": customer, "kind": EXPIRE, "points": -left, "order_id": order_id, "at": at})
        total += left
    return total


@dataclass(frozen=True)
class Difference:
    customer_id: int
    name: str
    cached: int
    ledger: int


def check(fix: bool = False) -> list[Difference]:
    """Every customer whose cached balance disagrees with their ledger (and, with `fix`, mend it)."""
    C, E = models.Customer, models.LoyaltyEntry
    sums = E.select(E.customer, fn.SUM(E.points).alias("total")).group_by(E.customer).alias("sums")
    query = (C.select(C.id, C.name, C.points, fn.COALESCE(sums.c.total, 0))
             .join(sums, JOIN.LEFT_OUTER, on=(sums.c.customer_id == C.id))
             .where(C.points != fn.COALESCE(sums.c.total, 0)).tuples())
    differences = [Difference(i, n, p, int(t)) for i, n, p, t in query]
    if fix and differences:
        from pos_tui.db import write

        with write():
            for d in differences:
                C.update(points=d.ledger).where(C.id == d.customer_id).execute()
    return differences


@dataclass(frozen=True)
class LoyaltyStatus:
    """What the till shows of a customer's points."""

    balance: int
    tier: str
    tier_discount_bp: int
    value_minor: int  # what the balance is worth when redeemed
    expiring_30_days: int
    enabled: bool


def status(customer_id: int) -> LoyaltyStatus:
    rules = current_rules()
    points = balance(customer_id)
    tier = tier_of(customer_id)
    return LoyaltyStatus(points, tier.name, tier.discount_bp, money_for_points(points, rules),
                         expiring_soon(customer_id), rules.enabled)


def on_order(order_id: int) -> dict[str, int]:
    """The points the sale (or refund) moved, by kind: {"earn": 18, "redeem": -30, …}."""
    E = models.LoyaltyEntry
    return {kind: int(points) for kind, points in
            E.select(E.kind, fn.SUM(E.points)).where(E.order == order_id).group_by(E.kind).tuples()}


def balance_after(order: models.Order) -> int:
    """The customer's balance right after the sale (or refund): what its receipt says, however
    often it is printed again later."""
    E = models.LoyaltyEntry
    last = E.select(fn.MAX(E.id)).where(E.order == order.id).scalar()
    upto = (E.id <= last) if last is not None else (E.at <= order.paid_at)
    return int(E.select(fn.COALESCE(fn.SUM(E.points), 0)).where((E.customer == order.customer_id) & upto).scalar())


def earned_on(order_id: int) -> int:
    E = models.LoyaltyEntry
    return int(E.select(fn.COALESCE(fn.SUM(E.points), 0)).where((E.order == order_id) & (E.kind == EARN)).scalar())


def redeemable(customer_id: int, due_minor: int) -> tuple[int, int]:
    """(points, money) the customer can use now for `due_minor`: never more than the balance or
    the amount due."""
    rules = current_rules()
    money = min(due_minor, money_for_points(balance(customer_id), rules))
    return points_for_money(money, rules), money

