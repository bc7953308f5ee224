"""The stock report (`pos stock report`) over a generated ledger, against one hand-written SQL
aggregate computing the same figures, in the same run.

    python -m bench.stock [--products 100000] [--moves 1000000] [--db PATH] [--rebuild] [--rounds 5]

The database: bench/out/stock-<P>p-<M>m-seed<S>.sqlite3 (git-ignored), written with bulk inserts:
P products (a tenth not tracked in stock, a twentieth sold by the kg, 60 categories, costs and
reorder points) and M moves spread over the tracked ones (receipts, sales, refunds, adjustments,
counts; kg to 3 decimals).

Ours: `stock.report()` as the command calls it (one SQL pass, the ledger summed per product over its
(product, quantity) index, rows into dataclasses with Decimal quantities and the value at cost).
Baseline: one hand-written SQL statement with the bare `sqlite3` module, the value at cost and the
flags computed in SQL, every row fetched. Target: ours ≤ 1.5× the baseline.

Report: bench/out/stock.md and stock.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
TARGET = 1.5
DATA_VERSION = 2  # raised when the generated data changes: an older file is built again

BASELINE_SQL = """
SELECT p.sku, p.uom, COALESCE(s.qty, 0) AS on_hand, p.reorder_point, p.cost_minor,
       CAST(ROUND(COALESCE(s.qty, 0) * p.cost_minor) AS INTEGER) AS value,
       COALESCE(s.qty, 0) < 0 AS below_zero,
       COALESCE(s.qty, 0) < 0 OR (p.reorder_point > 0 AND COALESCE(s.qty, 0) <= p.reorder_point) AS low
  FROM product p
  LEFT JOIN (SELECT product_id, SUM(quantity) AS qty FROM stock_move GROUP BY product_id) s ON s.product_id = p.id
 WHERE p.track_stock = 1 AND (p.active = 1 OR COALESCE(s.qty, 0) <> 0)
 ORDER BY p.sku"""


def build(path: Path, products: int, moves: int, seed: int) -> dict:
    from pos_tui import db, models
    from pos_tui.services.generator import _Table

    started = time.perf_counter()
    path.unlink(missing_ok=True)
    db.open_database(str(path))
    rng = random.Random(seed)
    categories = [f"Family {a} / Group {b}" for a in range(12) for b in range(5)]
    tracked, weighed = [], set()
    with db.write():
        table = _Table(models.Product)
        for i in range(1, products + 1):
            kg = i % 20 == 3
            track = i % 10 != 0
            if track:
                tracked.append(i)
                if kg:
                    weighed.add(i)
            table.add({"id": i, "sku": f"B{i:07d}", "name": f"Product {i}", "price_minor": 100 + i % 5000,
                       "tax_rate_bp": 2100, "category": categories[i % len(categories)],
                       "cost_minor": 50 + (i * 7919) % 4000, "uom": "kg" if kg else "Units", "by_weight": int(kg),
                       "track_stock": int(track), "reorder_point": (i % 11) if i % 3 == 0 else 0,
                       "active": int(i % 97 != 0)})
        table.flush()
    kinds = (("sale", -1, 70), ("receipt", 1, 15), ("refund", 1, 5), ("adjustment", -1, 5), ("count", 1, 5))
    names = [k for k, _s, w in kinds for _n in range(w)]
    signs = {k: s for k, s, _w in kinds}
    at = "2026-06-01 10:00:00"
    done = 0
    while done < moves:
        with db.write():
            table = _Table(models.StockMove)
            for n in range(done + 1, min(moves, done + 200_000) + 1):
                product = tracked[int(rng.random() * len(tracked))]
                kind = names[int(rng.random() * len(names))]
                if product in weighed:
                    qty = Decimal(1 + int(rng.random() * 3000)).scaleb(-3)
                else:
                    qty = 1 + int(rng.random() * (24 if kind == "receipt" else 3))
                table.add({"id": n, "product": product, "at": at, "kind": kind, "quantity": signs[kind] * qty,
                           "till": "T1"})
            done += table.flush()
    db.database.execute_sql("ANALYZE")
    db.close_database()
    info = {"version": DATA_VERSION, "products": products, "moves": moves, "generate_seconds": round(time.perf_counter() - started, 1),
            "bytes": path.stat().st_size}
    Path(str(path) + ".json").write_text(json.dumps(info))
    return info


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stock", description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", type=Path, default=None, help="database file (default: under bench/out/)")
    parser.add_argument("--rebuild", action="store_true", help="generate the database again")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (the best is kept)")
    parser.add_argument("--out", type=Path, default=OUT / "stock.md")
    parser.add_argument("--json", type=Path, default=OUT / "stock.json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.machine import machine
    from pos_tui import db
    from pos_tui.services import stock

    OUT.mkdir(parents=True, exist_ok=True)
    path = args.db or OUT / f"stock-{args.products}p-{args.moves}m-seed{args.seed}.sqlite3"
    meta = Path(str(path) + ".json")
    info = json.loads(meta.read_text()) if path.exists() and meta.exists() else {}
    if info.get("version") == DATA_VERSION and not args.rebuild:
        print(f"reusing {path}", file=sys.stderr)
    else:
        print(f"building {path}: {args.products:,} products, {args.moves:,} moves…", file=sys.stderr)
        info = build(path, args.products, args.moves, args.seed)
        print(f"built in {info['generate_seconds']} s", file=sys.stderr)

    db.open_database(str(path))
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    products, moves = conn.execute("SELECT (SELECT COUNT(*) FROM product), (SELECT COUNT(*) FROM stock_move)"
                                   ).fetchone()
    plan = [str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + BASELINE_SQL)]

    def ours():
        return stock.report()

    def baseline():
        return conn.execute(BASELINE_SQL).fetchall()

    # The figures agree (values at cost to the cent; float rounding in SQL may differ by one at a half).
    mine, theirs = ours(), baseline()
    problems = []
    if len(mine.lines) != len(theirs):
        problems.append(f"ours {len(mine.lines)} rows, baseline {len(theirs)}")
    for line, row in zip(mine.lines, theirs, strict=False):
        sku, uom, qty, _point, _cost, value, below, low = row
        same = (line.sku == sku and line.on_hand == stock.quantity.quantize(Decimal(str(qty)), uom)
                and abs(line.value_minor - value) <= 1 and line.below_zero == bool(below) and line.low == bool(low))
        if not same:
            problems.append(f"{line.sku}: ours {line.on_hand}/{line.value_minor}/{line.low}, baseline {row}")
            if len(problems) > 5:
                break
    ours_times, base_times = [], []
    for n in range(args.rounds):
        sides = [("ours", ours), ("base", baseline)]
        if n % 2:
            sides.reverse()
        for side, action in sides:
            seconds, _result = timed(action)
            (ours_times if side == "ours" else base_times).append(seconds)
        print(f"round {n + 1}: ours {ours_times[-1] * 1000:.0f} ms, baseline {base_times[-1] * 1000:.0f} ms",
              file=sys.stderr)
    conn.close()
    db.close_database()
    best_ours, best_base = min(ours_times), min(base_times)
    ratio = best_ours / best_base
    met = ratio <= TARGET and not problems
    lines = [f"# Stock report benchmark: {products:,} products, {moves:,} stock moves", ""]
    lines += ["| Machine | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in machine().items()]
    lines += [f"| Database | {path.name}, {info.get('bytes', 0) / 1e6:.0f} MB, generated in "
              f"{info.get('generate_seconds', '?')} s |", ""]
    lines += [f"Each side timed {args.rounds} times, alternating, after a warm-up; the best is shown. Ours: "
              "`stock.report()` (what `pos stock report` runs: one SQL pass, rows into dataclasses with "
              "Decimal quantities and the value at cost). Baseline: one hand-written SQL aggregate with bare "
              f"`sqlite3`, value and flags computed in SQL, every row fetched. Target: ours ≤ {TARGET}×.", ""]
    lines += ["| Report | ours (ms) | hand-written SQL (ms) | ours / baseline |", "|---|---:|---:|---:|",
              f"| stock report, {len(mine.lines):,} rows | {best_ours * 1000:,.0f} | {best_base * 1000:,.0f} | "
              f"{ratio:.2f}× |", ""]
    lines += [f"Target ≤ {TARGET}×: **{'met' if met else 'missed'}**.", "",
              "All runs (ms, ours / baseline): " + ", ".join(
                  f"{o * 1000:.0f}/{b * 1000:.0f}" for o, b in zip(ours_times, base_times, strict=True)) + ".", "",
              "Figures: " + ("**ours and the baseline agree**." if not problems else "**they differ**: "
                             + "; ".join(problems)), "",
              "The baseline's query plan: " + "; ".join(plan), "", "The baseline SQL:", "", "```sql",
              BASELINE_SQL.strip(), "```", ""]
    text = "\n".join(lines)
    print(text)
    args.out.write_text(text)
    args.json.write_text(json.dumps([{
        "bench": "stock", "name": f"stock report ({products:,} products, {moves:,} moves)",
        "ours": round(best_ours * 1000, 1), "baseline": round(best_base * 1000, 1), "unit": "ms",
        "baseline_label": "one hand-written SQL aggregate, bare sqlite3, same figures",
        "ratio": round(ratio, 3), "target": f"ratio <= {TARGET}"}], indent=2) + "\n")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
