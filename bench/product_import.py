"""`pos products import` of a large catalog, against a raw unchecked insert of the same file, in
the same run.

    python -m bench.product_import [--products 100000] [--rounds 3]

The file: a native CSV (the columns `pos products export` writes) of `--products` generated
products — references, names, valid EAN-13 barcodes, prices and costs, a few dozen categories, a
tenth sold by weight in kg, Spanish taxes (some with the equivalence surcharge) — written to
bench/out/product-import-<N>.csv.

Ours: `product_import.import_products(FILE, apply=True)` into an empty store — every row through
the catalog's rules, the duplicate checks against the file and the store, then the products, their
taxes, an audit entry and a `product.created` event each, in one transaction. The baseline: the
same file read with the `csv` module and its cells inserted into the product table with sqlite3's
`executemany`, in one transaction, without a check, a tax link, an audit entry or an event. Each
run is a child process of its own on a fresh store; the time is measured inside it, from opening
the file to the commit (the interpreter's start and imports are not counted, for either). The
runs alternate, after a warm-up of each; the best of `--rounds` is kept. The whole command
(`python -m pos_tui products import FILE --apply`, start to exit) is timed once too, for reference.

Target (issue 14): ours at ≥ 0.3× the baseline's rows per second. Figures to
bench/out/product_import.json, the report to stdout and bench/out/product_import.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.export import empty_store
from bench.machine import machine
from bench.search import OUT, load

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.3
COLUMNS = ("reference", "name", "barcode", "price", "price_includes_tax", "cost", "currency", "category", "unit",
           "by_weight", "taxes", "available_in_pos", "track_stock", "reorder_point", "archived")
WORDS = ("Pan", "Leche", "Queso", "Aceite", "Tomate", "Manzana", "Arroz", "Café", "Té", "Galletas", "Yogur",
         "Jamón", "Chorizo", "Atún", "Sardinas", "Pasta", "Harina", "Azúcar", "Sal", "Vinagre", "Miel", "Zumo",
         "Agua", "Cerveza", "Vino", "Detergente", "Jabón", "Champú", "Papel", "Pilas")
QUALIFIERS = ("integral", "ecológico", "extra", "suave", "natural", "clásico", "fresco", "curado", "light",
              "familiar", "de la casa", "premium", "tierno", "con sal", "sin azúcar")
CATEGORIES = tuple(f"{a} / {b}" for a in ("Alimentación", "Bebidas", "Droguería", "Frescos")
                   for b in ("Básicos", "Despensa", "Ofertas", "Importación", "Granel", "Temporada", "Marca propia"))
TAXES = ("IVA 21%", "IVA 10%", "IVA 4%", "IVA 21% + RE 5,2%", "IVA 10% + RE 1,4%")


def ean13(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def make_file(path: Path, n: int, seed: int = 42) -> None:
    rnd = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for i in range(1, n + 1):
            weighed = i % 10 == 0
            price = rnd.randint(20, 5000)
            writer.writerow([
                f"B{i:07d}", f"{rnd.choice(WORDS)} {rnd.choice(QUALIFIERS)} {i}", ean13(f"84{i:010d}"),
                f"{price // 100}.{price % 100:02d}", "true", f"{price * 6 // 1000}.{price * 6 // 10 % 100:02d}",
                "EUR", rnd.choice(CATEGORIES), "kg" if weighed else "Units", "true" if weighed else "false",
                rnd.choice(TAXES), "true", "true", "5" if i % 3 == 0 else "0", "false"])


# The children -----------------------------------------------------------------------------------------


def ours(db_path: str, source: str) -> dict:
    from pos_tui import db
    from pos_tui.services import product_import

    db.open_database(db_path)
    started, cpu = time.perf_counter(), time.process_time()
    result = product_import.import_products(source, apply=True)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "created": result.created, "refused": len(result.refused),
            "check_seconds": result.check_seconds, "write_seconds": result.write_seconds}


def bare(db_path: str, source: str) -> dict:
    """The baseline: the file's cells into the product table as they are, unchecked."""
    conn = sqlite3.connect(db_path)
    names = {"reference": "sku", "name": "name", "barcode": "barcode", "price": "price_minor",
             "price_includes_tax": "price_includes_tax", "cost": "cost_minor", "category": "category",
             "unit": "uom", "by_weight": "by_weight", "available_in_pos": "available_in_pos",
             "track_stock": "track_stock", "reorder_point": "reorder_point"}
    started, cpu = time.perf_counter(), time.process_time()
    with open(source, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        wanted = [i for i, name in enumerate(header) if name in names]
        columns = ", ".join(f'"{names[header[i]]}"' for i in wanted)
        marks = ", ".join("?" * (len(wanted) + 4))
        stamp = "2026-01-01 00:00:00"
        with conn:
            conn.executemany(
                f'INSERT INTO product ({columns}, "tax_rate_bp", "active", "created_at", "updated_at") '
                f"VALUES ({marks})", ([*(row[i] for i in wanted), 0, 1, stamp, stamp] for row in reader))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    created = conn.execute("SELECT COUNT(*) FROM product").fetchone()[0]
    conn.close()
    return {"seconds": seconds, "cpu": cpu, "created": created}


def child(kind: str, db_path: Path, source: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench.product_import", "--child", kind, "--db", str(db_path),
                           "--file", str(source)], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def stored(path: Path) -> dict:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {name: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for name, table in (("products", "product"), ("tax_links", "product_tax"),
                                    ("audit", "audit_log WHERE entity = 'product'"),
                                    ("events", "outbox WHERE kind = 'product.created'"))}
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.product_import", description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT / "product_import.md")
    parser.add_argument("--child", choices=("ours", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps((ours if args.child == "ours" else bare)(args.db, args.file)))
        return 0

    OUT.mkdir(parents=True, exist_ok=True)
    n = args.products
    source = OUT / f"product-import-{n}.csv"
    target = OUT / "product-import-target.sqlite3"
    print(f"writing {n:,} products to {source.name}…", file=sys.stderr)
    make_file(source, n)
    load_before = load()
    runs: dict[str, list[dict]] = {"ours": [], "bare": []}
    counts: dict[str, dict] = {}
    for round_ in range(args.rounds + 1):  # the first round warms up
        for kind in ("bare", "ours"):
            empty_store(target)
            result = child(kind, target, source)
            counts[kind] = stored(target)
            if round_:
                runs[kind].append(result)
        if round_:
            print(f"round {round_}: ours {runs['ours'][-1]['seconds']:.2f} s, bare {runs['bare'][-1]['seconds']:.2f} s",
                  file=sys.stderr)
    empty_store(target)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pos_tui", "--db", str(target), "products", "import", str(source),
                    "--apply"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    command_seconds = time.perf_counter() - started
    load_after = load()
    for path in (source, *(Path(str(target) + s) for s in ("", "-wal", "-shm"))):
        path.unlink(missing_ok=True)

    best = {kind: min(runs[kind], key=lambda r: r["seconds"]) for kind in runs}
    rate = {kind: n / best[kind]["seconds"] for kind in best}
    ratio = rate["ours"] / rate["bare"]
    ok = ratio >= TARGET and counts["ours"]["products"] == n and best["ours"]["refused"] == 0
    o, b = best["ours"], best["bare"]
    lines = [f"# Product import benchmark: {n:,} products", ""]
    lines += ["| Machine | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in machine().items()]
    lines += [f"| Load average (1 min) | {load_before} before, {load_after} after |", ""]
    lines += [f"Each run a child process on a fresh store, timed inside it from opening the file to the commit; "
              f"best of {args.rounds} after a warm-up.", "",
              "| | rows/s | seconds | CPU seconds | written |", "|---|---:|---:|---:|---|",
              f"| ours: `import_products(FILE, apply=True)` | {rate['ours']:,.0f} | {o['seconds']:.2f} "
              f"(check {o['check_seconds']:.2f}, write {o['write_seconds']:.2f}) | {o['cpu']:.2f} | "
              f"{counts['ours']['products']:,} products, {counts['ours']['tax_links']:,} tax links, "
              f"{counts['ours']['audit']:,} audit entries, {counts['ours']['events']:,} events |",
              f"| baseline: `csv.reader` + sqlite3 `executemany`, unchecked | {rate['bare']:,.0f} | {b['seconds']:.2f} "
              f"| {b['cpu']:.2f} | {counts['bare']['products']:,} products |", "",
              f"Ours / baseline: **{ratio:.2f}×** the rows per second (target ≥ {TARGET}×: "
              f"**{'met' if ratio >= TARGET else 'missed'}**).", "",
              f"The whole command, `pos products import FILE --apply` (start to exit): {command_seconds:.1f} s.", "",
              "All runs (seconds): ours " + ", ".join(f"{r['seconds']:.2f}" for r in runs["ours"])
              + "; baseline " + ", ".join(f"{r['seconds']:.2f}" for r in runs["bare"]) + "."]
    results = [{"bench": "product_import", "name": f"import {n:,} products (checked, one transaction)",
                "ours": round(rate["ours"]), "baseline": round(rate["bare"]), "unit": "rows/s",
                "baseline_label": "csv.reader + sqlite3 executemany INSERT, unchecked",
                "ratio": round(ratio, 3), "target": f"ratio >= {TARGET}"}]
    (OUT / "product_import.json").write_text(json.dumps(results, indent=2) + "\n")
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.write_text(report)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
