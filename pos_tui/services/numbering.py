"""Gapless numbers (order numbers per till, invoice numbers per series), taken inside the
transaction that uses them: the write lock (or a row lock elsewhere) makes tills wait their turn,
so no number is skipped or given twice.

On PostgreSQL the counter's `UPDATE … SET last_value = last_value + 1` is what locks its row (as
SELECT … FOR UPDATE would), until the transaction ends: a till on another host taking the next
number waits for that commit, then reads the committed value and adds one to it. A transaction
that rolls back gives its number back with it."""

from __future__ import annotations

from pos_tui import models


def next_value(name: str) -> int:
    """The next value of the counter `name` (inside the caller's write transaction)."""
    S = models.Sequence
    S.insert(name=name, last_value=0).on_conflict_ignore().execute()
    S.update(last_value=S.last_value + 1).where(S.name == name).execute()
    return S.select(S.last_value).where(S.name == name).scalar()


def next_order_number(till: str) -> str:
    """The till's next order number: T1-000001, T1-000002, …"""
    return f"{till}-{next_value(f'order:{till}'):06d}"


def next_values(name: str, count: int) -> range:
    """The next `count` values of the counter `name` at once (inside the caller's write
    transaction): what `count` calls of `next_value` would give, in one statement."""
    S = models.Sequence
    S.insert(name=name, last_value=0).on_conflict_ignore().execute()
    S.update(last_value=S.last_value + count).where(S.name == name).execute()
    last = S.select(S.last_value).where(S.name == name).scalar()
    return range(last - count + 1, last + 1)
