"""Several tills selling at the same moment on one SQLite file, each in its own process, as in a
shop with four counters: no sale lost, none refused with "database is locked", numbers gapless."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

from pos_tui import db, models
from tests.sale_worker import Shop, plan_sales, tenders_for
from tests.test_crash import ROOT, check_database, kill, prepare_store, wait_ready

TILLS = ("T1", "T2", "T3", "T4")
SALES = 25
SEED = 20240501


def test_four_tills_selling_at_once_lose_nothing(tmp_path):
    path = tmp_path / "pos.sqlite3"
    prepare_store(path, {till: ("Ana", "Luis")[i % 2] for i, till in enumerate(TILLS)})
    procs, errs = {}, {}
    try:
        for till in TILLS:
            errs[till] = open(tmp_path / f"stderr-{till}.txt", "w+")
            procs[till] = subprocess.Popen(
                [sys.executable, "-m", "tests.sale_worker", "sell", "--db", str(path), "--tills", till,
                 "--sales", str(SALES), "--seed", str(SEED), "--result", str(tmp_path / f"{till}.json")],
                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errs[till], text=True)
        for proc in procs.values():
            wait_ready(proc)
        for proc in procs.values():  # all at once
            proc.stdin.write("go\n")
            proc.stdin.flush()
        codes = {till: proc.wait(timeout=120) for till, proc in procs.items()}
    finally:
        for proc in procs.values():
            kill(proc)
        for handle in errs.values():
            handle.close()

    stderr = {till: (tmp_path / f"stderr-{till}.txt").read_text() for till in TILLS}
    assert codes == {till: 0 for till in TILLS}, stderr
    assert not any(stderr.values()), stderr
    results = {till: json.loads((tmp_path / f"{till}.json").read_text()) for till in TILLS}
    errors = [error for result in results.values() for error in result["errors"]]
    assert errors == [], "\n".join(e["traceback"] for e in errors)  # no "database is locked" either
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
