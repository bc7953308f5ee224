"""Many rows into one table in one statement per batch (`executemany`), inside the caller's
write transaction: a bulk import writes hundreds of thousands of token, audit and outbox rows,
and building each batch's SQL through the ORM would cost more than writing it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pos_tui.db import database, is_sqlite


def db_value(value: object) -> object:
    """A value as the driver takes it: on SQLite a timestamp as the text peewee stores."""
    if isinstance(value, datetime) and is_sqlite():
        return str(value)
    return value


def insert(model, rows: Iterable[dict]) -> int:
    """Insert `rows` (dicts keyed by the model's field names, all with the same keys) into the
    model's table; returns how many."""
    rows = list(rows)
    if not rows:
        return 0
    meta = model._meta
    names = list(rows[0])
    columns = ", ".join(f'"{meta.fields[name].column_name}"' for name in names)
    values = [[db_value(row[name]) for name in names] for row in rows]
    if not is_sqlite():  # psycopg2's executemany sends one statement per row; this, one per thousand
        from psycopg2.extras import execute_values

        execute_values(database.cursor(), f'INSERT INTO "{meta.table_name}" ({columns}) VALUES %s', values,
                       page_size=1000)
        return len(rows)
    marks = ", ".join([database.param] * len(names))
    sql = f'INSERT INTO "{meta.table_name}" ({columns}) VALUES ({marks})'
    database.cursor().executemany(sql, values)
    return len(rows)
