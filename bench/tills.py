"""Many tills selling at once on one database, against one process doing the same work alone.

    python -m bench.tills [--tills 8] [--sales 250] [--db PATH|URL] [--seed 42]

On a fresh demo database with a session open on each till T1…Tn:

(a) one process sells `--sales` sales on each of the n tills, one till after the other: the
    baseline, the same work as (b) done alone;
(b) n processes at once, each its own till, `--sales` sales each.

A sale is what a till does (`tests/sale_worker.py`): open the cart (`current_sale`), 1 to 5
`add_code` (SKU or barcode, some `3*CODE`), a customer on about a third (`set_customer`), then
`checkout` (cash with change or exact, card, or card and cash). The mix is seeded per till, so
(a) and (b) make the very same sales. The database is made afresh for each run (`--db`, default
bench/out/tills.sqlite3, is deleted first; a `postgresql://…` URL names a database on that server,
dropped and created again — the tills then work through row locks instead of SQLite's one write
lock).

Reported for each: wall time (first sale started to last sale paid, all processes started and the
database open before), throughput, the latency of a whole sale and of the checkout alone (p50, p95,
p99, max), errors (exceptions in a till), lost sales (sales expected paid − paid orders found), and
whether the order numbers are gapless per till; then aggregate throughput (b) / (a). A Markdown
report goes to stdout and bench/out/tills.md (tills-postgresql.md), the figures to
bench/out/tills.json (tills-postgresql.json), what `python -m bench` collects.
"""

from __future__ import annotations

import argparse
import json
import select
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.machine import machine

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CASHIERS = ("Ana", "Luis")


@dataclass
class Run:
    label: str
    processes: int
    expected: int
    wall_s: float
    sales: list[float]
    checkouts: list[float]
    errors: list[str]
    found_paid: int
    gapless: bool

    @property
    def paid(self) -> int:
        return len(self.sales)

    @property
    def throughput(self) -> float:
        return self.paid / self.wall_s if self.wall_s else 0.0

    @property
    def lost(self) -> int:
        return self.expected - self.found_paid


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0…100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def is_url(target) -> bool:
    return "://" in str(target)


def fresh_pg_database(url: str) -> None:
    """Drop and create the database the URL names (through the server's `postgres` database)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    conn = psycopg2.connect(urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, "")))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def fresh_database(path: Path | str, tills: list[str]) -> None:
    if is_url(path):
        fresh_pg_database(str(path))
    else:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    from pos_tui import db
    from pos_tui.services import cashiers, demo, sessions

    db.open_database(str(path))
    try:
        demo.load_demo()
        for i, till in enumerate(tills):
            sessions.open_session(till, cashiers.find_cashier(CASHIERS[i % 2]).id, 10_000)
    finally:
        db.close_database()


def count_paid(path: Path | str, tills: list[str]) -> tuple[int, bool]:
    if is_url(path):
        import psycopg2

        conn, mark = psycopg2.connect(str(path)), "%s"
    else:
        conn, mark = sqlite3.connect(path), "?"
    try:
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*) FROM sale_order WHERE state = 'paid'")
        found = cur.fetchone()[0]
        gapless = True
        for till in tills:
            cur.execute(f"SELECT number FROM sale_order WHERE state = 'paid' AND till = {mark}", (till,))
            numbers = sorted(int(n.rsplit("-", 1)[1]) for (n,) in cur.fetchall())
            gapless &= numbers == list(range(1, len(numbers) + 1))
        return found, gapless
    finally:
        conn.close()


def run(label: str, path: Path, groups: list[list[str]], sales: int, seed: int, workdir: Path) -> Run:
    """One process per group of tills; each sells `sales` sales on each of its tills."""
    tills = [till for group in groups for till in group]
    fresh_database(path, tills)
    procs = []
    try:
        for i, group in enumerate(groups):
            result = workdir / f"{label}-{i}.json"
            procs.append((subprocess.Popen(
                [sys.executable, "-m", "tests.sale_worker", "sell", "--db", str(path), "--tills", ",".join(group),
                 "--sales", str(sales), "--seed", str(seed), "--cashier", CASHIERS[i % 2], "--result", str(result)],
                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), result))
        for proc, _ in procs:
            ready, _, _ = select.select([proc.stdout], [], [], 120)
            if not ready or proc.stdout.readline().strip() != "ready":
                raise SystemExit(f"a till did not start: {proc.stderr.read() if proc.poll() is not None else ''}")
        for proc, _ in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outcomes = [(proc.communicate(timeout=3600), proc.returncode, result) for proc, result in procs]
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    sale_times, checkout_times, errors, starts, ends = [], [], [], [], []
    for (_out, err), code, result in outcomes:
        if code != 0 or not result.exists():
            errors.append(f"process exited {code}: {err.strip()[-500:]}")
            continue
        data = json.loads(result.read_text())
        starts.append(data["started"])
        ends.append(data["ended"])
        sale_times += [t[0] for t in data["timings"]]
        checkout_times += [t[1] for t in data["timings"]]
        errors += [e["error"] for e in data["errors"]]
    found, gapless = count_paid(path, tills)
    wall = max(ends) - min(starts) if starts else 0.0
    return Run(label, len(groups), len(tills) * sales, wall, sale_times, checkout_times, errors, found, gapless)


def engine(target) -> str:
    return "PostgreSQL" if is_url(target) else "SQLite"


def describe(target) -> str:
    if not is_url(target):
        return f"{target} (WAL, synchronous=FULL, busy_timeout 30 s)"
    import psycopg2

    conn = psycopg2.connect(str(target))
    try:
        cur = conn.cursor()
        cur.execute("SELECT current_setting('server_version'), current_setting('synchronous_commit'), "
                    "current_setting('fsync')")
        version, sync, fsync = cur.fetchone()
    finally:
        conn.close()
    from pos_tui.db import describe as without_password

    return (f"{without_password(str(target))} (PostgreSQL {version}, synchronous_commit={sync}, fsync={fsync}; "
            "same host)")


def results(args, runs: list[Run]) -> list[dict]:
    """The figures for `python -m bench` (bench/out/tills*.json)."""
    a, b = runs
    name = engine(args.db)
    p99 = [percentile(r.checkouts, 99) * 1000 for r in runs]
    return [
        {"bench": "tills", "name": f"{args.tills} tills at once on {name}: sales per second, all tills together",
         "ours": round(b.throughput, 2), "baseline": round(a.throughput, 2), "unit": "sales/s",
         "baseline_label": f"1 process making the same {a.expected:,} sales alone",
         "ratio": round(b.throughput / a.throughput, 3) if a.throughput else None,
         "target": "ratio >= 0.5, no error, no sale lost, numbers gapless",
         "errors": len(a.errors) + len(b.errors), "lost": a.lost + b.lost, "gapless": a.gapless and b.gapless},
        {"bench": "tills", "name": f"{args.tills} tills at once on {name}: checkout p99",
         "ours": round(p99[1], 2), "baseline": round(p99[0], 2), "unit": "ms",
         "baseline_label": "the same checkouts made by 1 process alone",
         "ratio": round(p99[1] / p99[0], 3) if p99[0] else None, "target": "(reported)"},
    ]


def report(args, runs: list[Run]) -> str:
    ms = 1000
    lines = [
        f"# Tills at once on {engine(args.db)}: {args.tills} × {args.sales} sales",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in machine().items()),
        f"| Database | {describe(args.db)} |",
        f"| Seed | {args.seed} |",
        "",
        "| Run | Processes | Sales | Wall (s) | Sales/s | Sale p50 / p95 / p99 / max (ms) "
        "| Checkout p50 / p95 / p99 / max (ms) | Errors | Lost | Gapless |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        def quartet(values):
            return " / ".join(f"{percentile(values, q) * ms:.1f}" for q in (50, 95, 99, 100))

        lines.append(f"| {r.label} | {r.processes} | {r.paid} | {r.wall_s:.2f} | {r.throughput:.1f} | "
                     f"{quartet(r.sales)} | {quartet(r.checkouts)} | {len(r.errors)} | {r.lost} | "
                     f"{'yes' if r.gapless else 'NO'} |")
    a, b = runs
    ratio = b.throughput / a.throughput if a.throughput else 0.0
    verdict = "met" if ratio >= 0.5 and not a.errors and not b.errors and a.lost == b.lost == 0 else "NOT met"
    lines += ["", f"Aggregate throughput (b) / (a): **{ratio:.2f}** "
                  f"(target: ≥ 0.50 with no error and no sale lost: {verdict})"]
    for r in runs:
        if r.errors:
            lines += ["", f"Errors in {r.label} (first 5):", *(f"- `{e}`" for e in r.errors[:5])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tills", description=__doc__.split("\n")[0])
    parser.add_argument("--tills", type=int, default=8)
    parser.add_argument("--sales", type=int, default=250, help="sales per till")
    parser.add_argument("--db", default=str(OUT / "tills.sqlite3"),
                        help="a file, or a postgresql:// URL; made afresh for each run")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.tills < 1 or args.sales < 1:
        parser.error("--tills and --sales must be at least 1")
    if not is_url(args.db):
        args.db = Path(args.db)
        args.db.parent.mkdir(parents=True, exist_ok=True)
    tills = [f"T{i}" for i in range(1, args.tills + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        alone = run("(a) 1 process", args.db, [tills], args.sales, args.seed, work)
        print(f"(a) {alone.paid} sales in {alone.wall_s:.1f} s", file=sys.stderr)
        together = run(f"(b) {args.tills} processes", args.db, [[t] for t in tills], args.sales, args.seed, work)
        print(f"(b) {together.paid} sales in {together.wall_s:.1f} s", file=sys.stderr)
    text = report(args, [alone, together])
    OUT.mkdir(parents=True, exist_ok=True)
    stem = "tills-postgresql" if is_url(args.db) else "tills"
    (OUT / f"{stem}.md").write_text(text, encoding="utf-8")
    (OUT / f"{stem}.json").write_text(json.dumps(results(args, [alone, together]), indent=2) + "\n", encoding="utf-8")
    print(text)
    return 0 if "NOT met" not in text else 1


if __name__ == "__main__":
    sys.exit(main())
