"""A till in a process of its own, for the crash and concurrency tests and `bench/tills.py`.

    python -m tests.sale_worker crash --db PATH --till T1 --journal FILE --seed N [--crash-point …]
    python -m tests.sale_worker sell  --db PATH --tills T1[,T2…] --sales N --seed N --result FILE
    python -m tests.sale_worker pay   --db PATH
    python -m tests.sale_worker invoice --db PATH --till T1 --customers 21,22 --sales N --seed N --result FILE

Run it from the repository root (so that `tests` is importable) with the interpreter of the tests.
Every mode prints `ready` on stdout once the database is open; `sell` and `pay` then wait for a
line on stdin (`go`, or the orders to pay), so that the parent can start them all at once.

crash  Sells until it is killed. Before and after each step it appends a JSON line to the journal
       (`add`/`added`, `customer`, `pay`/`paid`): a line is written with one write(2), so it
       survives a SIGKILL, and the parent can check that every step the till saw succeed is in the
       database. On start it first retries the checkout of a sale whose `pay` has no `paid` (the
       till died while paying: the retry must find it paid, or pay it once), then resumes the
       till's draft. `--crash-point` makes it kill itself at a chosen place on sale
       `--crash-sale`: inside the checkout transaction after the payments and the number are
       written (`in-checkout`), or just after the checkout committed (`after-checkout`).
       `--sales N` stops after N sales (0: only the retry and the resume); `--pause-ms` pauses up
       to that long between two steps, as a cashier would (a till writing flat out starves the
       others: SQLite's busy handler retries the lock with sleeps growing to 100 ms).
sell   Sells `--sales` sales on each till of `--tills` in turn, timing each whole sale and each
       checkout; writes a JSON result (timings, the paid orders, the errors) and exits 0 even
       when some sales failed: the errors are in the result.
pay    Reads lines `{"uuid": …, "tenders": [[method, minor], …]}` from stdin, checks each order out
       and prints `{"uuid": …, "number": …, "payments": […]}` (or `{"error": …}`) per line.
invoice
       After `go`, `--sales` sales flat out, each for one of the shared `--customers` with a full
       invoice, paid partly with points when the customer has some, partly on account when the
       credit allows; every third sale then has one item refunded (a credit note). The tills
       contend for the same customers, their points and credit, and the invoice series. Writes
       a JSON result: the numbers issued, the refusals (points another till spent first) and the
       errors.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

from pos_tui import db, models
from pos_tui.services import cashiers, sales
from pos_tui.services.payments import Tender

CRASH_POINTS = ("none", "in-checkout", "after-checkout")


# The sale mix -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    sku: str
    quantity: int
    text: str  # what the cashier types: SKU or barcode, `3*CODE` for three


@dataclass(frozen=True)
class SalePlan:
    items: tuple[Item, ...]
    customer_id: int | None
    pay: str  # cash | card | split
    exact_cash: bool


@dataclass(frozen=True)
class Shop:
    """What a till needs to make up sales: the catalog's codes and the customers."""

    products: tuple[tuple[str, str | None], ...]  # (sku, barcode)
    customer_ids: tuple[int, ...]

    @classmethod
    def load(cls) -> Shop:
        P, C = models.Product, models.Customer
        products = tuple(P.select(P.sku, P.barcode).where((P.active == True) & (P.by_weight == False))  # noqa: E712
                         .order_by(P.sku).tuples())
        customer_ids = tuple(C.select(C.id).where(C.archived == False).order_by(C.id).tuples())  # noqa: E712
        return cls(products, tuple(row[0] for row in customer_ids))


def plan_sale(rng: random.Random, shop: Shop) -> SalePlan:
    """1 to 5 scans (SKU or barcode, some `n*CODE`), a customer on about a third, then cash (with
    change or exact), card, or card and cash."""
    items = []
    for _ in range(rng.randint(1, 5)):
        sku, barcode = rng.choice(shop.products)
        quantity = rng.choice((1, 1, 1, 2, 3))
        code = barcode if barcode and rng.random() < 0.5 else sku
        items.append(Item(sku, quantity, f"{quantity}*{code}" if quantity > 1 else code))
    customer_id = rng.choice(shop.customer_ids) if shop.customer_ids and rng.random() < 0.3 else None
    return SalePlan(tuple(items), customer_id, rng.choice(("cash", "cash", "card", "split")),
                    rng.random() < 0.3)


def tenders_for(total_minor: int, plan: SalePlan) -> list[Tender]:
    def cash(due: int) -> Tender:
        return Tender("cash", due if plan.exact_cash else (due // 500 + 1) * 500)

    if plan.pay == "card":
        return [Tender("card", total_minor)]
    if plan.pay == "split" and total_minor >= 2:
        card = total_minor // 2
        return [Tender("card", card), cash(total_minor - card)]
    return [cash(total_minor)]


def tender_list(tenders: list[Tender]) -> list[list]:
    return [[t.method, t.amount_minor] for t in tenders]


# Selling ----------------------------------------------------------------------------------------


class Journal:
    """JSON lines appended with one write(2) each: what a SIGKILL cannot half-write."""

    def __init__(self, path: str | None):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if path else None

    def __call__(self, event: str, **fields) -> None:
        if self.fd is not None:
            os.write(self.fd, (json.dumps({"e": event, **fields}) + "\n").encode())


def read_journal(path: str) -> list[dict]:
    """The events of a journal; a torn last line (there should be none) is left out."""
    events = []
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    except FileNotFoundError:
        pass
    return events


@dataclass(frozen=True)
class Sold:
    uuid: str
    number: str
    total_minor: int
    sale_seconds: float
    checkout_seconds: float


def sell(till: str, cashier_id: int, plan: SalePlan, journal: Journal = Journal(None),
         after_checkout: Callable[[], None] | None = None, think: Callable[[], None] = lambda: None) -> Sold:
    """One sale as the till makes it: the cart (resumed or new), the scans, the customer, paid.
    `think` runs between the steps (the cashier's pace)."""
    started = time.monotonic()
    sale = sales.current_sale(till, cashier_id)
    journal("open", uuid=sale.uuid, lines=len(sale.lines))
    for item in plan.items:
        think()
        journal("add", uuid=sale.uuid, sku=item.sku, qty=item.quantity)
        sale, _ = sales.add_code(sale.id, item.text)
        journal("added", uuid=sale.uuid, sku=item.sku, qty=item.quantity)
    think()
    if plan.customer_id is not None:
        journal("set-customer", uuid=sale.uuid, id=plan.customer_id)
        sale = sales.set_customer(sale.id, plan.customer_id)
        journal("customer", uuid=sale.uuid, id=plan.customer_id)
    tenders = tenders_for(sale.total_minor, plan)
    journal("pay", uuid=sale.uuid, total=sale.total_minor, tenders=tender_list(tenders))
    paying = time.monotonic()
    receipt = sales.checkout(sale.uuid, tenders)
    done = time.monotonic()
    if after_checkout is not None:
        after_checkout()
    journal("paid", uuid=sale.uuid, number=receipt.number, total=receipt.total_minor)
    return Sold(sale.uuid, receipt.number, receipt.total_minor, done - started, done - paying)


def pending_payment(events: list[dict]) -> dict | None:
    """The last `pay` with no `paid` or `retry` after it: the till died while paying."""
    pending = None
    for event in events:
        if event["e"] == "pay":
            pending = event
        elif event["e"] in ("paid", "retry") and pending and event["uuid"] == pending["uuid"]:
            pending = None
    return pending


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(60)  # never reached


def _ready() -> None:
    print("ready", flush=True)


def _cashier_id(name: str) -> int:
    cashier = cashiers.find_cashier(name)
    if cashier is None:
        raise SystemExit(f"no cashier {name!r}")
    return cashier.id


def run_crash(args) -> int:
    journal = Journal(args.journal)
    journal("start", pid=os.getpid(), seed=args.seed, crash_point=args.crash_point)
    db.open_database(args.db)
    _ready()
    cashier_id = _cashier_id(args.cashier)
    rng = random.Random(args.seed)
    pending = pending_payment(read_journal(args.journal))
    if pending is not None:
        O = models.Order
        was = O.select(O.state).where(O.uuid == pending["uuid"]).scalar()
        tenders = [Tender(method, amount) for method, amount in pending["tenders"]]
        receipt = sales.checkout(pending["uuid"], tenders)
        journal("retry", uuid=pending["uuid"], was=was, number=receipt.number, total=receipt.total_minor)
    sale = sales.current_sale(args.till, cashier_id)
    journal("resume", uuid=sale.uuid, lines=len(sale.lines))
    shop = Shop.load()
    if args.crash_point == "in-checkout":
        take_number = sales.next_order_number

        def next_number_then_die(till: str) -> str:
            # Inside checkout's transaction: payments inserted, the number taken, not committed.
            number = take_number(till)
            if done_sales == args.crash_sale:
                die()
            return number

        sales.next_order_number = next_number_then_die

    def after_checkout() -> None:
        if args.crash_point == "after-checkout" and done_sales == args.crash_sale:
            die()  # committed, but the till never learnt it

    def think() -> None:
        # A cashier's pace leaves the other till, and a restarted one opening the database, turns.
        if args.pause_ms:
            time.sleep(rng.uniform(0, args.pause_ms / 1000))

    done_sales = 0
    for done_sales in count():
        if args.sales >= 0 and done_sales >= args.sales:
            break
        sell(args.till, cashier_id, plan_sale(rng, shop), journal, after_checkout, think)
    return 0


def till_rng(seed: int, till: str) -> random.Random:
    """The same sales for a till whichever process makes them."""
    return random.Random(f"{seed}:{till}")


def plan_sales(seed: int, till: str, shop: Shop, n: int) -> list[SalePlan]:
    rng = till_rng(seed, till)
    return [plan_sale(rng, shop) for _ in range(n)]


def run_sell(args) -> int:
    db.open_database(args.db)
    tills = [t for t in args.tills.split(",") if t]
    cashier_id = _cashier_id(args.cashier)
    shop = Shop.load()
    plans = {till: plan_sales(args.seed, till, shop, args.sales) for till in tills}
    _ready()
    sys.stdin.readline()  # go
    timings, paid, errors = [], [], []
    started = time.monotonic()
    for till in tills:
        for plan in plans[till]:
            try:
                sold = sell(till, cashier_id, plan)
            except Exception as exc:  # counted, reported, and the next sale goes on
                errors.append({"till": till, "error": f"{type(exc).__name__}: {exc}",
                               "traceback": traceback.format_exc()})
                continue
            timings.append([sold.sale_seconds, sold.checkout_seconds])
            paid.append([till, sold.uuid, sold.number, sold.total_minor])
    ended = time.monotonic()
    result = {"tills": tills, "pid": os.getpid(), "started": started, "ended": ended,
              "timings": timings, "paid": paid, "errors": errors}
    with open(args.result, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


def run_invoice(args) -> int:
    from pos_tui.errors import ValidationError
    from pos_tui.services import credit, invoices, loyalty, refunds

    db.open_database(args.db)
    cashier_id = _cashier_id(args.cashier)
    customer_ids = [int(c) for c in args.customers.split(",")]
    shop = Shop.load()
    rng = random.Random(f"{args.seed}:{args.till}")
    _ready()
    sys.stdin.readline()  # go
    orders, invoice_numbers, refusals, errors = [], [], 0, []
    for n in range(args.sales):
        try:
            sale = sales.current_sale(args.till, cashier_id)
            for _ in range(rng.randint(1, 3)):
                sale, _ = sales.add_code(sale.id, rng.choice(shop.products)[0])
            customer_id = rng.choice(customer_ids)
            sale = sales.set_customer(sale.id, customer_id)
            sale = sales.set_invoice(sale.id, True)
            due = sale.total_minor
            tenders = []
            points, money = loyalty.redeemable(customer_id, due // 2)
            if money and rng.random() < 0.5:
                tenders.append(Tender("points", money))
                due -= money
            customer = models.Customer.get_by_id(customer_id)
            if rng.random() < 0.3 and credit.balance(customer_id) + due <= customer.credit_limit_minor:
                tenders.append(Tender("account", due))
            else:
                tenders.append(Tender("card", due))
            try:
                receipt = sales.checkout(sale.uuid, tenders)
            except ValidationError:  # another till spent the points or the credit first: refused
                refusals += 1
                receipt = sales.checkout(sale.uuid, [Tender("card", sale.total_minor)])
            orders.append(receipt.number)
            invoice_numbers += [i.number for i in invoices.for_order(receipt.order_id)]
            if n % 3 == 2:
                line = refunds.refundable(receipt.order_id).lines[0]
                back = refunds.refund(receipt.order_id, {line.line_id: 1}, args.till, cashier_id)
                orders.append(back.number)
                invoice_numbers += [i.number for i in invoices.for_order(back.order_id)]
        except Exception as exc:
            errors.append({"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})
    with open(args.result, "w", encoding="utf-8") as handle:
        json.dump({"orders": orders, "invoices": invoice_numbers, "refusals": refusals, "errors": errors}, handle)
    return 0


def run_pay(args) -> int:
    db.open_database(args.db)
    _ready()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            receipt = sales.checkout(request["uuid"], [Tender(m, a) for m, a in request["tenders"]])
            reply = {"uuid": request["uuid"], "number": receipt.number,
                     "payments": [[p.method, p.tendered_minor] for p in receipt.payments]}
        except Exception as exc:
            reply = {"uuid": request["uuid"], "error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(reply), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sale_worker", description=__doc__.split("\n")[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    crash = modes.add_parser("crash", help="sell until killed, journaling every step")
    crash.add_argument("--till", required=True)
    crash.add_argument("--journal", required=True)
    crash.add_argument("--crash-point", choices=CRASH_POINTS, default="none")
    crash.add_argument("--crash-sale", type=int, default=0, help="the sale (0-based) to crash on")
    crash.add_argument("--sales", type=int, default=-1, help="stop after N sales (default: never)")
    crash.add_argument("--pause-ms", type=float, default=0, help="up to this pause between two steps")
    sell_ = modes.add_parser("sell", help="sell N sales on each till, timed")
    sell_.add_argument("--tills", required=True, help="comma-separated, sold one after the other")
    sell_.add_argument("--sales", type=int, required=True)
    sell_.add_argument("--result", required=True)
    modes.add_parser("pay", help="check out the orders read from stdin")
    invoice = modes.add_parser("invoice", help="invoiced sales and refunds for shared customers, flat out")
    invoice.add_argument("--till", required=True)
    invoice.add_argument("--customers", required=True, help="comma-separated customer ids")
    invoice.add_argument("--sales", type=int, required=True)
    invoice.add_argument("--result", required=True)
    for mode in (crash, sell_, invoice):
        mode.add_argument("--seed", type=int, default=0)
        mode.add_argument("--cashier", default="Luis")
    for mode in modes.choices.values():
        mode.add_argument("--db", required=True)
    args = parser.parse_args(argv)
    try:
        return {"crash": run_crash, "sell": run_sell, "pay": run_pay, "invoice": run_invoice}[args.mode](args)
    finally:
        db.close_database()


if __name__ == "__main__":
    sys.exit(main())
