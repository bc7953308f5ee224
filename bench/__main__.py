"""Every benchmark of the project, in one run, into one report: BENCHMARKS.md.

    python -m bench --scale 100k|1m [--pg URL | --no-pg] [--only NAME,…] [--skip NAME,…]

The steps, each a child process (`python -m bench.NAME …`), each figure timed beside its
baseline in the same run:

  search             customer search per keystroke vs a LIKE '%q%' scan (SQLite); builds the store
                     of the scale (bench/out/search-<N>c-<N>o-seed42.sqlite3) the next steps share
  reports            the loyalty reports vs hand-written SQL (bench/reports.py)
  export             `pos export customers` and `pos import customers` vs bare csv + sqlite3
                     (bench/export.py)
  product_import     `pos products import` of 100k products vs csv.reader + executemany, unchecked
                     (bench/product_import.py)
  search-postgresql  the same keystrokes on PostgreSQL (the store copied there with `pos db copy`)
                     vs the query shape of Odoo's POS customer search
  stock              `pos stock report` over 100k products and 1M stock moves vs a hand-written SQL
                     aggregate (bench/stock.py; its own store, bench/out/stock-*.sqlite3)
  catalog            barcode lookup and product name search over 100k products vs raw indexed
                     sqlite3 queries (bench/catalog.py)
  catalog-postgresql the same on PostgreSQL (the store copied there) vs the same queries in psycopg2
  startup            process start to a usable sale screen vs an empty Textual app
  checkout           the checkout's commit vs raw sqlite3 writing the same rows
  tills              8 tills selling at once on SQLite vs 1 process making the same sales
  tills-postgresql   the same on PostgreSQL

Each step writes bench/out/<name>.json, a list of {"bench", "name", "ours", "baseline", "unit",
"baseline_label", "ratio", "target"}; this collects every such file (a step that is missing or
fails is said so, and its old figures, if any, are not taken as this run's) and writes
BENCHMARKS.md at the top of the repository: the machine, the date, every figure beside its
baseline with the ratio, then each step's own report. The PostgreSQL steps run when a server
answers at --pg (default postgresql://postgres@127.0.0.1:5432/postgres; the benchmarks make their
own databases on it, bench_search and bench_tills); otherwise they are skipped and the report says
so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.machine import machine

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
REPORT = ROOT / "BENCHMARKS.md"
SCALES = {"100k": 100_000, "1m": 1_000_000}
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
KEYS = ("bench", "name", "ours", "baseline", "unit", "baseline_label", "ratio", "target")


def pg_database(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def pg_answers(server: str) -> tuple[bool, str]:
    try:
        import psycopg2
    except ImportError:
        return False, "psycopg2 is not installed (pip install -e '.[pg]')"
    try:
        conn = psycopg2.connect(server, connect_timeout=3)
    except psycopg2.Error as exc:
        return False, f"no PostgreSQL server answers at {server}: {str(exc).strip().splitlines()[0]}"
    try:
        cur = conn.cursor()
        cur.execute("SHOW server_version")
        return True, f"PostgreSQL {cur.fetchone()[0]}"
    finally:
        conn.close()


def steps(args) -> list[tuple[str, str, list[str], list[str]]]:
    """(name, module, arguments, JSON files it writes)."""
    n = SCALES[args.scale]
    store = OUT / f"search-{n}c-{n}o-seed42.sqlite3"
    rounds = ["--rounds", "1"] if n >= 1_000_000 else ["--rounds", "2"]
    return [
        ("search", "search", ["--customers", str(n), "--orders", str(n), "--reuse", *rounds], ["search.json"]),
        ("reports", "reports", ["--customers", str(n), "--orders", str(n), "--db", str(store), "--rounds", "3"],
         ["reports.json"]),
        ("export", "export", ["--customers", str(n), "--db", str(store), "--rounds", "2",
                              "--import-rows", str(min(n, 100_000))], ["export.json"]),
        ("product_import", "product_import", ["--products", str(min(n, 100_000)), "--rounds", "3"],
         ["product_import.json"]),
        ("search-postgresql", "search", ["--customers", str(n), "--orders", str(n), "--reuse", *rounds,
                                         "--pg", pg_database(args.pg, "bench_search")], ["search-postgresql.json"]),
        ("stock", "stock", ["--products", "100000", "--moves", "1000000", "--rounds", "9"], ["stock.json"]),
        ("catalog", "catalog", ["--products", "100000", "--reuse", "--rounds", "3"], ["catalog.json"]),
        ("catalog-postgresql", "catalog", ["--products", "100000", "--reuse", "--rounds", "3",
                                           "--pg", pg_database(args.pg, "bench_catalog")], ["catalog-postgresql.json"]),
        ("startup", "startup", ["--customers", "10000", "--runs", "7"], ["startup.json"]),
        ("checkout", "checkout", ["--sales", "300"], ["checkout.json"]),
        ("tills", "tills", ["--tills", "8", "--sales", str(args.till_sales)], ["tills.json"]),
        ("tills-postgresql", "tills", ["--tills", "8", "--sales", str(args.till_sales),
                                       "--db", pg_database(args.pg, "bench_tills")], ["tills-postgresql.json"]),
    ]


def load() -> str:
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def read_figures(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    return [row for row in data if isinstance(row, dict) and "bench" in row and "ours" in row]


def number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:,.1f}"
        return f"{value:,.2f}"
    return str(value)


def demote(markdown: str) -> str:
    """A step's own report, its headings two levels down, under ours."""
    return re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + 3) + " ", markdown, flags=re.M)


def previous_report(path: Path) -> dict:
    """What an earlier BENCHMARKS.md holds, to carry forward what this run did not measure again:
    its date and scale, its figure rows ({(bench, name): row text}), its steps' rows and reports."""
    try:
        text = path.read_text()
    except OSError:
        return {"figures": {}, "steps": {}, "reports": {}, "when": ""}
    date = re.search(r"^\| Date \| ([^|]+) \|", text, re.M)
    scale = re.search(r"python -m bench --scale (\w+)`", text)
    when = f"{date.group(1).strip() if date else '?'}, --scale {scale.group(1) if scale else '?'}"
    figures, steps_, reports = {}, {}, {}
    section = ""
    for line in text.splitlines():
        if line.startswith("## ") or line.startswith("Figures from earlier") or line.startswith("Carried from"):
            section = line
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("| ") else []
        if section == "## Every figure" and len(cells) == 8 and cells[0] not in ("Benchmark", "—"):
            figures[(cells[0], cells[1])] = cells[2:] + [when]
        elif section.startswith("Carried from") and len(cells) == 9 and cells[0] != "Benchmark":
            figures[(cells[0], cells[1])] = cells[2:]
        elif section == "## The steps" and len(cells) == 4 and cells[0] != "Step":
            steps_[cells[0]] = cells[1:3] + [cells[3] or when]
    parts = text.split("## Each step's report", 1)
    if len(parts) == 2:
        for chunk in re.split(r"^### ", parts[1], flags=re.M)[1:]:
            name, _, body = chunk.partition("\n")
            reports[name.strip()] = body.strip()
    return {"figures": figures, "steps": steps_, "reports": reports, "when": when}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="100k",
                        help="customers (and paid sales) in the store the data benchmarks use")
    parser.add_argument("--pg", default=os.environ.get("POS_BENCH_PG", DEFAULT_PG),
                        help="a PostgreSQL server for the PostgreSQL steps (its databases bench_search and "
                             "bench_tills are made afresh)")
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL steps")
    parser.add_argument("--only", default="", help="comma-separated step names")
    parser.add_argument("--skip", default="", help="comma-separated step names")
    parser.add_argument("--till-sales", type=int, default=100, help="sales per till in the tills steps")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    only = {s for s in args.only.split(",") if s}
    skip = {s for s in args.skip.split(",") if s}
    OUT.mkdir(parents=True, exist_ok=True)
    earlier = previous_report(args.report)

    pg_ok, pg_note = (False, "skipped (--no-pg)") if args.no_pg else pg_answers(args.pg)
    started_at = datetime.now(timezone.utc)
    load_before = load()
    outcomes = []  # (name, status, seconds, note)
    for name, module, arguments, files in steps(args):
        if (only and name not in only) or name in skip:
            continue
        if name.endswith("postgresql") and not pg_ok:
            outcomes.append((name, "skipped", 0.0, pg_note))
            print(f"== {name}: skipped, {pg_note}", file=sys.stderr, flush=True)
            continue
        if not (ROOT / "bench" / f"{module}.py").exists():
            outcomes.append((name, "missing", 0.0, f"bench/{module}.py is not there"))
            print(f"== {name}: bench/{module}.py is missing, going on", file=sys.stderr, flush=True)
            continue
        for file in files:  # an old file must not pass for this run's
            (OUT / file).unlink(missing_ok=True)
        command = [sys.executable, "-m", f"bench.{module}", *arguments]
        print(f"== {name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
        began = time.monotonic()
        log = OUT / f"{name}.log"
        with log.open("w") as handle:
            code = subprocess.call(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
        seconds = time.monotonic() - began
        made = [f for f in files if (OUT / f).exists()]
        if code == 0 and made:
            status, note = "ok", ""
        elif made:
            status = f"exit {code}"
            note = "figures written, but the step reported a problem (a target missed or a check failed)"
        else:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            status, note = "failed", f"exit {code}, no figures; see bench/out/{log.name}: " + " / ".join(tail)
        outcomes.append((name, status, seconds, note))
        print(f"== {name}: {status} in {seconds:.0f} s", file=sys.stderr, flush=True)
    load_after = load()

    # Every figure there is: this run's, and older ones (said so) from steps not run now.
    this_run = {file for name, module, arguments, files in steps(args) for file in files
                if any(o[0] == name and o[1] not in ("skipped", "missing") for o in outcomes)}
    order = [file for _n, _m, _a, files in steps(args) for file in files]
    figures, older = [], []
    for path in sorted(OUT.glob("*.json"), key=lambda p: (order.index(p.name) if p.name in order else len(order),
                                                          p.name)):
        rows = read_figures(path)
        if not rows:
            continue
        if path.name in this_run:
            figures += rows
        else:
            stamp = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            older += [{**row, "_from": f"{path.name}, {stamp}"} for row in rows]

    pg_version = pg_note if pg_ok else ""
    lines = ["# Benchmarks", "",
             f"`python -m bench --scale {args.scale}` — {SCALES[args.scale]:,} customers and as many paid sales "
             f"(generated, seed 42) for the data benchmarks. Every figure was measured beside its baseline in the "
             f"same run, on this machine; the ratios matter more than the absolute times (the machine's cores "
             f"were shared with other work: load average {load_before} before, {load_after} after).", "",
             "| Machine | |", "|---|---|",
             *(f"| {k} | {v} |" for k, v in machine(pg_version, date=False).items() if v),
             f"| Date | {started_at.strftime('%Y-%m-%d %H:%M UTC')} |", "",
             "## Every figure", "",
             "Ratio as each benchmark states it in its target: for times, baseline ÷ ours means how many "
             "times faster we are, ours ÷ baseline how many times the baseline's time we take.", "",
             "| Benchmark | Figure | Ours | Baseline | Unit | Ratio | Target | The baseline |",
             "|---|---|---:|---:|---|---:|---|---|"]
    for row in figures:
        lines.append(f"| {row.get('bench')} | {row.get('name')} | {number(row.get('ours'))} | "
                     f"{number(row.get('baseline'))} | {row.get('unit', '')} | **{number(row.get('ratio'))}×** | "
                     f"{row.get('target', '')} | {row.get('baseline_label', '')} |")
    if not figures:
        lines.append("| — | no figure in this run | | | | | | |")
    measured = {(str(row.get("bench")), str(row.get("name"))) for row in figures + older}
    carried = {key: cells for key, cells in earlier["figures"].items() if key not in measured}
    if carried:
        lines += ["", "Carried from earlier runs of the steps not run this time (each figure beside the baseline "
                  "measured in its own run):", "",
                  "| Benchmark | Figure | Ours | Baseline | Unit | Ratio | Target | The baseline | Run |",
                  "|---|---|---:|---:|---|---:|---|---|---|"]
        lines += [f"| {bench} | {name} | " + " | ".join(cells) + " |" for (bench, name), cells in carried.items()]
    if older:
        lines += ["", "Figures from earlier runs (steps not run this time), for reference:", "",
                  "| Benchmark | Figure | Ours | Baseline | Unit | Ratio | From |", "|---|---|---:|---:|---|---:|---|"]
        lines += [f"| {r.get('bench')} | {r.get('name')} | {number(r.get('ours'))} | {number(r.get('baseline'))} | "
                  f"{r.get('unit', '')} | {number(r.get('ratio'))}× | {r['_from']} |" for r in older]
    lines += ["", "## The steps", "", "| Step | Status | Time (s) | Note |", "|---|---|---:|---|"]
    lines += [f"| {name} | {status} | {seconds:.0f} | {note} |" for name, status, seconds, note in outcomes]
    ran = {o[0] for o in outcomes if o[1] not in ("skipped", "missing")}
    lines += [f"| {name} | {cells[0]} (carried) | {cells[1]} | run of {cells[2] if cells[2] else earlier['when']} |"
              for name, cells in earlier["steps"].items() if name not in ran and "(carried)" not in cells[0]]
    lines += [f"| {name} | {cells[0]} | {cells[1]} | {cells[2]} |"
              for name, cells in earlier["steps"].items() if name not in ran and "(carried)" in cells[0]]
    lines += ["", "Reproduce: `pip install -e '.[test,pg]' && python -m bench --scale " + args.scale + "` "
              "(the stores are built under bench/out/ the first time and reused; a million customers take "
              "about 6 minutes to generate). Each step also runs alone: `python -m bench.search --help`, …", ""]
    reports = {"search": "search.md", "reports": "reports.md", "export": "export.md",
               "search-postgresql": "search-postgresql.md", "stock": "stock.md", "catalog": "catalog.md",
               "catalog-postgresql": "catalog-postgresql.md", "startup": "startup.md", "checkout": "checkout.md",
               "tills": "tills.md", "tills-postgresql": "tills-postgresql.md"}
    details = [(name, OUT / reports[name]) for name, status, _s, _n in outcomes
               if status not in ("skipped", "missing", "failed") and name in reports]
    kept = [(name, body) for name, body in earlier["reports"].items() if name not in ran]
    if details or kept:
        lines += ["## Each step's report", ""]
        for name, path in details:
            if path.exists():
                lines += [f"### {name}", "", demote(path.read_text().strip()), ""]
        for name, body in kept:  # already demoted when it was written
            lines += [f"### {name}", "", body, ""]
    args.report.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.report}", file=sys.stderr)
    return 0 if all(o[1] in ("ok", "skipped", "missing") for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
