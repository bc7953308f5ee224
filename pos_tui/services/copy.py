"""A whole store copied from one database into another: SQLite into PostgreSQL when the tills move
to several hosts, and back (`pos db copy`).

The source is read in one read transaction (a consistent snapshot even while tills sell); the
target is written in one transaction, table after table in the order of their foreign keys, each
row with the same id. Before that transaction commits, every table's row count and every money
column's total (and the loyalty points) are read back from the target and compared with the
source's: any difference rolls the whole copy back. PostgreSQL's id counters are then moved past
the copied ids, so that the next sale gets the next id. A target that already holds a store is
refused: a copy never merges two stores.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from peewee import BooleanField, Database, DateTimeField, PostgresqlDatabase, SqliteDatabase, UUIDField, sort_models

from pos_tui import db, models
from pos_tui.errors import PosError
from pos_tui.i18n import _
from pos_tui.services import customer_search, product_search

#: Rows read and written at a time.
BATCH = 2_000


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int
    totals: dict[str, int]  # money (and points) column -> sum, the same on both sides


@dataclass(frozen=True)
class CopyResult:
    source: str
    target: str
    tables: list[TableCopy]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def _models() -> list:
    return sort_models(models.ALL_MODELS)  # a table after the tables it refers to


def _columns(model) -> list:
    return list(model._meta.sorted_fields)


def _summed(model) -> list[str]:
    """The columns whose totals must agree: money in minor units, and points."""
    return [f.column_name for f in _columns(model) if f.column_name.endswith("_minor") or f.column_name == "points"]


def _quote(name: str) -> str:
    return f'"{name}"'


def _order_by(model) -> str:
    meta = model._meta
    if meta.composite_key:
        return ", ".join(_quote(meta.fields[name].column_name) for name in meta.primary_key.field_names)
    return _quote(meta.primary_key.column_name)


def _converters(model, target: Database) -> list[Callable[[object], object]]:
    """Per column: a value as the source's driver returned it -> as the target's driver takes it."""
    to_sqlite = isinstance(target, SqliteDatabase)
    out = []
    for field in _columns(model):
        if isinstance(field, BooleanField):
            out.append((lambda v: None if v is None else int(bool(v))) if to_sqlite
                       else (lambda v: None if v is None else bool(v)))
        elif isinstance(field, DateTimeField):
            out.append((lambda v, f=field: None if v is None else str(f.python_value(v))) if to_sqlite
                       else (lambda v, f=field: f.python_value(v)))
        elif isinstance(field, UUIDField):
            out.append((lambda v: None if v is None else uuid.UUID(str(v)).hex) if to_sqlite
                       else (lambda v: None if v is None else str(uuid.UUID(str(v)))))
        else:
            out.append(lambda v: v)
    return out


def _read(source: Database, model) -> Iterator[list[tuple]]:
    """The table's rows in primary-key order, a batch at a time (on PostgreSQL through a
    server-side cursor, so a million rows never sit in memory at once)."""
    columns = ", ".join(_quote(f.column_name) for f in _columns(model))
    sql = f"SELECT {columns} FROM {_quote(model._meta.table_name)} ORDER BY {_order_by(model)}"
    if isinstance(source, PostgresqlDatabase):
        cursor = source.connection().cursor(name=f"copy_{model._meta.table_name}", withhold=True)
        cursor.itersize = BATCH
        cursor.execute(sql)
    else:
        cursor = source.cursor()
        cursor.execute(sql)
    try:
        while True:
            rows = cursor.fetchmany(BATCH)
            if not rows:
                return
            yield rows
    finally:
        cursor.close()


def _write(target: Database, model, rows: list[tuple]) -> None:
    columns = ", ".join(_quote(f.column_name) for f in _columns(model))
    table = _quote(model._meta.table_name)
    cursor = target.cursor()
    if isinstance(target, PostgresqlDatabase):
        from psycopg2.extras import execute_values

        execute_values(cursor, f"INSERT INTO {table} ({columns}) VALUES %s", rows, page_size=BATCH)
    else:
        marks = ", ".join([target.param] * len(_columns(model)))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _figures(database: Database, model) -> tuple[int, dict[str, int]]:
    table, summed = _quote(model._meta.table_name), _summed(model)
    sums = ", ".join(f"COALESCE(SUM({_quote(c)}), 0)" for c in summed)
    row = database.execute_sql(f"SELECT COUNT(*){', ' + sums if sums else ''} FROM {table}").fetchone()
    return int(row[0]), {column: int(value) for column, value in zip(summed, row[1:])}


def _schema_version(database: Database) -> int | None:
    try:
        row = database.execute_sql("SELECT value FROM schema_info WHERE key = 'version'").fetchone()
    except Exception:  # noqa: BLE001 - no schema at all
        return None
    return int(row[0]) if row else 0


def _restart_counters(target: Database) -> None:
    """PostgreSQL: each table's id counter past the largest id copied."""
    if not isinstance(target, PostgresqlDatabase):
        return
    for model in _models():
        pk = model._meta.primary_key
        if model._meta.composite_key or not pk.field_type == "AUTO":
            continue
        table, column = model._meta.table_name, pk.column_name
        target.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                           f"COALESCE((SELECT MAX({_quote(column)}) FROM {_quote(table)}), 0) + 1, false)")


def copy_store(source: str, target: str, progress: Callable[[str, int], None] | None = None) -> CopyResult:
    """Copy the whole store at `source` (a path or URL) into `target`, which must hold no store yet
    (its tables are made when missing). Leaves the models bound to the target."""
    started = time.monotonic()
    if db.resolve_target(source) == db.resolve_target(target):
        raise PosError(_("The source and the target are the same database."))
    path = db.sqlite_file(source)
    if path is not None and not path.exists():
        raise PosError(_("{source} holds no pos-tui store.").format(source=db.describe(source)))
    src = db.make_database(source)
    src.connect()
    try:
        version = _schema_version(src)
        if version is None:
            raise PosError(_("{source} holds no pos-tui store.").format(source=db.describe(source)))
        if version != db.SCHEMA_VERSION:
            raise PosError(_("{source} has schema version {found}, this program {known}: run `pos db init` on it "
                             "with the newer of the two first.").format(
                source=db.describe(source), found=version, known=db.SCHEMA_VERSION))
        db.open_database(target)  # the tables, made when missing
        dst = db.database.obj
        busy = [m._meta.table_name for m in _models() if m is not models.SchemaInfo
                and dst.execute_sql(f"SELECT 1 FROM {_quote(m._meta.table_name)} LIMIT 1").fetchone()]
        if busy:
            raise PosError(_("{target} is not empty (it has rows in {tables}): copy into an empty database.").format(
                target=db.describe(target), tables=", ".join(busy[:5])))
        tables = []
        with src.atomic() if isinstance(src, SqliteDatabase) else src.atomic(isolation_level="REPEATABLE READ"):
            with db.write():
                if isinstance(dst, PostgresqlDatabase):
                    customer_search.drop_postgres_index()  # built once at the end: faster than row by row
                    product_search.drop_postgres_index()
                for model in _models():
                    if model is models.SchemaInfo:
                        continue
                    convert = _converters(model, dst)
                    copied = 0
                    for rows in _read(src, model):
                        _write(dst, model, [tuple(f(v) for f, v in zip(convert, row)) for row in rows])
                        copied += len(rows)
                        if progress:
                            progress(model._meta.table_name, copied)
                    expected, got = _figures(src, model), _figures(dst, model)
                    if expected != got or expected[0] != copied:
                        raise PosError(_("The copy of {table} does not add up ({expected} in the source, {got} "
                                         "copied): nothing was copied.").format(
                            table=model._meta.table_name, expected=expected, got=got))
                    tables.append(TableCopy(model._meta.table_name, got[0], got[1]))
                _restart_counters(dst)
                if isinstance(dst, PostgresqlDatabase):
                    customer_search.ensure_postgres_index()
                    product_search.ensure_index()
    finally:
        src.close()
    if isinstance(dst, PostgresqlDatabase):
        dst.execute_sql("VACUUM ANALYZE")  # the planner's statistics, for the search above all
    return CopyResult(db.describe(source), db.describe(target), tables, time.monotonic() - started)
