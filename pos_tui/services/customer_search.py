"""Finding a customer among a million while the cashier types.

Each customer has search tokens: the words of their name (folded: lower case, no accents), and,
each behind a marker, their phone digits (`#`, and reversed under `~` so the last digits find them
too), email (`@`), tax ID (`$`) and loyalty card (`%`). A token row carries the customer's rank
(`score`: recent and frequent customers first), so a prefix is answered from one index range.

A prefix shared by a great many customers ("a", "ma") would make that range long; then the
search walks the customers by rank instead and keeps the first ones whose tokens match, which
for a common prefix ends after a few rows. A prefix is common when more tokens start with it
than `_range_limit()` (RANGE_LIMIT at a million customers, less on a smaller table), found by
stepping over that many index entries. Then:

- a rare prefix: the best-ranked rows of its range, ranked by the database (a top-N sort fed
  from the end of the range, where each token's best customers are);
- several words, one of them rare: that word's best candidates, a few hundred at a time, each
  checked for the other words in the (customer, token) index;
- only common prefixes: the walk by rank, band by band; should the words rarely come together
  ("car gom le"), checking the rarest word's customers takes over when the density seen so
  far says it costs less.

The queries are plain SQL, a few per keystroke: at these speeds the query builder cost more
than the database. Only choices of plan are remembered between calls (prefixes found common,
where the bands of ranks start, roughly how many customers there are); every answer is read
from the database.

On PostgreSQL, the customers that hold a group's rare prefixes come from its own full-text
index instead: a stored generated column `search_tsv` holds the customer's tokens as a
`tsvector` (`array_to_tsvector` of `search_key`: no parsing, no stemming — the words were folded
here, so both engines fold alike), in a GIN index, and a group is a `tsquery` of prefix lexemes
(`'maria':* & 'gar':*`); the matches are ranked by PostgreSQL. Which prefixes are common is
still told by the token index (one B-tree probe: the GIN index cannot count cheaply, and
PostgreSQL's statistics cannot tell a common phone prefix from a rare one), and common prefixes
are still answered by the walk by rank. Same matches, same ranking. Where the column cannot be
made (before PostgreSQL 12, an engine without GIN), the token index serves PostgreSQL entirely.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections.abc import Iterable
from datetime import datetime

from pos_tui import models
from pos_tui.db import database, is_sqlite

#: Above this many token matches the search walks customers by rank instead. Both ways cost
#: about the same there: ranking n rows against walking the ~30 * customers / n best-ranked
#: customers such a prefix needs to fill a page, so the cut-over grows as the square root of the
#: number of customers (`_range_limit`): 10,000 at a million (~2 ms either way), 1,400 at 20,000.
RANGE_LIMIT = 10_000
#: A group of several words checks its rarest word's candidates this many at a time.
CANDIDATE_STAGES = (250, 2_500)
#: The walk by rank first looks at this many customers. Common words that rarely come together
#: ("car gom le") would make it read most of the table: past this point, the density seen so
#: far tells whether walking on or checking the rarest word's customers costs less.
WALK_LIMIT = 10_000
#: Checking a candidate in the index costs about this many steps of the walk.
_CHECK_COST = 6
_NO_LIMIT = 2**62
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


#: Words that say what kind of company, not who: "S.L.", "S.A. de C.V.", "GmbH"…
LEGAL_FORMS = frozenset({"sl", "slu", "sa", "sau", "sas", "sc", "scp", "cb", "de", "cv", "srl", "spa", "ltda",
                         "ltd", "llc", "inc", "corp", "gmbh", "ag", "bv", "nv", "plc", "sarl", "eirl"})


def significant_words(name: str) -> list[str]:
    """The folded words of a name that tell people apart: no initials, no legal forms."""
    return [w for w in fold(name).split() if len(w) > 1 and w not in LEGAL_FORMS]


def name_key(name: str) -> str:
    """First and last word of the folded name: what "same first and last name" compares."""
    words = significant_words(name)
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


def _sql() -> dict[str, str]:
    """The search's SQL for the engine in use (placeholders, `instr` or `strpos`)."""
    p = database.param
    key = (is_sqlite(), p)
    cached = _SQL.get(key)
    if cached is not None:
        return cached
    C, T = models.Customer._meta, models.CustomerToken._meta
    customer, token, tscore, cid = (T.table_name, T.fields["token"].column_name, T.fields["score"].column_name,
                                    T.fields["customer"].column_name)
    span = f"{token} >= {p} AND {token} < {p}"
    # Fed from the end of the range: within a token the rows come best-ranked first, so the top-N
    # sort keeps its first rows instead of replacing them one by one. Ties are ordered by customer,
    # so that consecutive slices (LIMIT/OFFSET) neither skip nor repeat anyone.
    ranked = (f"SELECT {cid} AS cid, {tscore} AS rank FROM (SELECT {cid}, {tscore} FROM {customer} WHERE {span} "
              f"ORDER BY {token} DESC, {tscore} DESC LIMIT {p}) AS hits ORDER BY rank DESC, cid DESC "
              f"LIMIT {p} OFFSET {p}")
    exists = (f"EXISTS (SELECT 1 FROM {customer} AS other WHERE other.{cid} = best.cid "
              f"AND other.{token} >= {p} AND other.{token} < {p})")
    position = "instr" if is_sqlite() else "strpos"
    cpk, cscore, carchived = (C.primary_key.column_name, C.fields["score"].column_name,
                              C.fields["archived"].column_name)
    cached = _SQL[key] = {
        "count": f"SELECT COUNT(*) FROM (SELECT 1 FROM {customer} WHERE {span} LIMIT {p}) AS hits",
        "beyond": f"SELECT 1 FROM {customer} WHERE {span} LIMIT 1 OFFSET {p}",
        "ranked": ranked,
        "checked": f"SELECT cid, rank FROM ({ranked}) AS best WHERE {{conditions}} ORDER BY rank DESC, cid DESC",
        "exists": exists,
        # The customers of a band of ranks, best first, the first that match: read in index order,
        # no sort, it stops at the `limit`-th match.
        "walk": (f"SELECT {cpk}, {cscore} FROM {C.table_name} WHERE {carchived} = {p} AND {cscore} >= {p} "
                 f"AND {cscore} < {p} AND {{conditions}} ORDER BY {cscore} DESC LIMIT {p}"),
        "contains": f"{position}({C.fields['search_key'].column_name}, {p}) > 0",
        "rank_at": f"SELECT {cscore} FROM {C.table_name} WHERE {carchived} = {p} ORDER BY {cscore} DESC "
                   f"LIMIT 1 OFFSET {p}",
        "customers": f"SELECT MAX({cpk}) FROM {C.table_name}",
    }
    return cached


_SQL: dict[tuple, dict[str, str]] = {}


def _rows(sql: str, params: list) -> list[tuple]:
    return list(database.execute_sql(sql, params).fetchall())


def _count(prefix: str, cap: int) -> int:
    """How many tokens start with `prefix`, counting no further than `cap` (in the index: no row
    comes into Python)."""
    return _rows(_sql()["count"], [prefix, _after(prefix), cap])[0][0]


def _common(prefix: str) -> bool:
    """More than `_range_limit()` tokens start with `prefix` (stepping over them costs half of
    counting them). A prefix found common is remembered for a while: it only chooses how to
    search (a walk is right for any prefix), and a common prefix stays common."""
    limit = _range_limit()
    key = (id(database.obj), limit, prefix)
    now = time.monotonic()
    if now - _COMMON.get(key, -COMMON_MEMORY_SECONDS) < COMMON_MEMORY_SECONDS:
        return True
    if _rows(_sql()["beyond"], [prefix, _after(prefix), limit]):
        if len(_COMMON) >= 4096:
            _COMMON.clear()
        _COMMON[key] = now
        return True
    return False


#: How long a prefix found common is taken as common without looking again (seconds).
COMMON_MEMORY_SECONDS = 600.0
_COMMON: dict[tuple, float] = {}


def _best(rows: Iterable[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """The first `limit` distinct customers of rows already in rank order."""
    seen: dict[int, int] = {}
    for customer, rank in rows:
        if customer not in seen:
            seen[customer] = rank
            if len(seen) == limit:
                break
    return list(seen.items())


def _walk(prefixes: list[str], limit: int, low: int, high: int) -> list[tuple[int, int]]:
    """The best `limit` customers ranked in [low, high) matching every prefix."""
    sql = _sql()
    conditions = " AND ".join([sql["contains"]] * len(prefixes))
    return _rows(sql["walk"].format(conditions=conditions),
                 [False, low, high, *(" " + prefix for prefix in prefixes), limit])


def _range_limit() -> int:
    """RANGE_LIMIT, or less on a smaller table: sqrt(100 * customers)."""
    key = (id(database.obj), "range limit")
    now = time.monotonic()
    cached = _RANKS.get(key)
    if cached is None or now - cached[0] > 60:
        top = _rows(_sql()["customers"], [])[0][0] or 0
        cached = _RANKS[key] = (now, int(math.sqrt(100 * top)))
    return max(0, min(RANGE_LIMIT, cached[1]))


def _rank_at(position: int) -> int | None:
    """The score of the customer at `position` in rank order (None past the last one). Kept for
    a minute: it only cuts the walk into bands, any value gives the same answers."""
    key = (id(database.obj), position)
    now = time.monotonic()
    cached = _RANKS.get(key)
    if cached is None or now - cached[0] > 60:
        found = _rows(_sql()["rank_at"], [False, position])
        cached = _RANKS[key] = (now, found[0][0] if found else None)
    return cached[1]


_RANKS: dict[tuple, tuple[float, int | None]] = {}


def _driven(chosen: str, found: int, others: list[str], limit: int,
            stages: tuple[int, ...] = CANDIDATE_STAGES) -> list[tuple[int, int]]:
    """The best `limit` customers among those with a token starting with `chosen` (at most
    about `found` tokens), each checked for the `others` prefixes."""
    sql = _sql()
    span = [chosen, _after(chosen), found + _range_limit() + 1]  # (room for tokens added meanwhile)
    if not others:  # a customer may hold several tokens of the range: ask for a few more rows
        wanted = 2 * limit
        while True:
            rows = _rows(sql["ranked"], [*span, wanted, 0])
            best = _best(rows, limit)
            if len(best) == limit or len(rows) < wanted:
                return best
            wanted *= 4
    # The rare word's best candidates, a slice at a time, each checked for the other words.
    checked = sql["checked"].format(conditions=" AND ".join([sql["exists"]] * len(others)))
    params = [param for prefix in others for param in (prefix, _after(prefix))]
    rows: list[tuple[int, int]] = []
    start = 0
    for end in (*(stage for stage in stages if stage < span[-1]), span[-1]):
        rows += _rows(checked, [*span, end - start, start, *params])
        best = _best(rows, limit)
        if len(best) == limit:
            break
        start = end
    return best


def _group(prefixes: list[str], limit: int) -> list[tuple[int, int]]:
    """The best `limit` (customer, score) matching every prefix of the group."""
    distinct = sorted(dict.fromkeys(prefixes), key=len, reverse=True)  # the longest: likely the rarest
    rare = [prefix for prefix in distinct if not _common(prefix)]
    if rare:  # the rarest of the rare prefixes gives the candidates
        most = _range_limit()
        counts = {prefix: _count(prefix, most + 1) for prefix in rare} if len(rare) > 1 else {}
        chosen = min(counts, key=counts.__getitem__) if counts else rare[0]
        if _full_text():
            return _matching(distinct, limit)
        return _driven(chosen, most, [prefix for prefix in distinct if prefix != chosen], limit)
    # Every prefix is common: walk customers by rank, the first matches end it. The walk goes by
    # bands (the best WALK_LIMIT customers, then twice as many…): should the words rarely come
    # together, the density seen so far tells, band after band, whether walking on or checking
    # the customers of the rarest word costs less.
    rows: list[tuple[int, int]] = []
    high, seen, counts = _NO_LIMIT, WALK_LIMIT, None
    while True:
        low = _rank_at(seen)
        rows += _walk(distinct, limit - len(rows), -_NO_LIMIT if low is None else low, high)
        if len(rows) == limit or low is None:
            return rows
        to_walk = (limit - len(rows)) * seen // max(len(rows), 1)
        if counts is None:  # each counted no further than the smallest count so far
            counts, cap = {}, 50 * RANGE_LIMIT
            for prefix in distinct:
                counts[prefix] = _count(prefix, cap)
                cap = min(cap, counts[prefix] + 1)
            chosen = min(counts, key=counts.__getitem__)
        if counts[chosen] * _CHECK_COST < to_walk:
            if _full_text():
                return _matching(distinct, limit)
            return _driven(chosen, counts[chosen], [prefix for prefix in distinct if prefix != chosen], limit,
                           stages=CANDIDATE_STAGES if rows else ())
        high, seen = low, 2 * seen


def search_ids(query: str, limit: int = 30) -> list[int]:
    """Customer ids matching `query`, best ranked first (the newest customer first among equals).
    Archived customers have no tokens."""
    groups = query_groups(query)
    C = models.Customer
    if not groups:
        if (query or "").strip():
            return []
        return [row for row, in C.select(C.id).where(C.archived == False)  # noqa: E712
                .order_by(C.score.desc(), C.id.desc()).limit(limit).tuples()]
    found: dict[int, int] = {}
    for group in groups:
        for customer, rank in _group(group, limit):
            found[customer] = rank
    return [customer for customer, rank in sorted(found.items(), key=lambda item: (-item[1], -item[0]))[:limit]]


# PostgreSQL's full text -----------------------------------------------------------------------

#: The tokens of `search_key` as a tsvector, lexeme for lexeme.
TSVECTOR = "array_to_tsvector(array_remove(string_to_array(btrim(search_key), ' '), ''))"
FULL_TEXT_COLUMN, FULL_TEXT_INDEX = "search_tsv", "customer_search_tsv"
# MATERIALIZED: the matches from the GIN index, then ranked — never a walk by rank the planner
# might prefer on a wrong guess of how many match.
_FULL_TEXT_SQL = (f"WITH hits AS MATERIALIZED (SELECT id, score FROM customer WHERE NOT archived AND "
                  f"{FULL_TEXT_COLUMN} @@ %s::tsquery) "
                  "SELECT id, score FROM hits ORDER BY score DESC, id DESC LIMIT %s")


def _matching(prefixes: list[str], limit: int) -> list[tuple[int, int]]:
    """The best `limit` customers with every prefix, from the GIN index (PostgreSQL)."""
    return _rows(_FULL_TEXT_SQL, [to_tsquery([prefixes]), limit])


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def to_tsquery(groups: list[list[str]]) -> str:
    """The tsquery text of the groups: each prefix a prefix lexeme, a group's prefixes joined by
    `&`, the groups by `|`."""
    return " | ".join("(" + " & ".join(_lexeme(prefix) + ":*" for prefix in group) + ")" for group in groups)


def ensure_postgres_index() -> None:
    """Add the full-text column and its index when missing (inside the schema's transaction; on a
    large table, once, it takes a while). Where the engine refuses, the token index answers.

    `fastupdate = off`: a new customer's tokens go straight into the index. With it on (the
    default), they wait in a pending list that every search reads through until a vacuum clears
    it, and a keystroke that takes 0.1 ms takes 4 ms after a few thousand new customers."""
    from pos_tui.db import database

    try:
        with database.atomic():
            database.execute_sql(
                f"ALTER TABLE customer ADD COLUMN IF NOT EXISTS {FULL_TEXT_COLUMN} tsvector "
                f"GENERATED ALWAYS AS ({TSVECTOR}) STORED")
            database.execute_sql(f"CREATE INDEX IF NOT EXISTS {FULL_TEXT_INDEX} ON customer "
                                 f"USING gin ({FULL_TEXT_COLUMN}) WITH (fastupdate = off) WHERE NOT archived")
    except Exception:  # noqa: BLE001 - any refusal means: search with the token index
        pass
    _FULL_TEXT.pop(id(database.obj), None)


def drop_postgres_index() -> None:
    """Drop the full-text index (before loading many customers at once: building it afterwards
    is much faster than growing it row by row); `ensure_postgres_index` makes it again."""
    from pos_tui.db import database

    database.execute_sql(f"DROP INDEX IF EXISTS {FULL_TEXT_INDEX}")
    _FULL_TEXT.pop(id(database.obj), None)


def _full_text() -> bool:
    """The database has the full-text column and index (PostgreSQL)."""
    if is_sqlite():
        return False
    key = id(database.obj)
    found = _FULL_TEXT.get(key)
    if found is None:
        found = _FULL_TEXT[key] = bool(_rows(
            "SELECT 1 FROM pg_indexes WHERE indexname = %s AND schemaname = current_schema()", [FULL_TEXT_INDEX]))
    return found


_FULL_TEXT: dict[int, bool] = {}
