"""Several tills selling at the same moment on one database, each in its own process, as in a shop
with four counters: no sale lost, none refused with "database is locked", numbers gapless. On a
SQLite file, or on PostgreSQL with POS_TEST_DATABASE_URL set (tills on several hosts)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

from pos_tui import db, models
from tests.sale_worker import Shop, plan_sales, tenders_for
from tests.targets import new_store
from tests.test_crash import ROOT, check_database, kill, prepare_store, wait_ready

TILLS = ("T1", "T2", "T3", "T4")
SALES = 25
SEED = 20240501


def run_workers(tmp_path, commands: dict[str, list[str]], timeout: float) -> tuple[dict, dict]:
    """Start `python -m tests.sale_worker ARGS` per till, let them all go at the same moment, and
    wait. Every worker must exit 0 with no error in its result; returns (results, stderr) by till."""
    procs, errs = {}, {}
    try:
        for till, args in commands.items():
            errs[till] = open(tmp_path / f"stderr-{till}.txt", "w+")
            procs[till] = subprocess.Popen(
                [sys.executable, "-m", "tests.sale_worker", *args, "--result", str(tmp_path / f"{till}.json")],
                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errs[till], text=True)
        for proc in procs.values():
            wait_ready(proc)
        for proc in procs.values():  # all at once
            proc.stdin.write("go\n")
            proc.stdin.flush()
        codes = {till: proc.wait(timeout=timeout) for till, proc in procs.items()}
    finally:
        for proc in procs.values():
            kill(proc)
        for handle in errs.values():
            handle.close()
    stderr = {till: (tmp_path / f"stderr-{till}.txt").read_text() for till in commands}
    assert codes == {till: 0 for till in commands}, stderr
    results = {till: json.loads((tmp_path / f"{till}.json").read_text()) for till in commands}
    errors = [error for result in results.values() for error in result["errors"]]
    assert errors == [], "\n".join(e["traceback"] for e in errors)
    return results, stderr


def test_four_tills_selling_at_once_lose_nothing(tmp_path):
    path = new_store(tmp_path)
    prepare_store(path, {till: ("Ana", "Luis")[i % 2] for i, till in enumerate(TILLS)})
    results, stderr = run_workers(tmp_path, {till: ["sell", "--db", str(path), "--tills", till, "--sales", str(SALES),
                                                    "--seed", str(SEED)] for till in TILLS}, timeout=120)
    assert not any(stderr.values()), stderr  # no "database is locked" either
    # Every till sold its sales, overlapping the others.
    assert all(len(result["paid"]) == SALES for result in results.values())
    assert max(r["started"] for r in results.values()) < min(r["ended"] for r in results.values())

    numbers = check_database(path)  # paid in full once or draft, gapless, integrity, foreign keys
    assert {till: len(numbers.get(till, ())) for till in TILLS} == {till: SALES for till in TILLS}
    db.open_database(str(path))
    try:
        O, L = models.Order, models.OrderLine
        assert O.select().where(O.state != "paid").count() == 0
        shop = Shop.load()
        for till, result in results.items():
            for (_till, uuid, number, total), plan in zip(result["paid"], plan_sales(SEED, till, shop, SALES)):
                order = O.get(O.uuid == uuid)  # the sale the till made, exactly
                assert (order.till, order.state, order.number, order.total_minor) == (till, "paid", number, total)
                lines = Counter()
                for line in L.select().where(L.order == order.id):
                    lines[line.sku] += line.quantity
                assert lines == sum((Counter({i.sku: i.quantity}) for i in plan.items), Counter()), number
                assert order.customer_id == plan.customer_id, number
                P = models.Payment
                methods = [p.method for p in P.select().where(P.order == order.id).order_by(P.id)]
                assert methods == [t.method for t in tenders_for(total, plan)], number
            assert sorted(n for _t, _u, n, _x in result["paid"]) == [f"{till}-{i:06d}" for i in range(1, SALES + 1)]
        assert sum(Counter(row[0] for row in O.select(O.till).tuples()).values()) == SALES * len(TILLS)
        # one simplified invoice per sale, in one series shared by all the tills: no gap, no twice
        invoices = list(models.Invoice.select().order_by(models.Invoice.id))
        assert len({i.order_id for i in invoices}) == len(invoices) == SALES * len(TILLS)
        [series] = {i.series for i in invoices}
        assert sorted(i.number for i in invoices) == [f"{series}-{n:06d}" for n in range(1, len(invoices) + 1)]
    finally:
        db.close_database()


INVOICE_TILLS = ("T1", "T2", "T3", "T4")
INVOICED_SALES = 15


def test_invoices_points_and_credit_from_several_tills_committing_at_once(tmp_path):
    """Four processes, flat out, sell with full invoices to the same three customers, pay with their
    points and on their account, and refund every third sale: the invoice and credit-note series
    stay gapless, no point is spent twice, no credit limit is passed, the change feed has no gap.
    (On SQLite the write lock takes turns; on PostgreSQL, row locks on the sale, the customer and
    the counters.)"""
    from pos_tui.services import credit, customers, loyalty

    path = new_store(tmp_path)
    prepare_store(path, {till: ("Ana", "Luis")[i % 2] for i, till in enumerate(INVOICE_TILLS)})
    db.open_database(str(path))
    try:
        loyalty.set_rules(points_per_unit="20", expiry_days="365")
        fiscal = {"is_company": True, "street": "Calle Sol 4", "city": "Madrid", "postal_code": "28004",
                  "credit_limit": "60", "payment_terms_days": "30"}
        shared = [customers.create_customer({**fiscal, "name": name, "tax_id": tax_id}, allow_duplicates=True).id
                  for name, tax_id in (("Ferretería Norte S.L.", "B85743219"), ("Talleres Sur S.A.", "A58818501"),
                                       ("Frutas Gil S.L.", "B46020376"))]
    finally:
        db.close_database()
    results, _stderr = run_workers(tmp_path, {till: ["invoice", "--db", str(path), "--till", till, "--customers",
                                                     ",".join(map(str, shared)), "--sales", str(INVOICED_SALES),
                                                     "--seed", str(SEED)] for till in INVOICE_TILLS}, timeout=180)

    refunds_per_till = INVOICED_SALES // 3
    db.open_database(str(path))
    try:
        O, E = models.Order, models.Event
        for till, result in results.items():  # sales and refunds share the till's order numbers
            numbers = sorted(n for (n,) in O.select(O.number).where((O.till == till) & (O.state == "paid")).tuples())
            assert numbers == sorted(result["orders"]) == [f"{till}-{i:06d}" for i in range(1, len(numbers) + 1)]
        cursors = [c for (c,) in E.select(E.cursor).order_by(E.cursor).tuples()]
        assert cursors == list(range(1, len(cursors) + 1)), "the change feed has a gap"
        I = models.Invoice
        issued = sorted(number for result in results.values() for number in result["invoices"])
        stored = sorted(n for (n,) in I.select(I.number).tuples())
        assert issued == stored  # every number a till was given is the one stored, none twice
        series = Counter(n.rsplit("-", 1)[0] for n in stored)
        [full] = [s for s in series if s.startswith("F")]
        [notes] = [s for s in series if s.startswith("R")]
        assert series == {full: INVOICED_SALES * len(INVOICE_TILLS), notes: refunds_per_till * len(INVOICE_TILLS)}
        for name, count in series.items():
            assert sorted(n for n in stored if n.startswith(name + "-")) == [
                f"{name}-{i:06d}" for i in range(1, count + 1)], f"series {name} has a gap or a repeat"
        assert loyalty.check() == []  # each cached balance is its ledger's sum
        for customer_id in shared:
            assert loyalty.balance(customer_id) >= 0
            limit = models.Customer.get_by_id(customer_id).credit_limit_minor
            assert 0 <= credit.balance(customer_id) <= limit
    finally:
        db.close_database()
