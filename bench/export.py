"""`pos export customers` at a million customers, against a bare `sqlite3` + `csv.writer` writing
the same columns of the same rows, in the same run.

    python -m bench.export [--customers 1000000] [--db PATH] [--rounds 3] [--formats] [--import-rows 100000]

The database: bench/out/search-1000000c-1000000o-seed42.sqlite3 (built by `python -m bench.search`)
when it is there and has every column the export reads; otherwise one is generated with
`generator.generate` (customers only) as bench/out/export-<N>c-seed42.sqlite3 and kept.

Each export runs in a child process of its own, timed from start to exit, its peak memory read from
the kernel (`os.wait4`'s maximum resident set size, through a small launcher: see `LAUNCHER`): ours
is the real command, `python -m pos_tui --db DB export customers -o FILE`; the baseline is this
module in `--child bare` mode, which selects the same columns (the stored values, as SQLite gives
them) and hands the cursor to `csv.writer.writerows`. The runs alternate, after one warm-up of
each, and the best of `--rounds` is kept for each.

Then the import: the first `--import-rows` customers of our export (a native CSV, as a store would
move its customers) go into an empty store with `pos import customers FILE --apply --skip-invalid`
in a child process — every row through the form's checks and the duplicate rules (against the
store and the rows above it), then written in one transaction with search tokens, audit entries
and events. Its baseline is a bare `csv.reader` + `executemany` INSERT of the same cells into the
same table, without a check, a token or an event.

A report in Markdown goes to stdout and bench/out/export.md; the figures, machine-readable, to
bench/out/export.json (what `python -m bench` collects).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.machine import machine
from bench.search import OUT, load

ROOT = Path(__file__).resolve().parent.parent


def _columns(conn: sqlite3.Connection) -> set[str]:
    return {row[1] for row in conn.execute("PRAGMA table_info(customer)")}


def _needed() -> set[str]:
    """The customer columns the export reads."""
    import re

    from pos_tui.services import exports

    return {name for column in exports._customers_native("EUR").columns
            for name in re.findall(r"\bt\.(\w+)", column.sql)}


def pick_database(customers: int, seed: int, explicit: Path | None) -> tuple[Path, str]:
    if explicit is not None:
        return explicit, "given"
    cached = OUT / f"search-{customers}c-{customers}o-seed{seed}.sqlite3"
    if cached.exists():
        conn = sqlite3.connect(f"file:{cached}?mode=ro", uri=True)
        try:
            missing = _needed() - _columns(conn)
        finally:
            conn.close()
        if not missing:
            return cached, "reused from bench.search"
        print(f"{cached.name} predates columns {sorted(missing)}: using a database of its own", file=sys.stderr)
    path = OUT / f"export-{customers}c-seed{seed}.sqlite3"
    if path.exists():
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            fine = not (_needed() - _columns(conn))
        finally:
            conn.close()
        if fine:
            return path, "reused"
    build(path, customers, seed)
    return path, "generated"


def build(path: Path, customers: int, seed: int) -> None:
    from pos_tui import db
    from pos_tui.services import demo, generator

    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"generating {customers:,} customers into {path}…", file=sys.stderr)
    db.open_database(str(path))
    demo.load_demo()
    summary = generator.generate(customers, 0, seed=seed)
    db.database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close_database()
    print(f"generated in {summary.seconds:.0f} s", file=sys.stderr)


# The children ------------------------------------------------------------------------------------------


def bare_export(db_path: str, output: str) -> int:
    """The baseline: the same columns of the same rows, as stored, straight into csv.writer."""
    from pos_tui.services import exports

    columns = exports._customers_native("EUR").columns
    select = ", ".join("'EUR'" if c.kind == exports.CONST else c.sql for c in columns)
    conn = sqlite3.connect(db_path)
    with open(output, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([c.name for c in columns])
        writer.writerows(conn.execute(f"SELECT {select} FROM customer t ORDER BY t.id"))
    conn.close()
    return 0


def bare_import(db_path: str, source: str) -> int:
    """The import's baseline: the file's cells straight into the customer table, unchecked."""
    conn = sqlite3.connect(db_path)
    with open(source, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        table = {row[1] for row in conn.execute("PRAGMA table_info(customer)")}
        wanted = [i for i, name in enumerate(header) if name in table and name != "id"]
        # the stored columns the file has no cell for (NOT NULL, no SQL default)
        extra = {"fiscal_extra": "{}", "score": 0, "name_key": "", "search_key": "", "discount_bp": 0,
                 "credit_limit_minor": 0}
        extra = {k: v for k, v in extra.items() if k in table and k not in header}
        names = ", ".join([*(f'"{header[i]}"' for i in wanted), *(f'"{k}"' for k in extra)])
        marks = ", ".join("?" * (len(wanted) + len(extra)))
        tail = list(extra.values())
        nullable = {"loyalty_card", "marketing_consent_at", "anonymised_at", "last_visit_at"}
        null_at = [n for n, i in enumerate(wanted) if header[i] in nullable]

        def values(row: list[str]) -> list:
            cells = [*(row[i] for i in wanted), *tail]
            for n in null_at:
                cells[n] = cells[n] or None
            return cells

        with conn:
            conn.executemany(f"INSERT INTO customer ({names}) VALUES ({marks})", map(values, reader))
    conn.close()
    return 0


def empty_store(path: Path) -> None:
    """A new database with a store and no customer, in a child process (its own connection)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    subprocess.run([sys.executable, "-c", "import sys; from pos_tui import db; from pos_tui.services import store; "
                    "db.open_database(sys.argv[1]); store.setup_store('Bench', 'ES', 'EUR', 'Ana', '1234')",
                    str(path)], cwd=ROOT, check=True)


def bench_import(ours_file: Path, rows: int) -> dict:
    """The first `rows` customers of an export imported into an empty store, ours and bare."""
    source = OUT / f"import-{rows}.csv"
    with open(ours_file, newline="", encoding="utf-8") as inp, open(source, "w", newline="", encoding="utf-8") as out:
        reader, writer = csv.reader(inp), csv.writer(out)
        for n, record in enumerate(reader):
            if n > rows:
                break
            writer.writerow(record)
    def stored(path: Path) -> dict:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return {name: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                    for name, table in (("created", "customer"), ("tokens", "customer_token"), ("events", "outbox"))}
        finally:
            conn.close()

    target = OUT / "import-target.sqlite3"
    report = Path(str(source) + ".report.csv")
    runs = {}
    print(f"importing {rows:,} customers…", file=sys.stderr)
    for name, flags in (("all", ["--allow-duplicates"]), ("rules", ["--skip-invalid"])):
        empty_store(target)
        runs[name] = run_child([sys.executable, "-m", "pos_tui", "--db", str(target), "import", "customers",
                                str(source), "--apply", *flags]) | stored(target)
    runs["rules"]["problems"] = max(0, sum(1 for _line in open(report, encoding="utf-8-sig")) - 1)
    empty_store(target)
    runs["bare"] = run_child([sys.executable, "-m", "bench.export", "--child", "bare-import", "--db", str(target),
                              "--output", str(source)]) | stored(target)
    for path in (source, report, *(Path(str(target) + s) for s in ("", "-wal", "-shm"))):
        path.unlink(missing_ok=True)
    return {"rows": rows, **runs}


#: Starts a command as its own child and writes that child's peak memory to a file. Measuring a
#: child started straight from this (large) process would not do: Python starts children with
#: vfork, and Linux counts the parent's peak into a vfork child's maximum resident set size.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_pid, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_child(command: list[str]) -> dict:
    """Run one command in a child process of its own: wall time and its peak resident memory."""
    peak = OUT / f".peak-{os.getpid()}"
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", LAUNCHER, str(peak), *command], cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')}")
    kib = int(peak.read_text())
    peak.unlink()
    return {"seconds": seconds, "peak_mb": kib / 1024}  # ru_maxrss: KiB on Linux


def count_records(path: Path) -> int:
    """CSV records, the header included (a cell may hold a line break)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return sum(1 for _record in csv.reader(handle))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--formats", action="store_true", help="also time --format json and jsonl (ours)")
    parser.add_argument("--out", type=Path, default=OUT / "export.md")
    parser.add_argument("--import-rows", type=int, default=100_000,
                        help="customers imported into an empty store after the export (0: no import bench)")
    parser.add_argument("--child", choices=("bare", "bare-import"), help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "bare":
        return bare_export(str(args.db), args.output)
    if args.child == "bare-import":
        return bare_import(str(args.db), args.output)

    path, origin = pick_database(args.customers, args.seed, args.db)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = conn.execute("SELECT COUNT(*) FROM customer").fetchone()[0]
    conn.close()
    ours_file, bare_file = OUT / "export-ours.csv", OUT / "export-bare.csv"
    ours_cmd = [sys.executable, "-m", "pos_tui", "--db", str(path), "export", "customers", "-o", str(ours_file)]
    bare_cmd = [sys.executable, "-m", "bench.export", "--child", "bare", "--db", str(path), "--output", str(bare_file)]

    load_before = load()
    print("warming up…", file=sys.stderr)
    run_child(bare_cmd)
    run_child(ours_cmd)
    ours_runs, bare_runs = [], []
    for n in range(args.rounds):
        bare_runs.append(run_child(bare_cmd))
        ours_runs.append(run_child(ours_cmd))
        print(f"round {n + 1}: ours {ours_runs[-1]['seconds']:.1f} s, bare {bare_runs[-1]['seconds']:.1f} s",
              file=sys.stderr)
    extra = {}
    if args.formats:
        for fmt in ("json", "jsonl"):
            target = OUT / f"export-ours.{fmt}"
            extra[fmt] = run_child([*ours_cmd[:-2], "--format", fmt, "-o", str(target)])
            extra[fmt]["bytes"] = target.stat().st_size
            target.unlink()
    load_after = load()

    ours_lines, bare_lines = count_records(ours_file), count_records(bare_file)
    with open(ours_file, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    sizes = {"ours": ours_file.stat().st_size, "bare": bare_file.stat().st_size}
    imported = bench_import(ours_file, min(args.import_rows, rows)) if args.import_rows > 0 else None
    ours_file.unlink()
    bare_file.unlink()
    best_ours = min(ours_runs, key=lambda r: r["seconds"])
    best_bare = min(bare_runs, key=lambda r: r["seconds"])
    ours_rate, bare_rate = rows / best_ours["seconds"], rows / best_bare["seconds"]
    peak = max(r["peak_mb"] for r in ours_runs)
    speed_ok, memory_ok = ours_rate >= 0.5 * bare_rate, peak <= 100

    lines = [f"# Export benchmark: {rows:,} customers to CSV", ""]
    lines += ["| Machine | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in machine().items()]
    lines += [f"| Load average (1 min) | {load_before} before, {load_after} after |",
              f"| Database | {path.name} ({origin}), {path.stat().st_size / 1e9:.2f} GB |", ""]
    lines += [f"{len(header)} columns. Each run is a child process (start to exit, so imports and opening the "
              f"database count); best of {args.rounds} rounds after a warm-up; peak memory is the child's "
              "maximum resident set size.", ""]
    lines += ["| | rows/s | seconds | peak memory (MB) | file (MB) | records |", "|---|---:|---:|---:|---:|---:|"]
    lines.append(f"| ours: `pos export customers -o FILE` | {ours_rate:,.0f} | {best_ours['seconds']:.1f} | "
                 f"{peak:.0f} | {sizes['ours'] / 1e6:.0f} | {ours_lines:,} |")
    lines.append(f"| baseline: `sqlite3` + `csv.writer`, same columns | {bare_rate:,.0f} | "
                 f"{best_bare['seconds']:.1f} | {max(r['peak_mb'] for r in bare_runs):.0f} | "
                 f"{sizes['bare'] / 1e6:.0f} | {bare_lines:,} |")
    for fmt, run in extra.items():
        lines.append(f"| ours, `--format {fmt}` | {rows / run['seconds']:,.0f} | {run['seconds']:.1f} | "
                     f"{run['peak_mb']:.0f} | {run['bytes'] / 1e6:.0f} | |")
    lines += ["", f"Ours / baseline: **{ours_rate / bare_rate:.2f}×** the rows per second (target ≥ 0.5×: "
              f"**{'met' if speed_ok else 'missed'}**); peak memory {peak:.0f} MB (target ≤ 100 MB: "
              f"**{'met' if memory_ok else 'missed'}**).", "",
              "All runs (seconds): ours " + ", ".join(f"{r['seconds']:.1f}" for r in ours_runs)
              + "; baseline " + ", ".join(f"{r['seconds']:.1f}" for r in bare_runs) + ".",
              "", "The baseline writes what SQLite stores (amounts in minor units, `2026-03-31 09:15:02.123` "
              "times, 0/1 booleans, formulas as they are); ours writes exact amounts in major units, "
              "ISO 8601 times, true/false, and neutralises formula-like text."]
    results = [
        {"bench": "export", "name": f"customers to CSV, {rows:,} rows", "ours": round(ours_rate),
         "baseline": round(bare_rate), "unit": "rows/s", "baseline_label": "bare sqlite3 + csv.writer, same columns",
         "ratio": round(ours_rate / bare_rate, 3), "target": "ratio >= 0.5"},
        {"bench": "export", "name": f"customers to CSV, {rows:,} rows: peak memory", "ours": round(peak, 1),
         "baseline": round(max(r["peak_mb"] for r in bare_runs), 1), "unit": "MB",
         "baseline_label": "bare sqlite3 + csv.writer, same columns",
         "ratio": round(peak / max(r["peak_mb"] for r in bare_runs), 3), "target": "ours <= 100 MB"},
    ]
    import_ok = True
    if imported is not None:
        n, every, rules, bare = imported["rows"], imported["all"], imported["rules"], imported["bare"]
        import_ok = every["seconds"] < 60 and rules["seconds"] < 60

        def written(run: dict) -> str:
            return f"{run['created']:,} customers, {run['tokens']:,} search tokens, {run['events']:,} events"

        lines += ["", f"## Import: {n:,} customers into an empty store", "",
                  "The first rows of the export above, as a CSV file; each run starts from an empty store.", "",
                  "| | seconds | rows/s | peak memory (MB) | written |", "|---|---:|---:|---:|---|",
                  f"| ours: `pos import customers FILE --apply --allow-duplicates` | {every['seconds']:.1f} | "
                  f"{n / every['seconds']:,.0f} | {every['peak_mb']:.0f} | {written(every)} |",
                  f"| ours: `pos import customers FILE --apply --skip-invalid` | {rules['seconds']:.1f} | "
                  f"{n / rules['seconds']:,.0f} | {rules['peak_mb']:.0f} | {written(rules)}; "
                  f"{rules['problems']:,} problems reported |",
                  f"| baseline: `csv.reader` + `executemany` INSERT, unchecked | {bare['seconds']:.1f} | "
                  f"{n / bare['seconds']:,.0f} | {bare['peak_mb']:.0f} | {bare['created']:,} rows |", "",
                  f"Target: well under a minute — **{'met' if import_ok else 'missed'}** "
                  f"({every['seconds']:.1f} s with every row written). Both runs check every field with the "
                  "form's validators; the second also applies the form's duplicate rules, and the generated "
                  "customers often share a first and last name (or a phone) with a row above: those are "
                  "reported instead of written."]
        results.append({"bench": "export", "name": f"import {n:,} customers (checked, one transaction)",
                        "ours": round(every["seconds"], 2), "baseline": round(bare["seconds"], 2),
                        "unit": "s", "baseline_label": "csv.reader + executemany INSERT, unchecked",
                        "ratio": round(every["seconds"] / bare["seconds"], 3), "target": "ours < 60 s"})
    (OUT / "export.json").write_text(json.dumps(results, indent=2) + "\n")
    ok = ours_lines == rows + 1 and bare_lines == rows + 1
    if not ok:
        lines += ["", f"**Line counts differ from the {rows + 1:,} expected.**"]
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    return 0 if ok and speed_ok and memory_ok and import_ok else 1


if __name__ == "__main__":
    sys.exit(main())
