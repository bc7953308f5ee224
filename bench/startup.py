"""Start-up: from the process starting to the sale screen taking a scan, against a bare Textual app.

    python -m bench.startup [--customers N] [--db PATH] [--runs 7]

Ours: `python -m pos_tui --db FILE --till T1` exactly as a cashier starts it (the `pos` command's
code: the CLI, the database opened and its schema checked, the Textual app), on a store with a
session open on T1 — except that `PosApp.run` is swapped for Textual's headless `run_test`, so
that keys can be sent without a terminal. The clock runs from just before the process is spawned
until (1) the login screen is up and takes keys, and (2) after Ana's PIN and Enter (the PIN is
checked, scrypt, as at every login), the sale screen is up and a code typed with Enter is in the
cart — the till is usable.

Baseline, in the same run, the same way: a Textual app with nothing but one Input, started in a
new process, until a key typed shows in it. (And, for scale, `python -c "import textual"`.)

Each is run `--runs` times, alternating; the medians are kept. The store: the demo store, plus
`--customers` generated customers (the start-up reads nothing per customer, so it should not
grow with them). Report: bench/out/startup.md and startup.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CODE = "P001"


def keys(app, text: str) -> None:
    """Keys as a terminal sends them: posted to the app at once (Pilot's `press` waits for the
    screen to settle after each key, which would time the harness rather than the till)."""
    from textual import events

    for ch in text:
        key = "enter" if ch == "\r" else ch
        app.post_message(events.Key(key, None if key == "enter" else ch))


def _child_ours(db_path: str) -> None:
    """In the child: run the `pos` command, with the app driven headless."""
    from pos_tui import app as app_module
    from pos_tui import cli

    def drive(self, *args, **kwargs):
        async def go():
            from pos_tui.screens.login import LoginScreen
            from pos_tui.screens.sale import SaleScreen

            async with self.run_test(size=(80, 24)) as pilot:
                while not isinstance(self.screen, LoginScreen):
                    await pilot.pause(0.001)
                print(f"login {time.time()}", flush=True)
                keys(self, "1234\r")
                while not isinstance(self.screen, SaleScreen):
                    await pilot.pause(0.001)
                keys(self, CODE + "\r")
                while not self.screen.sale or not self.screen.sale.lines:
                    await pilot.pause(0.001)
                print(f"sale {time.time()}", flush=True)

        asyncio.run(go())

    app_module.PosApp.run = drive
    sys.argv = ["pos", "--db", db_path, "--till", "T1"]
    cli.main()


def _child_bare() -> None:
    """In the child: the smallest Textual app that takes a key."""
    from textual.app import App
    from textual.widgets import Input

    class Bare(App):
        def compose(self):
            yield Input()

    async def go():
        app = Bare()
        async with app.run_test(size=(80, 24)) as pilot:
            keys(app, "x")
            while app.query_one(Input).value != "x":
                await pilot.pause(0.001)
            print(f"sale {time.time()}", flush=True)

    asyncio.run(go())


def timed(argv: list[str]) -> dict[str, float]:
    """Seconds from the spawn to each mark the child prints."""
    started = time.time()
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "TEXTUAL_ANIMATIONS": "none"})
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{out.stderr[-2000:]}")
    marks = {}
    for line in out.stdout.splitlines():
        name, _, stamp = line.partition(" ")
        if name in ("login", "sale"):
            marks[name] = float(stamp) - started
    marks["exit"] = time.time() - started
    return marks


def prepare(path: Path, customers: int) -> None:
    from pos_tui import db
    from pos_tui.services import cashiers, demo, generator, sessions

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db.open_database(str(path))
    try:
        demo.load_demo()
        if customers:
            generator.generate(customers, 0, seed=42)
        sessions.open_session("T1", cashiers.find_cashier("Ana").id, 10_000)
    finally:
        db.close_database()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=0, help="generated customers in the store")
    parser.add_argument("--db", type=Path, default=OUT / "startup.sqlite3", help="made afresh")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", choices=("ours", "bare"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "ours":
        _child_ours(str(args.db))
        return 0
    if args.child == "bare":
        _child_bare()
        return 0

    from bench.machine import machine

    OUT.mkdir(parents=True, exist_ok=True)
    prepare(args.db, args.customers)
    me = [sys.executable, "-m", "bench.startup", "--db", str(args.db), "--child"]
    ours, bare, imports = [], [], []
    timed(me + ["ours"])  # warm the file cache for both
    timed(me + ["bare"])
    for _ in range(args.runs):
        ours.append(timed(me + ["ours"]))
        bare.append(timed(me + ["bare"]))
        imports.append(timed([sys.executable, "-c", "import textual.app"])["exit"])
    login = statistics.median(r["login"] for r in ours)
    sale = statistics.median(r["sale"] for r in ours)
    base = statistics.median(r["sale"] for r in bare)
    imported = statistics.median(imports)
    ms = 1000
    lines = ["# Start-up to a usable sale screen", "", "| Machine | |", "|---|---|",
             *(f"| {k} | {v} |" for k, v in machine().items()),
             f"| Store | demo store + {args.customers:,} customers, a session open on T1 |", "",
             f"Medians of {args.runs} runs each, alternating, from spawning the process:", "",
             "| | ms |", "|---|---:|",
             f"| pos-tui: login screen up, taking keys | {login * ms:.0f} |",
             f"| pos-tui: PIN checked, sale screen up, a scan in the cart | **{sale * ms:.0f}** |",
             f"| baseline: an empty Textual app (one Input) showing a key typed | {base * ms:.0f} |",
             f"| for scale: `python -c \"import textual.app\"` | {imported * ms:.0f} |", "",
             f"pos-tui / bare Textual app: **{sale / base:.2f}×** to a usable sale screen "
             f"({login / base:.2f}× to the login screen)."]
    text = "\n".join(lines) + "\n"
    print(text)
    (OUT / "startup.md").write_text(text)
    results = [{"bench": "startup", "name": "start-up to a usable sale screen (login, PIN, a scan in the cart)",
                "ours": round(sale * ms, 1), "baseline": round(base * ms, 1), "unit": "ms",
                "baseline_label": "an empty Textual app (one Input) started the same way until a key shows",
                "ratio": round(sale / base, 2), "target": "ratio = ours / baseline, lower is better"},
               {"bench": "startup", "name": "start-up to the login screen",
                "ours": round(login * ms, 1), "baseline": round(base * ms, 1), "unit": "ms",
                "baseline_label": "the same empty Textual app", "ratio": round(login / base, 2),
                "target": "ratio = ours / baseline, lower is better"}]
    (OUT / "startup.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
