"""The checkout's commit, against raw sqlite3 writing the very same rows.

    python -m bench.checkout [--sales 300] [--db PATH] [--seed 42]

Ours: `sales.checkout` as the till calls it (one transaction: the sale's checks, the payments,
the order number, the simplified invoice with its frozen snapshots, the loyalty ledger, the
customer's visit, the change feed), timed from the call to its return: the commit, synced to disk
(WAL, synchronous=FULL), included.

Baseline: every INSERT, UPDATE and DELETE that checkout sent to SQLite — captured from peewee's
query log, with their parameters — replayed with the bare `sqlite3` module on a copy of the
database as it was before, in one BEGIN IMMEDIATE … COMMIT, with the same pragmas: the same rows
written, none of the reading, checking and Python around them. The carts are made between the
checkouts (1–5 scans, a customer on a third, cash, card or both: the sale mix of
`tests/sale_worker.py`) and their writes replayed untimed on the copy, so both databases go
through the same states. Both are timed sale by sale, alternating.

Report: bench/out/checkout.md and checkout.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class Capture(logging.Handler):
    """peewee's query log: (sql, params) of every statement, kept when it writes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, tuple]] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.msg
        if isinstance(msg, tuple) and len(msg) == 2 and isinstance(msg[0], str):
            sql, params = msg
            if sql.lstrip().split(" ", 1)[0].upper() in WRITES:
                self.statements.append((sql, tuple(params or ())))

    def take(self) -> list[tuple[str, tuple]]:
        taken, self.statements = self.statements, []
        return taken


def replay(conn: sqlite3.Connection, statements: list[tuple[str, tuple]]) -> float:
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for sql, params in statements:
        conn.execute(sql, params)
    conn.execute("COMMIT")
    return time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.checkout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=300)
    parser.add_argument("--db", type=Path, default=OUT / "checkout.sqlite3", help="made afresh (and DB.copy)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from bench.machine import machine
    from pos_tui import db
    from pos_tui.services import cashiers, demo, sales, sessions
    from tests.sale_worker import Shop, plan_sale, tenders_for

    OUT.mkdir(parents=True, exist_ok=True)
    copy_path = Path(f"{args.db}.copy")
    for path in (args.db, copy_path):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    db.open_database(str(args.db))
    demo.load_demo()
    luis = cashiers.find_cashier("Luis")
    sessions.open_session("T1", luis.id, 10_000)
    db.database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    target = sqlite3.connect(str(copy_path), isolation_level=None)
    db.database.connection().backup(target)  # the copy: the database as it is now
    for pragma, value in db.SQLITE_PRAGMAS.items():
        target.execute(f"PRAGMA {pragma} = {value}")

    capture = Capture()
    logger = logging.getLogger("peewee")
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    shop, rng = Shop.load(), random.Random(args.seed)
    ours, raw, rows = [], [], []
    for _ in range(args.sales):
        plan = plan_sale(rng, shop)
        sale = sales.current_sale("T1", luis.id)
        for item in plan.items:
            sale, _ = sales.add_code(sale.id, item.text)
        if plan.customer_id is not None:
            sale = sales.set_customer(sale.id, plan.customer_id)
        cart = capture.take()
        started = time.perf_counter()
        sales.checkout(sale.uuid, tenders_for(sale.total_minor, plan))
        ours.append(time.perf_counter() - started)
        written = capture.take()
        rows.append(len(written))
        replay(target, cart)  # untimed: the copy gets the same cart
        raw.append(replay(target, written))
    logger.removeHandler(capture)
    checks = [target.execute("SELECT COUNT(*), COALESCE(SUM(total_minor), 0) FROM sale_order WHERE state = 'paid'")
              .fetchone(), tuple(db.database.execute_sql(
                  "SELECT COUNT(*), COALESCE(SUM(total_minor), 0) FROM sale_order WHERE state = 'paid'").fetchone())]
    target.close()
    db.close_database()
    same = checks[0] == checks[1]

    ms = 1000
    p50_ours, p50_raw = statistics.median(ours), statistics.median(raw)
    lines = ["# Checkout commit against raw sqlite3 writing the same rows", "", "| Machine | |", "|---|---|",
             *(f"| {k} | {v} |" for k, v in machine().items()),
             "| Database | demo store, WAL, synchronous=FULL (both) |", "",
             f"{args.sales} sales, {statistics.median(rows):.0f} write statements per checkout (median); "
             f"both databases hold the same {checks[0][0]} paid sales afterwards: {'yes' if same else 'NO'}.", "",
             "| ms per checkout | ours: `sales.checkout` | raw sqlite3, the same writes |", "|---|---:|---:|"]
    for name, p in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100)):
        lines.append(f"| {name} | {percentile(ours, p) * ms:.2f} | {percentile(raw, p) * ms:.2f} |")
    lines += ["", f"ours / raw at the median: **{p50_ours / p50_raw:.2f}×**."]
    text = "\n".join(lines) + "\n"
    print(text)
    (OUT / "checkout.md").write_text(text)
    results = [{"bench": "checkout", "name": "checkout commit (p50), one transaction synced to disk",
                "ours": round(p50_ours * ms, 2), "baseline": round(p50_raw * ms, 2), "unit": "ms",
                "baseline_label": "raw sqlite3 writing the same rows in one transaction (same pragmas)",
                "ratio": round(p50_ours / p50_raw, 2), "target": "ratio = ours / baseline, lower is better",
                "same_rows": same},
               {"bench": "checkout", "name": "checkout commit (p95)",
                "ours": round(percentile(ours, 95) * ms, 2), "baseline": round(percentile(raw, 95) * ms, 2),
                "unit": "ms", "baseline_label": "the same raw writes",
                "ratio": round(percentile(ours, 95) / percentile(raw, 95), 2),
                "target": "ratio = ours / baseline, lower is better"}]
    (OUT / "checkout.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
