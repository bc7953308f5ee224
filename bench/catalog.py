"""The catalog at 100k products: a barcode scanned and a name typed, against raw indexed sqlite3.

    python -m bench.catalog --products 100000 [--db PATH] [--reuse] [--rounds 3] [--pg URL]

Builds a store of `--products` products (kept under bench/out/, git-ignored; `--reuse` takes the
one already there) in bulk SQL, names made from the words in bench/data/product-words.txt
("<kind> <variety> <brand> <size>"), EAN-13 barcodes, 2 % archived. Then, in the same run:

- barcode lookup: `catalog.find_by_code` (what a scan calls) over random barcodes, hits and
  misses, against sqlite3 running `SELECT … FROM product WHERE barcode = ?` on the same file;
- name search: `catalog.search_products` (the till's F3 search, `pos products search`) for every
  keystroke of realistic queries (every prefix of each word typed, two words, and the short
  prefixes that match the most products), against sqlite3 running the FTS5 query that returns
  the same ids in the same order (checked: a difference is reported and fails the step).

Report: bench/out/catalog.md, figures in bench/out/catalog.json (what `python -m bench`
collects). With `--pg URL` the store is copied to that PostgreSQL database (`pos db copy`) and
the same is timed there, against psycopg2 running the same indexed queries:
bench/out/catalog-postgresql.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from bench.machine import machine

OUT = Path(__file__).resolve().parent / "out"
WORDS = Path(__file__).resolve().parent / "data" / "product-words.txt"
LIMIT = 50

#: What cashiers type: each query is timed keystroke by keystroke (every prefix of it).
QUERIES = ["leche", "aceite oliva", "caf mol", "zumo nar", "queso cur", "galletas gullón", "jamon",
           "vino tinto crianza", "yogur natural", "hacendado", "cerveza mahou", "pan int", "ñ", "zzqx"]
#: Short prefixes shared by thousands of products (the worst cases), timed as typed.
SHORT = ["a", "c", "d", "de", "p", "s", "l", "co", "sa", "1", "pa", "con", "sin", "ex", "e", "g"]

#: The baseline: the FTS5 index queried directly, ranked as the catalog ranks.
BASELINE_SEARCH = (
    "SELECT p.id FROM product_fts JOIN product AS p ON p.id = product_fts.rowid "
    "WHERE product_fts MATCH ? AND p.active "
    "ORDER BY (p.sku = ? OR p.barcode = ?) DESC, "
    "p.id IN (SELECT rowid FROM product_fts WHERE product_fts MATCH ?) DESC, p.name, p.id LIMIT ?")
BASELINE_CODE = ("SELECT id, sku, barcode, name, price_minor, tax_rate_bp FROM product "
                 "WHERE barcode = ? AND active AND available_in_pos")
PG_BASELINE_SEARCH = (
    "SELECT id FROM product WHERE search_tsv @@ to_tsquery('simple', %s) AND active "
    "ORDER BY (sku = %s OR barcode = %s) DESC, "
    "(split_part(translate(lower(name), %s, %s), ' ', 1) LIKE %s) DESC, name COLLATE \"C\", id LIMIT %s")
PG_BASELINE_CODE = ("SELECT id, sku, barcode, name, price_minor, tax_rate_bp FROM product "
                    "WHERE barcode = %s AND active AND available_in_pos")


def read_words(path: Path = WORDS) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is not None:
            current.append(line)
    return sections


def ean13(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def default_path(products: int, seed: int) -> Path:
    return OUT / f"catalog-{products}p-seed{seed}.sqlite3"


def build(path: Path, products: int, seed: int) -> dict:
    """A fresh store at `path` with `products` products, written in bulk (the index follows by
    itself: that is its point)."""
    from pos_tui import db, models
    from pos_tui.services import bulk, taxes

    for suffix in ("", "-wal", "-shm", ".json"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    words = read_words()
    started = time.perf_counter()
    db.open_database(str(path))
    stamp = db.now()
    codes = rng.sample(range(10**9, 10**10), products)
    with db.write():
        taxes.ensure_standard("ES")
        tax = models.Tax.select().order_by(models.Tax.id).first()
        rows = []
        for i in range(products):
            kind = rng.choice(words["kind"])
            name = f"{kind} {rng.choice(words['variety'])} {rng.choice(words['brand'])} {rng.choice(words['size'])}"
            rows.append({"sku": f"B{i + 1:06d}", "barcode": ean13(f"84{codes[i]:010d}"), "name": name[:120],
                         "price_minor": rng.randrange(50, 5000), "tax_rate_bp": tax.rate_bp,
                         "price_includes_tax": True, "category": f"Alimentación / {kind.split()[0]}",
                         "active": rng.random() >= 0.02, "cost_minor": 0, "uom": "Units", "by_weight": False,
                         "available_in_pos": True, "track_stock": True, "reorder_point": 0,
                         "created_at": stamp, "updated_at": stamp})
        for start in range(0, products, 10_000):
            bulk.insert(models.Product, rows[start:start + 10_000])
        db.database.execute_sql("INSERT INTO product_tax (product_id, tax_id, sequence) "
                                "SELECT id, ?, 0 FROM product", [tax.id])
    db.database.execute_sql("ANALYZE")
    db.database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close_database()
    info = {"products": products, "seed": seed, "build_seconds": round(time.perf_counter() - started, 1),
            "bytes": path.stat().st_size}
    Path(str(path) + ".json").write_text(json.dumps(info, indent=2))
    return info


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def keystrokes(query: str) -> list[str]:
    return [query[:i] for i in range(1, len(query) + 1) if not query[:i].endswith(" ")]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


#: CPU seconds of each timed call, by the last `timed` caller's list (see `run`).
CPU: list[float] = []


def timed(func, *args) -> tuple[float, object]:
    """Wall seconds of one call (and its CPU seconds, this process's, appended to CPU: on a
    machine shared with other work the wall time counts the waits for a core too)."""
    cpu = time.process_time()
    started = time.perf_counter()
    result = func(*args)
    wall = time.perf_counter() - started
    CPU.append(time.process_time() - cpu)
    return wall, result


def codes_to_scan(barcodes: list[str], seed: int, n: int = 2000) -> list[str]:
    """Random barcodes: four in five of the store, one in five valid codes it does not have."""
    rng = random.Random(seed + 1)
    have = set(barcodes)
    out = []
    while len(out) < n:
        if rng.random() < 0.8:
            out.append(rng.choice(barcodes))
        else:
            code = ean13(f"85{rng.randrange(10**10):010d}")
            if code not in have:
                out.append(code)
    return out


def run(args, engine: str, ours_code, base_code, ours_search, base_search, codes: list[str],
        strokes: list[str], products: int, info: str) -> tuple[list[str], list[dict], list[str]]:
    """Time both sides, side by side; returns the report's lines, the figures, the problems."""
    from pos_tui.services import catalog

    load_before = _load()
    for code in codes[:200]:  # warm up
        ours_code(code), base_code(code)
    for stroke in strokes:
        ours_search(stroke), base_search(stroke)
    code_ours, code_base, hit_ours, miss_ours = [], [], [], []
    search_ours: dict[str, list[float]] = {s: [] for s in strokes}
    search_base: dict[str, list[float]] = {s: [] for s in strokes}
    problems: list[str] = []
    cpu: dict[str, list[float]] = {"code": [], "code_base": [], "search": [], "search_base": []}
    for _round in range(args.rounds):
        for code in codes:
            seconds, found = timed(ours_code, code)
            cpu["code"].append(CPU[-1])
            code_ours.append(seconds)
            (hit_ours if found else miss_ours).append(seconds)
            seconds, row = timed(base_code, code)
            cpu["code_base"].append(CPU[-1])
            code_base.append(seconds)
            if (found is None) != (row is None):
                problems.append(f"barcode {code}: ours {'found' if found else 'missed'} it, sqlite3 did not")
        for stroke in strokes:
            seconds, found = timed(ours_search, stroke)
            cpu["search"].append(CPU[-1])
            search_ours[stroke].append(seconds)
            seconds, ids = timed(base_search, stroke)
            cpu["search_base"].append(CPU[-1])
            search_base[stroke].append(seconds)
            if _round == 0 and [p.id for p in found] != ids:
                problems.append(f"search {stroke!r}: ours {[p.id for p in found][:5]}… ≠ index {ids[:5]}…")
    del catalog
    all_ours = [t for v in search_ours.values() for t in v]
    all_base = [t for v in search_base.values() for t in v]

    def ms(s: float) -> float:
        return round(s * 1000, 3)

    p95 = {"code": percentile(code_ours, 95), "code_base": percentile(code_base, 95),
           "search": percentile(all_ours, 95), "search_base": percentile(all_base, 95)}
    met_code, met_search = p95["code"] <= 0.001, p95["search"] <= 0.005
    lines = [f"## {engine}: {products:,} products", "", info, "",
             f"{len(codes):,} barcodes (4 in 5 in the store) × {args.rounds} rounds; {len(strokes)} keystrokes × "
             f"{args.rounds} rounds; after a warm-up, ours and the baseline alternating.", "",
             "| ms | ours p50 | ours p95 | ours max | baseline p50 | baseline p95 |", "|---|---:|---:|---:|---:|---:|",
             f"| barcode lookup (`find_by_code`) | {ms(percentile(code_ours, 50))} | {ms(p95['code'])} | "
             f"{ms(max(code_ours))} | {ms(percentile(code_base, 50))} | {ms(p95['code_base'])} |",
             f"| … hits only | {ms(percentile(hit_ours, 50))} | {ms(percentile(hit_ours, 95))} | "
             f"{ms(max(hit_ours))} | | |",
             f"| … misses only | {ms(percentile(miss_ours, 50))} | {ms(percentile(miss_ours, 95))} | "
             f"{ms(max(miss_ours))} | | |",
             f"| name search (`search_products`, per keystroke) | {ms(percentile(all_ours, 50))} | "
             f"{ms(p95['search'])} | "
             f"{ms(max(all_ours))} | {ms(percentile(all_base, 50))} | {ms(p95['search_base'])} |",
             f"| CPU time of this process: barcode lookup | {ms(percentile(cpu['code'], 50))} | "
             f"{ms(percentile(cpu['code'], 95))} | {ms(max(cpu['code']))} | {ms(percentile(cpu['code_base'], 50))} | "
             f"{ms(percentile(cpu['code_base'], 95))} |",
             f"| CPU time of this process: name search | {ms(percentile(cpu['search'], 50))} | "
             f"{ms(percentile(cpu['search'], 95))} | {ms(max(cpu['search']))} | "
             f"{ms(percentile(cpu['search_base'], 50))} | {ms(percentile(cpu['search_base'], 95))} |", "",
             f"Load average (1 min): {load_before} before, {_load()} after. The CPU rows count this process's "
             f"own work (on SQLite, the database's too; on PostgreSQL not the server's): on a machine whose "
             f"cores are shared with other work, the wall time also counts the waits for a core.", "",
             f"Targets: barcode p95 ≤ 1 ms **{'met' if met_code else 'missed'}**; name search p95 ≤ 5 ms "
             f"**{'met' if met_search else 'missed'}**.", "",
             "Slowest keystrokes (ours median / baseline median, ms, results):", ""]
    worst = sorted(strokes, key=lambda s: -statistics.median(search_ours[s]))[:10]
    lines += [f"- `{s}`: {ms(statistics.median(search_ours[s]))} / {ms(statistics.median(search_base[s]))}"
              for s in worst]
    lines += ["", f"Same ids as the index's own query: **{'all' if not problems else f'{len(problems)} problems'}**."]
    lines += [f"- {p}" for p in problems[:20]]
    label = "" if engine == "SQLite" else " on PostgreSQL"
    figures = [
        {"bench": "catalog", "name": f"barcode lookup{label}, {products:,} products: p95",
         "ours": ms(p95["code"]), "baseline": ms(p95["code_base"]), "unit": "ms",
         "baseline_label": ("sqlite3" if engine == "SQLite" else "psycopg2") + ": SELECT … WHERE barcode = ?",
         "ratio": round(p95["code"] / p95["code_base"], 1), "target": "ours <= 1 ms (ratio = ours / baseline)"},
        {"bench": "catalog", "name": f"name search{label}, {products:,} products: p95 CPU per keystroke",
         "ours": ms(percentile(cpu["search"], 95)), "baseline": ms(percentile(cpu["search_base"], 95)), "unit": "ms",
         "baseline_label": "the same, CPU time of the benchmark's process",
         "ratio": round(percentile(cpu["search"], 95) / max(percentile(cpu["search_base"], 95), 1e-9), 1),
         "target": "(reported: the machine's load)"},
        {"bench": "catalog", "name": f"name search{label}, {products:,} products: p95 per keystroke",
         "ours": ms(p95["search"]), "baseline": ms(p95["search_base"]), "unit": "ms",
         "baseline_label": ("sqlite3: the FTS5 index's MATCH" if engine == "SQLite" else
                            "psycopg2: the GIN index's @@") + ", same ids in the same order",
         "ratio": round(p95["search"] / p95["search_base"], 1),
         "target": "ours <= 5 ms (ratio = ours / baseline)", "problems": len(problems)},
    ]
    if not (met_code and met_search):
        problems.append("a target was missed")
    return lines, figures, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.catalog", description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="use the database already built there")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg", metavar="URL", default=None,
                        help="time on PostgreSQL instead: the store is copied into this database (made afresh)")
    args = parser.parse_args(argv)
    path = args.db or default_path(args.products, args.seed)
    if path.exists() and args.reuse:
        meta = Path(str(path) + ".json")
        info = json.loads(meta.read_text()) if meta.exists() else {"bytes": path.stat().st_size}
        print(f"reusing {path}", file=sys.stderr)
    else:
        print(f"building {path}: {args.products:,} products…", file=sys.stderr)
        info = build(path, args.products, args.seed)
        print(f"built in {info['build_seconds']} s", file=sys.stderr)

    from pos_tui import db
    from pos_tui.services import catalog, product_search

    conn = sqlite3.connect(str(path))
    barcodes = [row[0] for row in conn.execute("SELECT barcode FROM product WHERE barcode IS NOT NULL")]
    products = len(barcodes)
    codes = codes_to_scan(barcodes, args.seed)
    strokes = list(dict.fromkeys([s for q in QUERIES for s in keystrokes(q)] + SHORT))
    built = (f"Built in {info['build_seconds']} s (bulk insert, the index kept by its triggers), "
             if "build_seconds" in info else "") + f"{info['bytes'] / 1e6:.0f} MB."

    def terms(stroke: str) -> list[str]:
        return list(dict.fromkeys(product_search.words(stroke)))

    if args.pg:
        return run_postgres(args, path, codes, strokes, products, built, terms)

    db.open_database(str(path))

    def base_code(code: str):
        return conn.execute(BASELINE_CODE, [code]).fetchone()

    def base_search(stroke: str) -> list[int]:
        t = terms(stroke)
        if not t:
            return []
        text = stroke.strip()
        return [r[0] for r in conn.execute(BASELINE_SEARCH, [product_search.fts_query(t), text.upper(), text,
                                                             product_search.fts_query(t, first=True), LIMIT])]

    lines, figures, problems = run(args, "SQLite", catalog.find_by_code, base_code,
                                   lambda s: catalog.search_products(s, LIMIT), base_search, codes, strokes,
                                   products, built)
    return finish(lines, figures, problems, "catalog")


def run_postgres(args, path: Path, codes, strokes, products, built, terms) -> int:
    import psycopg2

    from bench.__main__ import pg_database
    from pos_tui import db
    from pos_tui.services import catalog, copy, product_search

    server = pg_database(args.pg, "postgres")
    name = args.pg.rsplit("/", 1)[-1].split("?")[0]
    admin = psycopg2.connect(server)
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    admin.close()
    started = time.perf_counter()
    copy.copy_store(str(path), args.pg)
    copied = time.perf_counter() - started
    db.close_database()
    db.open_database(args.pg)
    conn = psycopg2.connect(args.pg)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SHOW server_version")
    version = cur.fetchone()[0]

    def base_code(code: str):
        cur.execute(PG_BASELINE_CODE, [code])
        return cur.fetchone()

    def base_search(stroke: str) -> list[int]:
        t = terms(stroke)
        if not t:
            return []
        text = stroke.strip()
        cur.execute(PG_BASELINE_SEARCH, [product_search.ts_query(t), text.upper(), text, product_search._ACCENTED,
                                         product_search._PLAIN, t[0] + "%", LIMIT])
        return [r[0] for r in cur.fetchall()]

    lines, figures, problems = run(args, f"PostgreSQL {version}", catalog.find_by_code, base_code,
                                   lambda s: catalog.search_products(s, LIMIT), base_search, codes, strokes,
                                   products, f"{built} Copied there with `pos db copy` in {copied:.0f} s.")
    conn.close()
    db.close_database()
    return finish(lines, figures, problems, "catalog-postgresql")


def finish(lines: list[str], figures: list[dict], problems: list[str], name: str) -> int:
    head = ["# Catalog benchmark", "", "| Machine | |", "|---|---|"]
    head += [f"| {k} | {v} |" for k, v in machine().items() if v] + [""]
    report = "\n".join(head + lines) + "\n"
    print(report)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.md").write_text(report)
    (OUT / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
