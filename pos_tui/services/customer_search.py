"""Finding a customer among a million while the cashier types.

Each customer has search tokens: the words of their name (folded: lower case, no accents), and,
each behind a marker, their phone digits (`#`, and reversed under `~` so the last digits find them
too), email (`@`), tax ID (`$`) and loyalty card (`%`). A token row carries the customer's rank
(`score`: recent and frequent customers first), so a prefix is answered from one index range.

A prefix shared by a great many customers ("a", "ma") would make that range long; then the
search walks the customers by rank instead and keeps the first ones whose tokens match, which
for a common prefix ends after a few rows. The cut-over (`RANGE_LIMIT`) bounds both ways.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime

from peewee import fn

from pos_tui import models
from pos_tui.db import is_sqlite

#: Above this many token matches the search walks customers by rank instead.
RANGE_LIMIT = 4000
PHONE, PHONE_REVERSED, EMAIL, TAX_ID, CARD = "#", "~", "@", "$", "%"
_NON_WORD = re.compile(r"[^0-9a-z]+")
_PHONE_TEXT = re.compile(r"^[\d\s\-\.\(\)\+/]+$")


def fold(text: str) -> str:
    """Lower case, accents and punctuation gone: "José-María Núñez" -> "jose maria nunez"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _NON_WORD.sub(" ", plain).strip()


def digits(text: str) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def name_key(name: str) -> str:
    """First and last word of the folded name: what "same first and last name" compares."""
    words = fold(name).split()
    if not words:
        return ""
    return words[0] if len(words) == 1 else f"{words[0]} {words[-1]}"


def score(created_at: datetime, last_visit_at: datetime | None, visit_count: int) -> int:
    """Rank: the day of the last visit (or of creation), plus two weeks for each doubling of the
    number of visits, so a regular ranks above someone seen once a little more recently."""
    day = (last_visit_at or created_at).date().toordinal()
    return day + 14 * int(math.log2(1 + visit_count))


def tokens(values: dict) -> set[str]:
    """Every search token of a customer, from its stored field values."""
    found: set[str] = set()
    for field in ("name", "fiscal_name"):
        found.update(fold(values.get(field) or "").split())
    for typed, e164 in ((values.get("phone"), values.get("phone_e164")),
                        (values.get("mobile"), values.get("mobile_e164"))):
        international = digits(e164 or "")
        for run in {digits(typed or ""), international} - {""}:
            found.add(PHONE + run)
        if international:
            found.add(PHONE_REVERSED + international[::-1])
    if values.get("email"):
        found.add(EMAIL + values["email"].lower())
    if values.get("tax_id"):
        compact = fold(values["tax_id"]).replace(" ", "")
        found.add(TAX_ID + compact)
        country = (values.get("tax_country") or "").lower()
        if country and compact.startswith(country) and len(compact) > len(country) + 2:
            found.add(TAX_ID + compact[len(country):])  # "esb46020376" is found by "b4602" too
    if values.get("loyalty_card"):
        found.add(CARD + fold(values["loyalty_card"]).replace(" ", ""))
    return {t[:254] for t in found}


def search_key(token_set: Iterable[str]) -> str:
    """All tokens in one text, each behind a space, so `' ' + prefix` finds a token prefix."""
    return " " + " ".join(sorted(token_set)) + " "


def write_tokens(customer_id: int, token_set: set[str], rank: int) -> None:
    """Replace a customer's token rows (inside the caller's transaction)."""
    T = models.CustomerToken
    T.delete().where(T.customer == customer_id).execute()
    if token_set:
        T.insert_many([{"token": t, "score": rank, "customer": customer_id} for t in token_set]).execute()


def drop_tokens(customer_id: int) -> None:
    T = models.CustomerToken
    T.delete().where(T.customer == customer_id).execute()


def rerank(customer_id: int, rank: int) -> None:
    T = models.CustomerToken
    T.update(score=rank).where(T.customer == customer_id).execute()


# Queries --------------------------------------------------------------------------------------


def query_groups(query: str) -> list[list[str]]:
    """What to look for: groups of token prefixes; a customer matches a group when each of its
    prefixes starts one of their tokens, and the results of the groups are added together."""
    text = (query or "").strip()
    if not text:
        return []
    groups: list[list[str]] = []
    number = digits(text)
    if _PHONE_TEXT.match(text) and len(number) >= 3:
        groups += [[PHONE + number], [PHONE_REVERSED + number[::-1]], [TAX_ID + number], [CARD + number]]
        return groups
    words = fold(text).split()
    if words:
        groups.append(words)
    if len(text.split()) == 1:
        if "@" in text or "." in text:
            groups.append([EMAIL + text.lower()])
        compact = fold(text).replace(" ", "")
        if compact and any(ch.isdigit() for ch in compact):
            groups += [[TAX_ID + compact], [CARD + compact]]
    return groups


def _after(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _contains(prefix: str):
    """SQL: the customer's search key holds a token starting with `prefix`."""
    position = fn.instr if is_sqlite() else fn.strpos
    return position(models.Customer.search_key, " " + prefix) > 0


def _range(prefix: str, limit: int) -> list[tuple[int, int]] | None:
    """(customer, score) for tokens starting with `prefix`, or None when there are too many."""
    T = models.CustomerToken
    rows = list(T.select(T.customer, T.score)
                .where((T.token >= prefix) & (T.token < _after(prefix)))
                .limit(limit + 1).tuples())
    return None if len(rows) > limit else rows


def _group(prefixes: list[str], limit: int) -> list[tuple[int, int]]:
    """The best `limit` (customer, score) matching every prefix of the group."""
    best: tuple[str, list[tuple[int, int]]] | None = None
    for prefix in prefixes:
        rows = _range(prefix, RANGE_LIMIT)
        if rows is not None and (best is None or len(rows) < len(best[1])):
            best = (prefix, rows)
            if not rows:
                return []
    C = models.Customer
    if best is None:  # every prefix is common: walk customers by rank
        condition = C.archived == False  # noqa: E712
        for prefix in prefixes:
            condition &= _contains(prefix)
        return list(C.select(C.id, C.score).where(condition)
                    .order_by(C.score.desc()).limit(limit).tuples())
    chosen, rows = best
    others = [p for p in prefixes if p != chosen]
    if others:  # the rarest prefix gives the candidates; the others filter them
        T = models.CustomerToken
        condition = (T.token >= chosen) & (T.token < _after(chosen))
        for prefix in others:
            condition &= _contains(prefix)
        return list(C.select(C.id, C.score).join(T, on=(T.customer == C.id)).where(condition)
                    .distinct().order_by(C.score.desc()).limit(limit).tuples())
    ranked: dict[int, int] = {}
    for customer, rank in rows:
        ranked[customer] = rank
    return sorted(ranked.items(), key=lambda item: -item[1])[:limit]


def search_ids(query: str, limit: int = 30) -> list[int]:
    """Customer ids matching `query`, best ranked first. Archived customers have no tokens."""
    groups = query_groups(query)
    C = models.Customer
    if not groups:
        if (query or "").strip():
            return []
        return [row for row, in C.select(C.id).where(C.archived == False)  # noqa: E712
                .order_by(C.score.desc()).limit(limit).tuples()]
    found: dict[int, int] = {}
    for group in groups:
        for customer, rank in _group(group, limit):
            found[customer] = rank
    return [customer for customer, _rank in sorted(found.items(), key=lambda item: -item[1])[:limit]]
