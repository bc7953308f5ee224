"""Many rows into one table in one statement per batch (`executemany`), inside the caller's
write transaction: a bulk import writes hundreds of thousands of token, audit and outbox rows,
and building each batch's SQL through the ORM would cost more than writing it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from peewee import DateTimeField
from peewee import __exception_wrapper__ as driver_errors

from pos_tui.db import database, is_sqlite


def db_value(value: object) -> object:
    """A value as the driver takes it: on SQLite a timestamp as the text peewee stores."""
    if isinstance(value, datetime) and is_sqlite():
        return str(value)
    return value


def times(fields: Iterable) -> list[bool]:
    """Which of these fields the driver must be given as text (timestamps, on SQLite)."""
    sqlite = is_sqlite()
    return [sqlite and isinstance(f, DateTimeField) for f in fields]


def insert(model, rows: Iterable[dict]) -> int:
    """Insert `rows` (dicts keyed by the model's field names, all with the same keys) into the
    model's table; returns how many."""
    rows = list(rows)
    if not rows:
        return 0
    names = list(rows[0])
    return insert_values(model, names, [[row[name] for name in names] for row in rows])


def insert_values(model, names: list[str], rows: list[list]) -> int:
    """Insert `rows`, each a list of values in the order of the field `names`, into the model's
    table (what `insert` does without a dict per row); returns how many."""
    if not rows:
        return 0
    meta = model._meta
    columns = ", ".join(f'"{meta.fields[name].column_name}"' for name in names)
    marks = ", ".join([database.param] * len(names))
    sql = f'INSERT INTO "{meta.table_name}" ({columns}) VALUES ({marks})'
    convert = [i for i, flag in enumerate(times(meta.fields[name] for name in names)) if flag]
    if convert:
        for values in rows:
            for i in convert:
                if values[i] is not None:
                    values[i] = str(values[i])

    with driver_errors:  # as peewee's own errors (IntegrityError, …), whatever the driver
        if is_sqlite():
            database.cursor().executemany(sql, rows)
        else:  # psycopg2's executemany sends one statement per row; this, one per thousand
            from psycopg2.extras import execute_values

            execute_values(database.cursor(), f'INSERT INTO "{meta.table_name}" ({columns}) VALUES %s',
                           rows, page_size=1000)
    return len(rows)
