"""Reports on customers and loyalty points: who spends most, who holds most points, what the
points still owed are worth, points issued / redeemed / expired per month, RFM segments, customers
who stopped coming, new customers per month.

Every figure is one SQL aggregate (grouping, window functions) that hands back at most one row per
customer shown, per month or per segment: never a Python loop over orders or ledger entries. The
SQL is portable: SQLite ≥ 3.25 (window functions) and PostgreSQL; where the engines differ (the
month of a timestamp, days between two timestamps) a helper writes each one's own words.

Conventions:

- `since` (included) and `until` (excluded) are naive UTC datetimes, as timestamps are stored;
  `None` leaves that end open. Reports "as of" a moment (points balances, liability, RFM recency,
  inactive customers) take it from `until` (default: now).
- Months are `YYYY-MM` of the stored UTC timestamp (as on the customer's detail screen).
- Spend is what the customer paid: paid sales less paid refunds (`total_minor`, tax included),
  payments on account left out, as for the loyalty tiers. A purchase is one paid sale.
- Money in integer minor units; points are whole numbers; no float anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, SQL, Case, Select, Value, fn

from pos_tui import models
from pos_tui.db import database, is_sqlite, now
from pos_tui.errors import ValidationError
from pos_tui.i18n import N_, _
from pos_tui.services import loyalty
from pos_tui.services.customer_stats import _as_datetime, _month

PAID = "paid"
SALE, REFUND = "sale", "refund"

#: The reports, by the name the command line gives them.
KINDS = ("top-spend", "top-points", "liability", "points-monthly", "rfm", "inactive", "new-customers")


# Engine-specific bits -------------------------------------------------------------------------------


def _days_since(as_of: datetime, column):
    """Days (with a fraction) from `column` to `as_of`, in the engine's own words."""
    if is_sqlite():
        return fn.julianday(str(as_of)) - fn.julianday(column)
    return fn.date_part("epoch", Value(as_of).cast("timestamp") - column) / 86400


def _grouping(column):
    """A customer id column to group a whole table's rows by. `+ 0` keeps SQLite from walking the
    table through the customer index, one random read per row (at a million orders that is 3–4×
    slower than one pass over the table and a sort); the cast gives the result back an integer
    type, so that SQLite can index it when it joins the customers to it. PostgreSQL hashes either
    way."""
    return (column + 0).cast("INTEGER")


def _range(column, since: datetime | None, until: datetime | None):
    condition = SQL("1 = 1")
    if since is not None:
        condition &= column >= since
    if until is not None:
        condition &= column < until
    return condition


def _spend_orders(since: datetime | None, until: datetime | None):
    """Paid sales and refunds of a customer, paid in the range."""
    O = models.Order
    return ((O.state == PAID) & O.kind.in_([SALE, REFUND]) & O.customer.is_null(False)
            & _range(O.paid_at, since, until))


def _last_purchase():
    """The time of the last paid sale (a refund is no purchase)."""
    O = models.Order
    return fn.MAX(Case(None, [(O.kind == SALE, O.paid_at)]))


def _purchases():
    O = models.Order
    return fn.SUM(Case(None, [(O.kind == SALE, 1)], 0))


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise ValidationError("limit", _("must be 1 or more"))


# Top customers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendRow:
    customer_id: int
    name: str
    purchases: int
    spend_minor: int
    last_purchase: datetime | None


def top_spend(since: datetime | None = None, until: datetime | None = None, limit: int = 20) -> list[SpendRow]:
    """The customers who spent most in the range, most first (ties: the lower id first)."""
    _check_limit(limit)
    O, C = models.Order, models.Customer
    spend = fn.SUM(O.total_minor)
    customer = _grouping(O.customer)
    per = (O.select(customer.alias("customer_id"), spend.alias("spend"), _purchases().alias("purchases"),
                    _last_purchase().alias("last_at"))
           .where(_spend_orders(since, until)).group_by(customer)
           .order_by(spend.desc(), customer).limit(limit)).alias("per")
    query = (C.select(per.c.customer_id, C.name, per.c.purchases, per.c.spend, per.c.last_at)
             .join(per, on=(per.c.customer_id == C.id))
             .order_by(per.c.spend.desc(), per.c.customer_id).tuples())
    return [SpendRow(int(cid), name, int(purchases), int(spend), _as_datetime(last))
            for cid, name, purchases, spend, last in query]


@dataclass(frozen=True)
class PointsRow:
    customer_id: int
    name: str
    points: int
    value_minor: int  # what the points are worth when redeemed, at the rules' point value


def top_points(until: datetime | None = None, limit: int = 20) -> list[PointsRow]:
    """The customers holding most points (their ledger's balance as of `until`), most first."""
    _check_limit(limit)
    E, C = models.LoyaltyEntry, models.Customer
    total = fn.SUM(E.points)
    customer = _grouping(E.customer)
    per = (E.select(customer.alias("customer_id"), total.alias("points"))
           .where(_range(E.at, None, until)).group_by(customer).having(total > 0)
           .order_by(total.desc(), customer).limit(limit)).alias("per")
    query = (C.select(per.c.customer_id, C.name, per.c.points).join(per, on=(per.c.customer_id == C.id))
             .order_by(per.c.points.desc(), per.c.customer_id).tuples())
    rules = loyalty.current_rules(until)
    return [PointsRow(int(cid), name, int(points), loyalty.money_for_points(int(points), rules))
            for cid, name, points in query]


# What the points still owed are worth ---------------------------------------------------------------


@dataclass(frozen=True)
class LiabilityRow:
    month: str | None  # YYYY-MM the points expire; None: they never expire
    points: int
    value_minor: int
    earnings: int  # ledger entries that gave these points
    customers: int


@dataclass(frozen=True)
class Liability:
    as_of: datetime
    point_value_milli: int  # what a point is worth, in minor units × 1000 (the rules then)
    rows: tuple[LiabilityRow, ...]  # by expiry month, oldest first; never-expiring last

    @property
    def points(self) -> int:
        return sum(row.points for row in self.rows)

    @property
    def value_minor(self) -> int:
        return sum(row.value_minor for row in self.rows)


def liability(until: datetime | None = None) -> Liability:
    """The points still unused, earning by earning (what each entry that gave points has left
    after what redeem, expire, reverse and adjust entries took from it), grouped by the month they
    expire, and what they are worth at the rules' point value. Each month's value is rounded down
    to a minor unit, as a redemption would be; the total is the sum of the months.

    Points past their expiry date but not yet expired (`loyalty.expire` not run since) are still
    owed: they show under their (past) month."""
    as_of = until or now()
    E, U = models.LoyaltyEntry, models.LoyaltyUse
    used = U.select(U.source, fn.SUM(U.points).alias("used"))
    if until is not None:
        taker = E.alias("taker")
        used = used.join(taker, on=(U.entry == taker.id)).where(taker.at < until)
    used = used.group_by(U.source).alias("used_by")
    left = E.points - fn.COALESCE(used.c.used, 0)
    month = _month(E.expires_at)
    query = (E.select(month, fn.SUM(left), fn.COUNT(E.id), fn.COUNT(E.customer.distinct()))
             .join(used, JOIN.LEFT_OUTER, on=(used.c.source_id == E.id))
             .where((E.points > 0) & (left > 0) & _range(E.at, None, until))
             .group_by(month).order_by(month.is_null(), month).tuples())
    rules = loyalty.current_rules(as_of)
    rows = tuple(LiabilityRow(m, int(points), loyalty.money_for_points(int(points), rules), int(earnings),
                              int(customers)) for m, points, earnings, customers in query)
    return Liability(as_of, rules.point_value_milli, rows)


# Points per month -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointsMonth:
    """Points moved in a month, each figure positive:

    - issued: earned at checkouts, given back by refunds (restore), added by managers;
    - redeemed: used to pay;
    - expired;
    - taken_back: taken back by refunds (reverse) or by managers;
    - net: issued − redeemed − expired − taken_back, how much the balances grew."""

    month: str
    issued: int
    redeemed: int
    expired: int
    taken_back: int
    net: int


def points_monthly(since: datetime | None = None, until: datetime | None = None) -> list[PointsMonth]:
    """Points issued, redeemed, expired (and taken back) per month of the ledger, oldest first."""
    E = models.LoyaltyEntry

    def total(condition, sign: int = 1):
        # (0 - x, not -x: a minus before a peewee column means DESC)
        return fn.SUM(Case(None, [(condition, E.points if sign > 0 else 0 - E.points)], 0))

    adjust = E.kind == loyalty.ADJUST
    month = _month(E.at)
    query = (E.select(month, total(E.kind.in_([loyalty.EARN, loyalty.RESTORE]) | (adjust & (E.points > 0))),
                      total(E.kind == loyalty.REDEEM, -1), total(E.kind == loyalty.EXPIRE, -1),
                      total((E.kind == loyalty.REVERSE) | (adjust & (E.points < 0)), -1), fn.SUM(E.points))
             .where(_range(E.at, since, until)).group_by(month).order_by(month).tuples())
    return [PointsMonth(m, *(int(v) for v in values)) for m, *values in query]


# RFM ------------------------------------------------------------------------------------------------

CHAMPIONS, LOYAL, POTENTIAL, AT_RISK, HIBERNATING, LOST = (
    "champions", "loyal", "potential", "at_risk", "hibernating", "lost")
#: The segments in the order they are tested (the first that matches wins) and shown.
SEGMENTS = (CHAMPIONS, LOYAL, POTENTIAL, AT_RISK, HIBERNATING, LOST)
SEGMENT_LABELS = {CHAMPIONS: N_("Champions"), LOYAL: N_("Loyal"), POTENTIAL: N_("Potential"),
                  AT_RISK: N_("At risk"), HIBERNATING: N_("Hibernating"), LOST: N_("Lost")}
SEGMENT_RULES = {CHAMPIONS: "R≥4 F≥4 M≥4", LOYAL: "R≥3 F≥3", POTENTIAL: "R≥3 F≤2",
                 AT_RISK: "R≤2 F≥3", HIBERNATING: "R=2 F≤2", LOST: "R=1 F≤2"}


def _segment(r, f, m):
    """The segment of RFM scores, as SQL (see `rfm`)."""
    return Case(None, [
        ((r >= 4) & (f >= 4) & (m >= 4), CHAMPIONS),
        ((r >= 3) & (f >= 3), LOYAL),
        (r >= 3, POTENTIAL),
        (f >= 3, AT_RISK),
        (r == 2, HIBERNATING),
    ], LOST)


def _scored(since: datetime | None, until: datetime | None):
    """Per customer who bought in the range: last purchase, purchases, spend and the three scores."""
    O = models.Order
    purchases = _purchases()
    customer = _grouping(O.customer)
    per = (O.select(customer.alias("customer_id"), _last_purchase().alias("last_at"),
                    purchases.alias("frequency"), fn.SUM(O.total_minor).alias("monetary"))
           .where(_spend_orders(since, until)).group_by(customer).having(purchases > 0)).alias("per")

    def quintile(column):
        # 1 + ⌊5 × (rank − 1) / n⌋: the fifth of the customers the value falls in, ties together
        # (NTILE would split equal values between two scores by some other order)
        return 1 + (fn.RANK().over(order_by=[column]) - 1) * 5 / fn.COUNT(SQL("*")).over()

    return Select([per], [per.c.customer_id, per.c.last_at, per.c.frequency, per.c.monetary,
                          quintile(per.c.last_at).alias("r"), quintile(per.c.frequency).alias("f"),
                          quintile(per.c.monetary).alias("m")]).alias("scored")


@dataclass(frozen=True)
class RfmSegment:
    segment: str  # one of SEGMENTS
    label: str
    rule: str
    customers: int
    purchases: int
    spend_minor: int
    avg_recency_days: int  # days since the last purchase, on average (rounded)


@dataclass(frozen=True)
class Rfm:
    as_of: datetime
    segments: tuple[RfmSegment, ...]  # every segment, in SEGMENTS order, empty ones too

    @property
    def customers(self) -> int:
        return sum(s.customers for s in self.segments)

    @property
    def spend_minor(self) -> int:
        return sum(s.spend_minor for s in self.segments)


def rfm(since: datetime | None = None, until: datetime | None = None) -> Rfm:
    """RFM segments of the customers who bought in the range (default: all time up to now).

    Each customer gets three scores from 1 to 5, by quintiles: a customer's score is 1 + ⌊5 ×
    (rank − 1) / n⌋, where rank is SQL's `RANK()` of their value among the n customers, lowest
    first. Equal values share a score (the lowest their rank allows): two customers who bought
    alike always land in the same segment, so a score may hold more or less than a fifth.

    - R, recency: how recent the last purchase is (5: the most recent fifth);
    - F, frequency: how many purchases (5: the fifth who bought most often);
    - M, monetary: how much they spent, refunds deducted (5: the fifth who spent most).

    Then the first segment that matches, a short form of the common RFM segment table:

    ============  ====================  =====================================================
    Champions     R ≥ 4, F ≥ 4, M ≥ 4   bought lately, often, and spend the most
    Loyal         R ≥ 3, F ≥ 3          regulars, still coming
    Potential     R ≥ 3 (F ≤ 2)         came lately, a few times so far
    At risk       R ≤ 2, F ≥ 3          used to come often, not lately
    Hibernating   R = 2, F ≤ 2          few purchases, a while ago
    Lost          R = 1, F ≤ 2          few purchases, long ago
    ============  ====================  =====================================================

    Recency is counted up to `until` (default: now)."""
    as_of = until or now()
    scored = _scored(since, until)
    segment = _segment(scored.c.r, scored.c.f, scored.c.m)
    query = (Select([scored], [segment, fn.COUNT(scored.c.customer_id), fn.SUM(scored.c.frequency),
                               fn.SUM(scored.c.monetary), fn.AVG(_days_since(as_of, scored.c.last_at))])
             .group_by(segment).bind(database).tuples())
    found = {seg: (int(n), int(purchases), int(spend), avg) for seg, n, purchases, spend, avg in query}
    segments = []
    for seg in SEGMENTS:
        n, purchases, spend, avg = found.get(seg, (0, 0, 0, None))
        days = 0 if avg is None else max(0, round(avg))  # a count of days, not money: a float is fine
        segments.append(RfmSegment(seg, _(SEGMENT_LABELS[seg]), SEGMENT_RULES[seg], n, purchases, spend, days))
    return Rfm(as_of, tuple(segments))


@dataclass(frozen=True)
class RfmCustomer:
    customer_id: int
    name: str
    last_purchase: datetime
    purchases: int
    spend_minor: int
    r: int
    f: int
    m: int
    segment: str


def rfm_customers(since: datetime | None = None, until: datetime | None = None,
                  limit: int | None = None) -> list[RfmCustomer]:
    """Each customer's RFM scores and segment (see `rfm`), the best scores first."""
    _check_limit(limit)
    C = models.Customer
    scored = _scored(since, until)
    segment = _segment(scored.c.r, scored.c.f, scored.c.m)
    query = (Select([scored], [scored.c.customer_id, C.name, scored.c.last_at, scored.c.frequency,
                               scored.c.monetary, scored.c.r, scored.c.f, scored.c.m, segment])
             .join(C, on=(C.id == scored.c.customer_id))
             .order_by((scored.c.r + scored.c.f + scored.c.m).desc(), scored.c.customer_id))
    if limit is not None:
        query = query.limit(limit)
    return [RfmCustomer(int(cid), name, _as_datetime(last), int(freq), int(spend), int(r), int(f), int(m), seg)
            for cid, name, last, freq, spend, r, f, m, seg in query.bind(database).tuples()]


# Customers who stopped coming ------------------------------------------------------------------------


@dataclass(frozen=True)
class InactiveRow:
    customer_id: int
    name: str
    last_purchase: datetime | None  # None: never bought
    purchases: int
    spend_minor: int


@dataclass(frozen=True)
class Inactive:
    as_of: datetime
    days: int
    total: int  # every inactive customer, beyond the rows shown
    rows: tuple[InactiveRow, ...]  # the ones who spent most first


def inactive(days: int = 90, until: datetime | None = None, limit: int = 20) -> Inactive:
    """Customers (not archived) with no purchase in the `days` days before `until` (default: now):
    those who bought before and stopped, and those created before then who never bought. The ones
    who spent most come first (the ones worth winning back); `total` counts them all."""
    if days < 1:
        raise ValidationError("days", _("must be 1 or more"))
    _check_limit(limit)
    as_of = until or now()
    cutoff = as_of - timedelta(days=days)
    O, C = models.Order, models.Customer
    customer = _grouping(O.customer)
    per = (O.select(customer.alias("customer_id"), _last_purchase().alias("last_at"),
                    _purchases().alias("purchases"), fn.SUM(O.total_minor).alias("spend"))
           .where(_spend_orders(None, as_of)).group_by(customer)).alias("per")
    spend = fn.COALESCE(per.c.spend, 0)
    query = (C.select(C.id, C.name, per.c.last_at, fn.COALESCE(per.c.purchases, 0), spend,
                      fn.COUNT(SQL("*")).over())
             .join(per, JOIN.LEFT_OUTER, on=(per.c.customer_id == C.id))
             .where((C.archived == False) & (C.created_at < cutoff)  # noqa: E712
                    & (per.c.last_at.is_null() | (per.c.last_at < cutoff)))
             .order_by(spend.desc(), C.id).limit(limit).tuples())
    rows, total = [], 0
    for cid, name, last, purchases, amount, count in query:
        rows.append(InactiveRow(int(cid), name, _as_datetime(last), int(purchases), int(amount)))
        total = int(count)
    return Inactive(as_of, days, total, tuple(rows))


# New customers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCustomersMonth:
    month: str
    customers: int  # created that month
    bought: int  # of them, how many have bought at least once (up to `until`)


def new_customers(since: datetime | None = None, until: datetime | None = None) -> list[NewCustomersMonth]:
    """New customers per month of their creation, and how many of them have bought since."""
    C, O = models.Customer, models.Order
    bought = fn.EXISTS(O.select(SQL("1")).where((O.customer == C.id) & (O.state == PAID) & (O.kind == SALE)
                                                 & _range(O.paid_at, None, until)))
    month = _month(C.created_at)
    query = (C.select(month, fn.COUNT(C.id), fn.SUM(Case(None, [(bought, 1)], 0)))
             .where(_range(C.created_at, since, until)).group_by(month).order_by(month).tuples())
    return [NewCustomersMonth(m, int(n), int(b)) for m, n, b in query]
