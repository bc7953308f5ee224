"""Backups, restores and checks of the store's SQLite database (`pos db backup|restore|check`).

A backup is `VACUUM INTO` a new file: one read transaction, so the copy is the database as it
was at one instant, while tills go on selling (in WAL mode readers and the writer do not wait for
each other). It is written beside the target under a temporary name, synced, checked
(`integrity_check`) and only then renamed into place.

A restore checks the file first (a SQLite database, `integrity_check` ok, foreign keys sound, a
pos-tui schema this program knows), refuses while another process has the database open (a till
running, even idle at its login) unless forced, keeps a copy of the database it replaces beside
it (`NAME.before-restore-YYYYMMDD-HHMMSS.sqlite3`), then copies the backup in through SQLite's
backup API — under SQLite's own locks, so even a forced restore never leaves a till with a torn
file — and upgrades its schema if it was older.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from peewee import SqliteDatabase

from pos_tui import db, models
from pos_tui.errors import PosError, StateError
from pos_tui.i18n import _
from pos_tui.money import LineInput, compute_totals

SQLITE_MAGIC = b"SQLite format 3\x00"


# Where the database is ------------------------------------------------------------------------------


def _file_of(database) -> Path:
    if not isinstance(database, SqliteDatabase):
        raise StateError(_("Backups, restores and checks here are for SQLite; use a server database's own "
                           "tools (pg_dump)."))
    name = database.database
    if name in ("", ":memory:"):
        raise StateError(_("An in-memory database cannot be backed up."))
    return Path(name).resolve()


def database_file() -> Path:
    """The SQLite file the models are bound to; a refusal for other engines."""
    return _file_of(db.database.obj)


def sqlite_path(target: str | None) -> Path:
    """The file a `--db` target (path or URL) names, without opening it."""
    return _file_of(db.make_database(db.resolve_target(target)))


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(path: Path) -> None:
    try:
        _sync(path)
    except OSError:  # some file systems cannot sync a directory
        pass


# Reading a database file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FileInfo:
    path: Path
    bytes: int
    schema_version: int
    customers: int
    orders: int
    invoices: int
    last_event: int
    integrity: str


def _readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def _count(conn: sqlite3.Connection, table: str, where: str = "") -> int:
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table} {where}").fetchone()[0]
    except sqlite3.OperationalError:  # an older schema without that table
        return 0


def inspect(path: Path) -> FileInfo:
    """What a database file holds, after checking it is sound: refuses what is not a SQLite
    database, is damaged, or is not a pos-tui database this program can use."""
    path = Path(path)
    if not path.is_file():
        raise PosError(_("No file {path}.").format(path=path))
    with open(path, "rb") as handle:
        if handle.read(16) != SQLITE_MAGIC:
            raise PosError(_("{path} is not a SQLite database.").format(path=path))
    try:
        conn = _readonly(path)
    except sqlite3.Error as exc:
        raise PosError(_("{path} cannot be opened: {error}").format(path=path, error=exc)) from None
    try:
        try:
            found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            raise PosError(_("{path} is damaged: {error}").format(path=path, error=exc)) from None
        if found != ["ok"]:
            raise PosError(_("{path} is damaged: {problems}").format(path=path, problems="; ".join(found[:5])))
        try:
            row = conn.execute("SELECT value FROM schema_info WHERE key = 'version'").fetchone()
        except sqlite3.OperationalError:
            row = None
        if row is None:
            raise PosError(_("{path} is not a pos-tui database (it has no schema version).").format(path=path))
        version = int(row[0])
        if version > db.SCHEMA_VERSION:
            raise PosError(_("{path} has schema version {found}; this program knows up to {known}. Upgrade "
                             "pos-tui.").format(path=path, found=version, known=db.SCHEMA_VERSION))
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise PosError(_("{path} has {n} rows pointing at rows that do not exist (table {table}).").format(
                path=path, n=len(broken), table=broken[0][0]))
        try:
            last_event = conn.execute("SELECT MAX(cursor) FROM outbox").fetchone()[0] or 0
        except sqlite3.OperationalError:
            last_event = 0
        return FileInfo(path, path.stat().st_size, version, _count(conn, "customer"),
                        _count(conn, "sale_order", "WHERE state = 'paid'"), _count(conn, "invoice"), last_event, "ok")
    finally:
        conn.close()


# Backup ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupResult:
    info: FileInfo
    seconds: float


def backup(target: Path | str, *, overwrite: bool = False) -> BackupResult:
    """A consistent copy of the store's database at `target`, made while tills go on selling."""
    source = database_file()
    target = Path(target).expanduser().resolve()
    if target == source:
        raise PosError(_("The backup cannot be the database itself."))
    if target.exists() and not overwrite:
        raise PosError(_("{path} exists: choose another name, or --force to replace it.").format(path=target))
    if not target.parent.is_dir():
        raise PosError(_("No folder {path}.").format(path=target.parent))
    started = time.perf_counter()
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        db.database.execute_sql("VACUUM INTO ?", (str(partial),))
        _sync(partial)
        info = inspect(partial)
        os.replace(partial, target)
        _sync_dir(target.parent)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(dataclasses.replace(info, path=target), time.perf_counter() - started)


# Restore ---------------------------------------------------------------------------------------------


def in_use(path: Path) -> bool:
    """Another process has the database open (a till, even idle): it holds a lock that an
    exclusive one cannot get past."""
    if not path.exists():
        return False
    conn = sqlite3.connect(str(path), timeout=0, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


@dataclass(frozen=True)
class RestoreResult:
    restored: FileInfo
    replaced_copy: Path | None  # the database as it was before, kept beside it
    schema_upgraded: bool
    seconds: float


def restore(source: Path | str, target: Path | str, *, force: bool = False) -> RestoreResult:
    """Replace the database at `target` with the backup at `source`. The caller has closed its
    own connection to `target`; it is opened again (and its schema upgraded) at the end."""
    started = time.perf_counter()
    source = Path(source).expanduser().resolve()
    target = Path(target).expanduser().resolve()
    if source == target:
        raise PosError(_("The backup is the database itself."))
    info = inspect(source)
    if in_use(target) and not force:
        raise StateError(_("{path} is in use by another process (a till?): close it first, or --force to "
                           "restore under it.").format(path=target))
    copy = None
    if target.exists():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        copy = target.with_name(f"{target.stem}.before-restore-{stamp}{target.suffix or '.sqlite3'}")
        current = sqlite3.connect(str(target), timeout=30)
        try:
            current.execute("VACUUM INTO ?", (str(copy),))
        finally:
            current.close()
        _sync(copy)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = _readonly(source)
    dst = sqlite3.connect(str(target), timeout=30)
    try:
        src.backup(dst)
    except sqlite3.Error as exc:
        raise PosError(_("The restore failed, {path} is unchanged: {error}").format(path=target, error=exc)) from None
    finally:
        src.close()
        dst.close()
    _sync_dir(target.parent)
    db.open_database(str(target))
    upgraded = info.schema_version < db.schema_version()
    db.close_database()
    restored = inspect(target)
    return RestoreResult(restored, copy, upgraded, time.perf_counter() - started)


# Check -----------------------------------------------------------------------------------------------


@dataclass
class Finding:
    check: str  # integrity | foreign_keys | loyalty | invoice_numbers | order_totals | payments | stock | …
    title: str
    problems: list[str] = field(default_factory=list)
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


#: Problems listed per check; the count says how many there are in all.
SHOWN = 50


def _integrity() -> Finding:
    finding = Finding("integrity", _("The file is sound (integrity_check)"))
    if not db.is_sqlite():
        finding.skipped = _("SQLite only; the server checks its own files")
        return finding
    rows = [row[0] for row in db.database.execute_sql("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        finding.problems = rows
    return finding


def _foreign_keys() -> Finding:
    finding = Finding("foreign_keys", _("Every reference points at a row that exists"))
    if not db.is_sqlite():
        finding.skipped = _("enforced by the server")
        return finding
    for table, rowid, parent, _index in db.database.execute_sql("PRAGMA foreign_key_check").fetchall():
        finding.problems.append(_("{table} row {rowid}: no such {parent}").format(
            table=table, rowid=rowid, parent=parent))
    return finding


def _loyalty() -> Finding:
    finding = Finding("loyalty", _("Loyalty points match the ledger"))
    if not hasattr(models, "LoyaltyEntry"):
        finding.skipped = _("no loyalty ledger in this version")
        return finding
    from peewee import JOIN, fn

    C, E = models.Customer, models.LoyaltyEntry
    sums = E.select(E.customer, fn.SUM(E.points).alias("total")).group_by(E.customer).alias("sums")
    query = (C.select(C.id, C.name, C.points, fn.COALESCE(sums.c.total, 0))
             .join(sums, JOIN.LEFT_OUTER, on=(sums.c.customer_id == C.id))
             .where(C.points != fn.COALESCE(sums.c.total, 0)).tuples())
    for customer_id, name, points, ledger in query:
        finding.problems.append(_("customer {id} ({name}): {points} points, the ledger adds up to {ledger}")
                                .format(id=customer_id, name=name, points=points, ledger=int(ledger)))
    return finding


def _invoice_numbers() -> Finding:
    """Per series: the numbers run 1, 2, 3… with none missing, up to the series' counter."""
    finding = Finding("invoice_numbers", _("Invoice numbers have no gaps (per series)"))
    I, S = models.Invoice, models.Sequence
    taken: dict[str, list[int]] = defaultdict(list)
    for series, number in I.select(I.series, I.number).tuples().iterator():
        try:
            taken[series].append(int(number.rsplit("-", 1)[1]))
        except (IndexError, ValueError):
            finding.problems.append(_("{number}: not a number of series {series}").format(number=number, series=series))
    counters = {name.split(":", 1)[1]: value for name, value in
                S.select(S.name, S.last_value).where(S.name.startswith("invoice:")).tuples()}
    for series in sorted(set(taken) | set(counters)):
        numbers = sorted(taken.get(series, []))
        top = max(numbers[-1] if numbers else 0, counters.get(series, 0))
        present = set(numbers)
        missing = [n for n in range(1, top + 1) if n not in present]
        if missing:
            shown = ", ".join(f"{series}-{n:06d}" for n in missing[:10]) + (" …" if len(missing) > 10 else "")
            finding.problems.append(_("series {series}: {n} numbers missing: {numbers}").format(
                series=series, n=len(missing), numbers=shown))
    return finding


def _order_totals() -> Finding:
    """Paid orders whose stored totals are not what their lines give (the pricing rules'
    `compute_totals`, as `pricing.order_totals` computes them), read in one pass."""
    from pos_tui.services import pricing

    finding = Finding("order_totals", _("Paid orders' totals agree with their lines"))
    mode = pricing.rounding_mode()
    O, L = models.Order, models.OrderLine
    orders = (O.select(O.id, O.number, O.order_discount_bp, O.net_minor, O.tax_minor, O.total_minor)
              .where(O.state == "paid").order_by(O.id).tuples().iterator())
    lines = (L.select(L.order, L.unit_price_minor, L.quantity, L.tax_rate_bp, L.price_includes_tax, L.discount_bp)
             .join(O, on=(L.order == O.id)).where(O.state == "paid").order_by(L.order, L.id).tuples().iterator())
    pending = next(lines, None)
    count = 0
    for order_id, number, order_discount, net, tax, total in orders:
        inputs = []
        while pending is not None and pending[0] < order_id:
            pending = next(lines, None)
        while pending is not None and pending[0] == order_id:
            _oid, price, quantity, rate, includes, discount = pending
            inputs.append(LineInput(price, quantity, rate, bool(includes), discount, order_discount))
            pending = next(lines, None)
        if not inputs:
            continue  # a payment on account: no lines, nothing to add up
        expected = compute_totals(inputs, mode)
        if (expected.net_minor, expected.tax_minor, expected.total_minor) != (net, tax, total):
            count += 1
            if count <= SHOWN:
                finding.problems.append(
                    _("order {number} (id {id}): stored net/tax/total {stored}, its lines give {expected}").format(
                        number=number, id=order_id, stored=f"{net}/{tax}/{total}",
                        expected=f"{expected.net_minor}/{expected.tax_minor}/{expected.total_minor}"))
    if count > SHOWN:
        finding.problems.append(_("… and {n} more").format(n=count - SHOWN))
    return finding


def _payments() -> Finding:
    finding = Finding("payments", _("Payments add up to each paid order's total"))
    from peewee import JOIN, fn

    O, P = models.Order, models.Payment
    paid = fn.COALESCE(fn.SUM(P.amount_minor), 0)
    query = (O.select(O.id, O.number, O.total_minor, paid).join(P, JOIN.LEFT_OUTER, on=(P.order == O.id))
             .where(O.state == "paid").group_by(O.id).having(paid != O.total_minor).order_by(O.id).tuples())
    count = 0
    for order_id, number, total, got in query.iterator():
        count += 1
        if count <= SHOWN:
            finding.problems.append(_("order {number} (id {id}): total {total}, payments add up to {paid}").format(
                number=number, id=order_id, total=total, paid=int(got)))
    if count > SHOWN:
        finding.problems.append(_("… and {n} more").format(n=count - SHOWN))
    return finding


def _stock() -> Finding:
    """The stock ledger: every paid sale's and refund's line of a tracked product has its move,
    a voided sale's its `void` move too, and no move is of a product not tracked in stock."""
    from pos_tui.services import stock

    finding = Finding("stock", _("The stock ledger matches what was sold, refunded and voided"))
    finding.problems = stock.check_ledger(SHOWN)
    return finding


def _product_taxes() -> Finding:
    from pos_tui.services import taxes

    finding = Finding("product_taxes", _("Each product's tax rate is the sum of its taxes"))
    finding.problems = [_("{ref}: its stored rate is not the sum of its taxes").format(ref=sku)
                        for sku in taxes.check_rate_consistency()]
    return finding


CHECKS = (_integrity, _foreign_keys, _loyalty, _invoice_numbers, _order_totals, _payments, _stock, _product_taxes)


def check() -> list[Finding]:
    """Every check of the database, each with what it found (amounts in minor units). On
    another engine than SQLite the file checks are skipped; the others run alike."""
    return [run() for run in CHECKS]


def findings_doc(findings: list[Finding]) -> list[dict]:
    return [{"check": f.check, "title": f.title, "ok": f.ok, "skipped": f.skipped or None, "problems": f.problems}
            for f in findings]


def dumps(findings: list[Finding]) -> str:
    return json.dumps(findings_doc(findings), ensure_ascii=False, indent=2)
