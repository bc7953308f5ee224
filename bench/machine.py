"""What the benchmarks ran on, for the tables every report begins with."""

from __future__ import annotations

import os
import platform
import sqlite3
from datetime import datetime, timezone
from pathlib import Path


def _proc(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def machine(pg: str = "", date: bool = True) -> dict[str, str]:
    """CPU, cores (and how many this process may use), memory, OS, Python, SQLite; the PostgreSQL
    server when `pg` names it; the time now unless `date` is False (a report that dates itself)."""
    cpu = _proc("/proc/cpuinfo", "model name") or platform.processor() or platform.machine()
    memory = _proc("/proc/meminfo", "MemTotal")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    facts = {"CPU": cpu, "Cores": f"{os.cpu_count()} logical ({usable} usable)",
             "Memory": f"{int(memory.split()[0]) / 1024 / 1024:.1f} GB" if memory else "",
             "OS": platform.platform(), "Python": platform.python_version(), "SQLite": sqlite3.sqlite_version}
    if pg:
        facts["PostgreSQL"] = pg + ", same host"
    if date:
        facts["Date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return facts
