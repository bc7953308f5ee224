"""Finding a product by what the cashier types: word prefixes of its name, reference, barcode or
category, in any order, case and accents ignored ("caf mol" finds "Café molido").

The index is kept by the database itself, so every writer (the catalog service, a bulk import,
`pos db copy`, a migration, a hand-written INSERT) needs nothing:

- SQLite: `product_fts`, an FTS5 table over product (name, sku, barcode, category) with the
  product table as its content (`content='product'`), tokenised `unicode61 remove_diacritics 2`,
  with prefix indexes for the short prefixes a cashier types first; triggers on product keep it.
- PostgreSQL: a stored generated column `search_tsv` (a `simple` tsvector of the same fields,
  lower case and accents folded with `translate`, no extension needed) in a GIN index; a word
  typed is a prefix lexeme (`'caf':*`).

Ranking: the product whose reference or barcode is exactly what was typed, then products whose
name starts with the first word typed, then the rest, each by name. Archived products are never
found. Most queries match few products: they are all read and ranked here. A short prefix shared
by thousands ("a") would make that costly, so then products are read in name order (an index
walk) and the first that match end it.
"""

from __future__ import annotations

import re
import unicodedata

from pos_tui import models
from pos_tui.db import database, is_postgres, is_sqlite

#: Above this many matches, products are walked in name order instead of all read and ranked
#: (both cost about the same there: reading n matches vs walking ~limit * products / n names).
DENSE = 1_500
#: Rows read at a time by the walk.
WALK_BATCH = 200

FTS_TABLE = "product_fts"
PG_COLUMN, PG_INDEX, PG_NAME_INDEX = "search_tsv", "product_search_tsv", "product_name_c"
_WORD = re.compile(r"[^\W_]+")

#: The accented letters PostgreSQL folds (lower case first): what Latin-script catalogs hold.
_ACCENTED = "àáâãäåāăąçćčďèéêëēĕėęěìíîïĩīĭįñńňòóôõöøōŏőùúûüũūŭůűųýÿźżžšśşţťŕřľĺłğ"
_PLAIN = "aaaaaaaaacccdeeeeeeeeeiiiiiiiinnnooooooooouuuuuuuuuuyyzzzsssttrrlllg"
assert len(_ACCENTED) == len(_PLAIN)


def fold(text: str | None) -> str:
    """Lower case without accents, as both indexes see text: "Café" -> "cafe"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def words(text: str | None) -> list[str]:
    """The folded words of a text, as the indexes split it."""
    return _WORD.findall(fold(text))


def matches(terms: list[str], *fields: str | None) -> bool:
    """Every term starts one of the fields' words (what the index answers, checked here)."""
    found = [w for f in fields for w in words(f)]
    return all(any(w.startswith(t) for w in found) for t in terms)


def starts(terms: list[str], name: str) -> bool:
    """The name's first word starts with the first term."""
    first = words(name)[:1]
    return bool(first) and first[0].startswith(terms[0])


# The index ----------------------------------------------------------------------------------------

_FIELDS = ("name", "sku", "barcode", "category")


def _sqlite_ddl() -> list[str]:
    cols = ", ".join(_FIELDS)
    new = ", ".join(f"new.{c}" for c in _FIELDS)
    old = ", ".join(f"old.{c}" for c in _FIELDS)
    delete = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    insert = f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({cols}, content='product', "
        f"content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
        f"CREATE TRIGGER IF NOT EXISTS product_fts_insert AFTER INSERT ON product BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS product_fts_delete AFTER DELETE ON product BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS product_fts_update AFTER UPDATE OF {cols}, id ON product "
        f"BEGIN {delete} {insert} END",
    ]


def _pg_document() -> str:
    text = " || ' ' || ".join(f"coalesce({c}, '')" for c in _FIELDS)
    return f"to_tsvector('simple'::regconfig, translate(lower({text}), '{_ACCENTED}', '{_PLAIN}'))"


def ensure_index() -> None:
    """Make the search index when missing, from the products already there (inside the schema's
    transaction: a new database, an upgraded one, one made before the index existed)."""
    if is_sqlite():
        if database.execute_sql("SELECT 1 FROM sqlite_master WHERE name = ?", [FTS_TABLE]).fetchone():
            return
        for sql in _sqlite_ddl():
            database.execute_sql(sql)
        database.execute_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    elif is_postgres():
        with database.atomic():
            database.execute_sql(f"ALTER TABLE product ADD COLUMN IF NOT EXISTS {PG_COLUMN} tsvector "
                                 f"GENERATED ALWAYS AS ({_pg_document()}) STORED")
            database.execute_sql(f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON product USING gin ({PG_COLUMN}) "
                                 f"WITH (fastupdate = off)")
            database.execute_sql(f'CREATE INDEX IF NOT EXISTS {PG_NAME_INDEX} ON product (name COLLATE "C", id)')


def drop_postgres_index() -> None:
    """Drop the GIN index before loading many products at once (`ensure_index` makes it again)."""
    database.execute_sql(f"DROP INDEX IF EXISTS {PG_INDEX}")


# Searching ----------------------------------------------------------------------------------------


def fts_query(terms: list[str], first: bool = False) -> str:
    """The FTS5 query: every term a prefix; with `first`, the first term starts the name."""
    parts = [f'"{t}"*' for t in terms]
    if first:
        parts[0] = f"name : ^ {parts[0]}"
    return " AND ".join(parts)


def ts_query(terms: list[str]) -> str:
    """The PostgreSQL tsquery: every term a prefix lexeme."""
    return " & ".join(f"'{t}':*" for t in terms)


def _rows(sql: str, params: list) -> list[tuple]:
    return list(database.execute_sql(sql, params).fetchall())


def _p() -> str:
    return database.param


def _count(terms: list[str], first: bool = False) -> int:
    """How many products (archived too) match, counted no further than DENSE."""
    if is_sqlite():
        sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? LIMIT ?)"
        return _rows(sql, [fts_query(terms, first), DENSE])[0][0]
    sql = (f"SELECT COUNT(*) FROM (SELECT 1 FROM product WHERE {PG_COLUMN} @@ to_tsquery('simple', %s) "
           f"LIMIT %s) AS hits")
    return _rows(sql, [ts_query(terms), DENSE])[0][0]


def _matching(terms: list[str], first: bool = False) -> list[tuple[int, str]]:
    """(id, name) of every active product matching."""
    if is_sqlite():
        sql = (f"SELECT p.id, p.name FROM {FTS_TABLE} JOIN product AS p ON p.id = {FTS_TABLE}.rowid "
               f"WHERE {FTS_TABLE} MATCH ? AND p.active")
        return _rows(sql, [fts_query(terms, first)])
    sql = f"SELECT id, name FROM product WHERE {PG_COLUMN} @@ to_tsquery('simple', %s) AND active"
    return _rows(sql, [ts_query(terms)])


def _name_order() -> str:
    return "name, id" if is_sqlite() else 'name COLLATE "C", id'


def _walk(terms: list[str], wanted: int, low: str = "", high: str | None = None,
          keep=lambda name: True, skip: frozenset[int] = frozenset()) -> list[tuple[int, str]]:
    """The first `wanted` active products in name order within [low, high) that match every
    term and `keep`, read a batch at a time through the name index."""
    p, name = _p(), "name" if is_sqlite() else 'name COLLATE "C"'
    bound = f" AND {name} < {p}" if high is not None else ""
    sql = (f"SELECT id, name, sku, barcode, category FROM product WHERE active AND {name} >= {p} "
           f"AND ({name} > {p} OR id > {p}){bound} ORDER BY {_name_order()} LIMIT {p}")
    found: list[tuple[int, str]] = []
    after, after_id = low, 0
    while True:
        params = [after, after, after_id, *([high] if high is not None else []), WALK_BATCH]
        rows = _rows(sql, params)
        for pid, pname, sku, barcode, category in rows:
            if pid not in skip and keep(pname) and matches(terms, pname, sku, barcode, category):
                found.append((pid, pname))
                if len(found) == wanted:
                    return found
        if len(rows) < WALK_BATCH:
            return found
        after, after_id = rows[-1][1], rows[-1][0]


def _first_letter_ranges(term: str) -> list[tuple[str, str | None]]:
    """Where, in name order, names whose first word starts with `term` are: after the letter in
    upper case, in lower case, and past plain ASCII (accented first letters)."""
    letter = term[0]
    ranges = []
    for variant in dict.fromkeys((letter.upper(), letter)):
        ranges.append((variant, chr(ord(variant) + 1)))
    ranges.append(("\x80", None))
    return ranges


def _ranked(rows: list[tuple[int, str]], terms: list[str]) -> list[tuple[int, str]]:
    return sorted(rows, key=lambda r: (not starts(terms, r[1]), r[1], r[0]))


def search_ids(query: str, limit: int = 50) -> list[int]:
    """Ids of the active products matching every word typed, best first (see the module)."""
    text = (query or "").strip()
    P = models.Product
    if not text:
        return [pid for pid, in P.select(P.id).where(P.active == True)  # noqa: E712
                .order_by(P.name, P.id).limit(limit).tuples()]
    terms = list(dict.fromkeys(words(text)))
    exact = [pid for pid, in P.select(P.id).where(((P.sku == text.upper()) | (P.barcode == text))
                                                   & (P.active == True)).limit(2).tuples()]  # noqa: E712
    if not terms:
        return exact[:limit]
    wanted = limit + len(exact)
    if _count(terms) < DENSE:
        ranked = _ranked(_matching(terms), terms)
    else:
        ranked = _dense(terms, wanted)
    out = list(exact)
    for pid, _name in ranked:
        if pid not in exact:
            out.append(pid)
    return out[:limit]


def _dense(terms: list[str], wanted: int) -> list[tuple[int, str]]:
    """The best `wanted` of a query matching thousands: names starting with the first term (read
    all when they are few, else walked in their part of the name order), then the others walked
    in name order."""
    if is_sqlite() and _count(terms, first=True) < DENSE:
        first = sorted(_matching(terms, first=True), key=lambda r: (r[1], r[0]))[:wanted]
    else:
        first = []
        for low, high in _first_letter_ranges(terms[0]):
            first += _walk(terms, wanted - len(first), low, high, keep=lambda name: starts(terms, name))
            if len(first) == wanted:
                break
        first.sort(key=lambda r: (r[1], r[0]))
    if len(first) == wanted:
        return first
    rest = _walk(terms, wanted - len(first), keep=lambda name: not starts(terms, name),
                 skip=frozenset(pid for pid, _name in first))
    return first + rest
