"""`pos export customers` at a million customers, against a bare `sqlite3` + `csv.writer` writing
the same columns of the same rows, in the same run.

    python -m bench.export [--customers 1000000] [--db PATH] [--rounds 3] [--formats]

The database: bench/out/search-1000000c-1000000o-seed42.sqlite3 (built by `python -m bench.search`)
when it is there and has every column the export reads; otherwise one is generated with
`generator.generate` (customers only) as bench/out/export-<N>c-seed42.sqlite3 and kept.

Each export runs in a child process of its own, timed from start to exit, its peak memory read
from the kernel (`os.wait4`'s maximum resident set size): ours is the real command,
`python -m pos_tui --db DB export customers -o FILE`; the baseline is this module in `--child
bare` mode, which selects the same columns (the stored values, as SQLite gives them) and hands
the cursor to `csv.writer.writerows`. The runs alternate, after one warm-up of each, and the best
of `--rounds` is kept for each. A report in Markdown goes to stdout and bench/out/export.md.
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

from bench.search import OUT, load, machine

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
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.name for c in columns])
        writer.writerows(conn.execute(f"SELECT {select} FROM customer t ORDER BY t.id"))
    conn.close()
    return 0


def run_child(command: list[str]) -> dict:
    """Run one export in a child process: wall time and the child's peak resident memory."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    error = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{error}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024}  # ru_maxrss: KiB on Linux


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
    parser.add_argument("--child", choices=("bare",), help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "bare":
        return bare_export(str(args.db), args.output)

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
              "times, 0/1 booleans, formulas as they are); ours writes amounts in major units from Decimal, "
              "ISO 8601 times, true/false, and neutralises formula-like text."]
    ok = ours_lines == rows + 1 and bare_lines == rows + 1
    if not ok:
        lines += ["", f"**Line counts differ from the {rows + 1:,} expected.**"]
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    Path(str(args.out) + ".json").write_text(json.dumps(
        {"rows": rows, "ours": ours_runs, "bare": bare_runs, "extra": extra}, indent=2))
    return 0 if ok and speed_ok and memory_ok else 1


if __name__ == "__main__":
    sys.exit(main())
