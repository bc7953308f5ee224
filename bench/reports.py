"""The loyalty and customer reports (`pos loyalty report KIND`) on a generated store, each timed
against one hand-written SQL aggregate computing the same figures, in the same run.

    python -m bench.reports [--customers 100000] [--orders 1000000] [--db PATH] [--rebuild] [--rounds 5]

The database: bench/out/reports-<C>c-<O>o-seed<S>.sqlite3 (git-ignored), the demo store plus the
generated customers and paid sales with their loyalty ledger (`generator.generate`, what `pos demo
--customers C --orders O` runs: points earned under the default rules, sometimes redeemed, expired
a year on). It is built when missing and kept; `--rebuild` builds it again.

Ours is the service function the command calls (`loyalty_reports.rfm`, `liability`, …: SQL
through peewee, rows turned into dataclasses). The baseline is one SQL statement written by hand
for SQLite and run with the bare `sqlite3` module on the same file, returning the same figures:
written as one would for speed (a whole-table scan and a sort where SQLite would otherwise walk an
index row by row). Every report's figures are compared, ours against the baseline's. Each round
times every report both ways, in alternating order, after one warm-up; the best of `--rounds` is
kept for each (other work on the machine only ever adds time). A report in Markdown goes to
stdout and bench/out/reports.md; the figures, machine-readable, to bench/out/reports.json (what
`python -m bench` collects). The two reports the issue names (RFM, liability) are also timed as
whole commands (`python -m pos_tui … loyalty report rfm`, a child process printing the Rich
table), for what a person waits.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bench.machine import machine
from bench.search import OUT, build, load

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.5  # ours / baseline, at most
LIMIT = 20  # rows of the top and inactive reports
DAYS = 90  # inactive: no purchase in this many days

# The hand-written SQL ------------------------------------------------------------------------------------
#
# NOT INDEXED: one pass over the table and a sort, rather than SQLite walking the customer index
# and reading each row where it lies (3–4× slower here).

SPEND_PER_CUSTOMER = """
    SELECT customer_id AS cid, SUM(total_minor) AS spend, SUM(kind = 'sale') AS purchases,
           MAX(CASE WHEN kind = 'sale' THEN paid_at END) AS last_at
      FROM sale_order NOT INDEXED
     WHERE state = 'paid' AND kind IN ('sale', 'refund') AND customer_id IS NOT NULL {until}
     GROUP BY customer_id"""

BASELINE_SQL = {
    "top customers by spend": f"""
        SELECT p.cid, c.name, p.purchases, p.spend, p.last_at
          FROM ({SPEND_PER_CUSTOMER.format(until="")} ORDER BY spend DESC, cid LIMIT {LIMIT}) p
          JOIN customer c ON c.id = p.cid
         ORDER BY p.spend DESC, p.cid""",
    "top customers by points": f"""
        SELECT p.cid, c.name, p.points, p.points * :value / 1000
          FROM (SELECT customer_id AS cid, SUM(points) AS points FROM loyalty_entry NOT INDEXED
                 GROUP BY customer_id HAVING SUM(points) > 0 ORDER BY points DESC, cid LIMIT {LIMIT}) p
          JOIN customer c ON c.id = p.cid
         ORDER BY p.points DESC, p.cid""",
    "points liability by expiry month": """
        SELECT strftime('%Y-%m', e.expires_at) AS month, SUM(e.points - COALESCE(u.used, 0)) AS points,
               SUM(e.points - COALESCE(u.used, 0)) * :value / 1000, COUNT(*), COUNT(DISTINCT e.customer_id)
          FROM loyalty_entry e
          LEFT JOIN (SELECT source_id, SUM(points) AS used FROM loyalty_use GROUP BY source_id) u
                 ON u.source_id = e.id
         WHERE e.points > 0 AND e.points - COALESCE(u.used, 0) > 0
         GROUP BY month ORDER BY month IS NULL, month""",
    "points issued / redeemed / expired per month": """
        SELECT strftime('%Y-%m', at) AS month,
               SUM(CASE WHEN kind IN ('earn', 'restore') OR (kind = 'adjust' AND points > 0) THEN points ELSE 0 END),
               SUM(CASE WHEN kind = 'redeem' THEN -points ELSE 0 END),
               SUM(CASE WHEN kind = 'expire' THEN -points ELSE 0 END),
               SUM(CASE WHEN kind = 'reverse' OR (kind = 'adjust' AND points < 0) THEN -points ELSE 0 END),
               SUM(points)
          FROM loyalty_entry GROUP BY month ORDER BY month""",
    "RFM segments": f"""
        WITH per AS ({SPEND_PER_CUSTOMER.format(until="AND paid_at < :as_of")} HAVING SUM(kind = 'sale') > 0),
        scored AS (
            SELECT last_at, purchases, spend,
                   1 + (RANK() OVER (ORDER BY last_at) - 1) * 5 / COUNT(*) OVER () AS r,
                   1 + (RANK() OVER (ORDER BY purchases) - 1) * 5 / COUNT(*) OVER () AS f,
                   1 + (RANK() OVER (ORDER BY spend) - 1) * 5 / COUNT(*) OVER () AS m
              FROM per)
        SELECT CASE WHEN r >= 4 AND f >= 4 AND m >= 4 THEN 'champions' WHEN r >= 3 AND f >= 3 THEN 'loyal'
                    WHEN r >= 3 THEN 'potential' WHEN f >= 3 THEN 'at_risk' WHEN r = 2 THEN 'hibernating'
                    ELSE 'lost' END AS segment,
               COUNT(*), SUM(purchases), SUM(spend), AVG(julianday(:as_of) - julianday(last_at))
          FROM scored GROUP BY segment""",
    f"inactive customers ({DAYS} days)": f"""
        SELECT c.id, c.name, p.last_at, COALESCE(p.purchases, 0), COALESCE(p.spend, 0), COUNT(*) OVER ()
          FROM customer c
          LEFT JOIN ({SPEND_PER_CUSTOMER.format(until="AND paid_at < :as_of")}) p ON p.cid = c.id
         WHERE c.archived = 0 AND c.created_at < :cutoff AND (p.last_at IS NULL OR p.last_at < :cutoff)
         ORDER BY COALESCE(p.spend, 0) DESC, c.id LIMIT {LIMIT}""",
    "new customers per month": """
        SELECT strftime('%Y-%m', c.created_at) AS month, COUNT(*),
               SUM(EXISTS (SELECT 1 FROM sale_order o
                            WHERE o.customer_id = c.id AND o.state = 'paid' AND o.kind = 'sale'))
          FROM customer c GROUP BY month ORDER BY month""",
}


# Both sides, as comparable figures ----------------------------------------------------------------------


def _day_text(value) -> str | None:
    """A timestamp as SQLite stores it, from either side."""
    return None if value is None else str(value)


@dataclass
class Report:
    kind: str  # pos loyalty report KIND
    name: str
    ours: Callable[[], object]  # runs the service
    figures: Callable[[object], list]  # ours -> comparable rows
    baseline: Callable[[list], list]  # the baseline's rows -> comparable rows


def reports(as_of: datetime, point_value_milli: int) -> list[Report]:
    from pos_tui.services import loyalty_reports as r

    def segments(rows: list) -> list:
        found = {seg: (n, purchases, spend, max(0, round(avg))) for seg, n, purchases, spend, avg in rows}
        return [(seg, *found.get(seg, (0, 0, 0, 0))) for seg in r.SEGMENTS]

    return [
        Report("top-spend", "top customers by spend", lambda: r.top_spend(limit=LIMIT),
               lambda rows: [(x.customer_id, x.name, x.purchases, x.spend_minor, _day_text(x.last_purchase))
                             for x in rows],
               lambda rows: [(a, b, c, d, _day_text(e)) for a, b, c, d, e in rows]),
        Report("top-points", "top customers by points", lambda: r.top_points(limit=LIMIT),
               lambda rows: [(x.customer_id, x.name, x.points, x.value_minor) for x in rows], list),
        Report("liability", "points liability by expiry month", lambda: r.liability(),
               lambda owed: [(x.month, x.points, x.value_minor, x.earnings, x.customers) for x in owed.rows], list),
        Report("points-monthly", "points issued / redeemed / expired per month", lambda: r.points_monthly(),
               lambda rows: [(x.month, x.issued, x.redeemed, x.expired, x.taken_back, x.net) for x in rows], list),
        Report("rfm", "RFM segments", lambda: r.rfm(until=as_of),
               lambda result: [(s.segment, s.customers, s.purchases, s.spend_minor, s.avg_recency_days)
                               for s in result.segments], segments),
        Report("inactive", f"inactive customers ({DAYS} days)", lambda: r.inactive(DAYS, as_of, LIMIT),
               lambda result: [(x.customer_id, x.name, _day_text(x.last_purchase), x.purchases, x.spend_minor,
                                result.total) for x in result.rows],
               lambda rows: [(a, b, _day_text(c), d, e, f) for a, b, c, d, e, f in rows]),
        Report("new-customers", "new customers per month", lambda: r.new_customers(),
               lambda rows: [(x.month, x.customers, x.bought) for x in rows], list),
    ]


# Timing ------------------------------------------------------------------------------------------------------


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def run_command(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "100"})
    return time.perf_counter() - started


BARE_CHILD = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
for row in conn.execute(sys.argv[2], {"as_of": sys.argv[3], "cutoff": sys.argv[4], "value": int(sys.argv[5])}):
    print(*row)
"""


def pick_database(customers: int, orders: int, seed: int, explicit: Path | None, rebuild: bool) -> tuple[Path, dict]:
    path = explicit or OUT / f"reports-{customers}c-{orders}o-seed{seed}.sqlite3"
    meta = Path(str(path) + ".json")
    if path.exists() and not rebuild:
        info = json.loads(meta.read_text()) if meta.exists() else {"bytes": path.stat().st_size}
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ledger = conn.execute("SELECT COUNT(*) FROM loyalty_entry").fetchone()[0]
        except sqlite3.DatabaseError:
            ledger = 0
        finally:
            conn.close()
        if ledger or orders == 0:
            print(f"reusing {path}", file=sys.stderr)
            return path, info
        if explicit is not None:
            raise SystemExit(f"{path} has no loyalty ledger: nothing to report on")
        print(f"{path.name} has no loyalty ledger (built before the generator wrote one): building it again",
              file=sys.stderr)
    elif explicit is not None and path.exists():
        raise SystemExit(f"{path} exists: leave out --rebuild to use it, or remove it first")
    print(f"building {path}: {customers:,} customers, {orders:,} orders…", file=sys.stderr)
    info = build(path, customers, orders, seed)
    print(f"built in {info['generate_seconds']} s, {info['bytes'] / 1e9:.2f} GB", file=sys.stderr)
    return path, info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", type=Path, default=None, help="database file (default: under bench/out/)")
    parser.add_argument("--rebuild", action="store_true", help="generate the database again")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (the best is kept)")
    parser.add_argument("--no-commands", action="store_true", help="skip timing the whole commands")
    parser.add_argument("--out", type=Path, default=OUT / "reports.md")
    parser.add_argument("--json", type=Path, default=OUT / "reports.json")
    args = parser.parse_args(argv)
    path, info = pick_database(args.customers, args.orders, args.seed, args.db, args.rebuild)

    from pos_tui import db
    from pos_tui.services import loyalty

    db.open_database(str(path))
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    customers, orders, entries, uses = conn.execute(
        "SELECT (SELECT COUNT(*) FROM customer), (SELECT COUNT(*) FROM sale_order WHERE state = 'paid'), "
        "(SELECT COUNT(*) FROM loyalty_entry), (SELECT COUNT(*) FROM loyalty_use)").fetchone()
    as_of = db.now().replace(microsecond=0)
    point_value = loyalty.current_rules(as_of).point_value_milli
    params = {"as_of": str(as_of), "cutoff": str(as_of - timedelta(days=DAYS)), "value": point_value}
    todo = reports(as_of, point_value)

    def baseline(name: str) -> Callable[[], list]:
        return lambda: conn.execute(BASELINE_SQL[name], params).fetchall()

    load_before = load()
    print("warming up…", file=sys.stderr)
    problems: list[str] = []
    for report in todo:
        mine = report.figures(report.ours())
        theirs = report.baseline(baseline(report.name)())
        if mine != theirs:
            problems.append(f"{report.name}: ours {mine[:3]}… baseline {theirs[:3]}…")
        if not mine:
            problems.append(f"{report.name}: no rows")
    ours_times: dict[str, list[float]] = {r.name: [] for r in todo}
    base_times: dict[str, list[float]] = {r.name: [] for r in todo}
    for n in range(args.rounds):
        for report in todo:
            sides = [("ours", report.ours), ("base", baseline(report.name))]
            if n % 2:
                sides.reverse()
            for side, action in sides:
                seconds, _result = timed(action)
                (ours_times if side == "ours" else base_times)[report.name].append(seconds)
        print(f"round {n + 1}: " + ", ".join(f"{r.kind} {ours_times[r.name][-1] * 1000:.0f}"
                                             f"/{base_times[r.name][-1] * 1000:.0f} ms" for r in todo),
              file=sys.stderr)

    commands = {}
    if not args.no_commands:
        for kind, name in (("rfm", "RFM segments"), ("liability", "points liability by expiry month")):
            ours_cmd = [sys.executable, "-m", "pos_tui", "--db", str(path), "loyalty", "report", kind]
            bare_cmd = [sys.executable, "-c", BARE_CHILD, str(path), BASELINE_SQL[name], params["as_of"],
                        params["cutoff"], str(point_value)]
            if kind == "rfm":  # the command's RFM is as of now, with no end to the range: alike
                bare_cmd[4] = BASELINE_SQL[name].replace("AND paid_at < :as_of", "")
                bare_cmd[5] = "now"
            run_command(ours_cmd)
            run_command(bare_cmd)
            runs = [(run_command(ours_cmd), run_command(bare_cmd)) for _n in range(3)]
            commands[kind] = (min(o for o, _b in runs), min(b for _o, b in runs))
    load_after = load()
    conn.close()
    db.close_database()

    lines = [f"# Loyalty reports benchmark: {customers:,} customers, {orders:,} paid orders", ""]
    lines += ["| Machine | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in machine().items()]
    lines += [f"| Load average (1 min) | {load_before} before the timings, {load_after} after |",
              f"| Database | {path.name}, {info.get('bytes', path.stat().st_size) / 1e9:.2f} GB"
              + (f", generated in {info['generate_seconds']} s" if "generate_seconds" in info else "")
              + f"; {entries:,} loyalty ledger entries, {uses:,} ledger uses |", ""]
    lines += [f"Each report timed {args.rounds} times both ways, alternating, after a warm-up; the best is "
              "shown, every run below. Ours: the service function the command calls (SQL through peewee, rows "
              "into dataclasses). "
              "Baseline: one hand-written SQL statement with the bare `sqlite3` module, same figures. "
              f"Target: ours ≤ {TARGET}× the baseline.", ""]
    lines += ["| Report | ours (ms) | hand-written SQL (ms) | ours / baseline |", "|---|---:|---:|---:|"]
    results = []
    met = True
    for report in todo:
        mine, theirs = min(ours_times[report.name]), min(base_times[report.name])
        ratio = mine / theirs
        met &= ratio <= TARGET
        lines.append(f"| `{report.kind}`: {report.name} | {mine * 1000:,.0f} | {theirs * 1000:,.0f} | {ratio:.2f}× |")
        results.append({"bench": "reports", "name": report.name, "ours": round(mine * 1000, 1),
                        "baseline": round(theirs * 1000, 1), "unit": "ms",
                        "baseline_label": "one hand-written SQL aggregate, bare sqlite3, same figures",
                        "ratio": round(ratio, 3), "target": f"ratio <= {TARGET}"})
    lines += ["", f"Target ≤ {TARGET}× on every report: **{'met' if met else 'missed'}**.", ""]
    lines += ["All runs (ms, ours / baseline): " + "; ".join(
        f"{r.kind} " + ", ".join(f"{o * 1000:.0f}/{b * 1000:.0f}" for o, b in zip(ours_times[r.name],
                                                                                  base_times[r.name], strict=True))
        for r in todo) + ".", ""]
    if commands:
        lines += ["Whole commands, start to exit (best of 3 child processes; imports, opening the database and "
                  "printing count):", "", "| Command | seconds | baseline: `python -c` + sqlite3, same SQL, "
                  "rows printed (s) |", "|---|---:|---:|"]
        for kind, (mine, theirs) in commands.items():
            lines.append(f"| `pos loyalty report {kind}` (Rich table) | {mine:.2f} | {theirs:.2f} |")
        lines.append("")
    lines += ["Figures: " + ("**ours and the baseline agree on every report**." if not problems
                             else f"**{len(problems)} differ**:")]
    lines += [f"- {p}" for p in problems]
    lines += ["", "The baseline SQL:", ""]
    for name, sql in BASELINE_SQL.items():
        lines += [f"- {name}:", "", "  ```sql", *("  " + line.strip() for line in sql.strip().splitlines()),
                  "  ```"]
    report_text = "\n".join(lines) + "\n"
    print(report_text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report_text)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if met and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
