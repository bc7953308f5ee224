"""Finding a product by what the cashier types: word prefixes of its name, reference, barcode or
category, in any order, case and accents ignored ("caf mol" finds "Café molido").

The index is kept by the database itself, so every writer (the catalog service, a bulk import,
`pos db copy`, a migration, a hand-written INSERT) needs nothing:

- SQLite: `product_fts`, a contentless FTS5 table over the active products' name, sku, barcode
  and category, tokenised `unicode61 remove_diacritics 2`, with prefix indexes for the short
  prefixes typed first; triggers on product keep it (an archived product leaves it).
- PostgreSQL: a stored generated column `search_tsv` (a `simple` tsvector of the same fields,
  lower case and accents folded with `translate`, no extension needed; NULL when archived) in a
  GIN index; a word typed is a prefix lexeme (`'caf':*`).

Ranking: the product whose reference or barcode is exactly what was typed, then the products
whose name starts with the first word typed, then the others, each by name (code point order,
as the name index keeps them). The index gives the matching ids; which come first by name is
found the cheapest way for their number: a few hundred have their names read and sorted; more
are picked out while walking the name index (the first `limit` found end it); more than
`MANY` (a prefix like "a", shared by every "Alimentación") are not even listed: the walk reads
each name and checks the words here, and ends after a few hundred rows.
"""

from __future__ import annotations

import re
import string
import time
import unicodedata

from pos_tui import models
from pos_tui.db import database, is_postgres, is_sqlite

#: Up to this many matches, their names are read and sorted (more are picked out of the name index).
FEW = 700
#: Up to this many matches, they are all read and ranked at once.
SMALL = 800
#: Above this many matches, they are not listed: names are walked and checked here.
MANY = 10_000
#: Names whose first word starts with the first word typed are first looked for where they are in
#: name order (`_prefix_ranges`), reading at most this many rows before asking the index.
STARTING_ROWS = 64
#: Rows read at a time by a walk.
WALK_BATCH = 256

FTS_TABLE, WALK_INDEX = "product_fts", "product_search_walk"
PG_COLUMN, PG_INDEX, PG_NAME_INDEX = "search_tsv", "product_search_tsv", "product_name_c"
_NON_WORD = re.compile(r"[\W_]+")

#: The accented letters PostgreSQL folds (lower case first): what Latin-script catalogs hold.
_ACCENTED = "àáâãäåāăąçćčďèéêëēĕėęěìíîïĩīĭįñńňòóôõöøōŏőùúûüũūŭůűųýÿźżžšśşţťŕřľĺłğ"
_PLAIN = "aaaaaaaaacccdeeeeeeeeeiiiiiiiinnnooooooooouuuuuuuuuuyyzzzsssttrrlllg"
assert len(_ACCENTED) == len(_PLAIN)
_FOLD = str.maketrans(_ACCENTED, _PLAIN)
#: The same, and ASCII punctuation to spaces: what splits words (a fast path for `_key`).
_FOLD_SPLIT = str.maketrans(_ACCENTED + string.punctuation, _PLAIN + " " * len(string.punctuation))


def fold(text: str | None) -> str:
    """Lower case without accents, as both indexes see text: "Café" -> "cafe"."""
    plain = (text or "").lower().translate(_FOLD)
    if plain.isascii():
        return plain
    decomposed = unicodedata.normalize("NFKD", plain)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str | None) -> list[str]:
    """The folded words of a text, as the indexes split it."""
    return _NON_WORD.sub(" ", fold(text)).split()


def _key(*fields: str | None) -> str:
    """The fields' folded words, each behind a space: `" " + term in key` finds a word prefix."""
    text = " ".join(f for f in fields if f)
    quick = text.lower().translate(_FOLD_SPLIT)
    if quick.isascii():
        return " " + quick
    return " " + _NON_WORD.sub(" ", fold(text))


def matches(terms: list[str], *fields: str | None) -> bool:
    """Every term starts one of the fields' words (what the index answers, checked here)."""
    key = _key(*fields)
    return all(" " + t in key for t in terms)


def starts(terms: list[str], name: str) -> bool:
    """The name's first word starts with the first term. (An ASCII name folds character by
    character: its head, folded, answers, unless it is all spaces and punctuation.)"""
    term = terms[0]
    if name.isascii():
        head = name[:len(term) + 16].lower().translate(_FOLD_SPLIT).lstrip(" ")
        if len(head) >= len(term) or len(name) <= len(term) + 16:
            return head.startswith(term)
    return _key(name).lstrip(" ").startswith(term)


# The index ----------------------------------------------------------------------------------------

_FIELDS = ("name", "sku", "barcode", "category")


def _sqlite_ddl() -> list[str]:
    cols = ", ".join(_FIELDS)
    new = ", ".join(f"new.{c}" for c in _FIELDS)
    old = ", ".join(f"old.{c}" for c in _FIELDS)
    # A contentless table: it holds the words, not the text, and only for active products. Taking
    # a row out needs the values it went in with, which the triggers have (old.*).
    delete = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) SELECT 'delete', old.id, {old} WHERE old.active;"
    insert = f"INSERT INTO {FTS_TABLE}(rowid, {cols}) SELECT new.id, {new} WHERE new.active;"
    return [
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({cols}, content='', "
        f"tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
        f"CREATE TRIGGER product_fts_insert AFTER INSERT ON product BEGIN {insert} END",
        f"CREATE TRIGGER product_fts_delete AFTER DELETE ON product BEGIN {delete} END",
        f"CREATE TRIGGER product_fts_update AFTER UPDATE OF {cols}, active, id ON product "
        f"BEGIN {delete} {insert} END",
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) SELECT id, {cols} FROM product WHERE active",
    ]


def _pg_document() -> str:
    """The tsvector of an active product: its fields' words, the name's first word also with
    weight A (so that `'pan':*A` finds the names starting with "pan")."""
    def folded(text: str) -> str:
        return f"to_tsvector('simple'::regconfig, translate(lower({text}), '{_ACCENTED}', '{_PLAIN}'))"

    fields = " || ' ' || ".join(f"coalesce({c}, '')" for c in _FIELDS)
    first_word = folded("split_part(name, ' ', 1)")
    return f"CASE WHEN active THEN setweight({first_word}, 'A') || {folded(fields)} END"


def ensure_index() -> None:
    """Make the search index when missing, from the products already there (inside the schema's
    transaction: a new database, an upgraded one, one made before the index existed)."""
    if is_sqlite():
        # What a walk in name order reads, in one index: no row of the table is read.
        database.execute_sql(f"CREATE INDEX IF NOT EXISTS {WALK_INDEX} ON product (name, id, sku, barcode, "
                             f"category, active) WHERE active")
        if database.execute_sql("SELECT 1 FROM sqlite_master WHERE name = ?", [FTS_TABLE]).fetchone():
            return
        for sql in _sqlite_ddl():
            database.execute_sql(sql)
    elif is_postgres():
        with database.atomic():
            database.execute_sql(f"ALTER TABLE product ADD COLUMN IF NOT EXISTS {PG_COLUMN} tsvector "
                                 f"GENERATED ALWAYS AS ({_pg_document()}) STORED")
            database.execute_sql(f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON product USING gin ({PG_COLUMN}) "
                                 f"WITH (fastupdate = off)")
            database.execute_sql(f'CREATE INDEX IF NOT EXISTS {PG_NAME_INDEX} ON product (name COLLATE "C", id) '
                                 f"WHERE active")


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


def ts_query(terms: list[str], first: bool = False) -> str:
    """The PostgreSQL tsquery: every term a prefix lexeme; with `first`, the first term starts the
    name (weight A)."""
    return " & ".join(f"'{t}':*" + ("A" if first and i == 0 else "") for i, t in enumerate(terms))


def _rows(sql: str, params: list) -> list[tuple]:
    return list(database.execute_sql(sql, params).fetchall())


def _ids(terms: list[str], first: bool = False) -> list[int] | None:
    """The active products matching (with `first`: whose name starts with the first term), or None
    when there are more than MANY. A query found to have that many is taken as
    having them for a while without listing them again: that only chooses how to search (the
    walk that checks names answers any query), and a common prefix stays common."""
    key = (id(database.obj), tuple(terms), first)
    now = time.monotonic()
    if now - _MANY_SEEN.get(key, -MANY_MEMORY_SECONDS) < MANY_MEMORY_SECONDS:
        return None
    if is_sqlite():
        rows = _rows(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? LIMIT ?",
                     [fts_query(terms, first), MANY + 1])
    else:
        rows = _rows(f"SELECT id FROM product WHERE {PG_COLUMN} @@ to_tsquery('simple', %s) LIMIT %s",
                     [ts_query(terms, first), MANY + 1])
    if len(rows) > MANY:
        if len(_MANY_SEEN) >= 4096:
            _MANY_SEEN.clear()
        _MANY_SEEN[key] = now
        return None
    return [r[0] for r in rows]


#: How long a query found to match more than MANY products is taken as such (seconds).
MANY_MEMORY_SECONDS = 600.0
_MANY_SEEN: dict[tuple, float] = {}


def _names(ids) -> list[tuple[str, int]]:
    """(name, id) of these products, by name."""
    ids, out = list(ids), []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join([database.param] * len(chunk))
        out += _rows(f"SELECT name, id FROM product WHERE id IN ({marks})", chunk)
    out.sort()
    return out


def _name_sql(columns: str, high: bool, active: bool) -> str:
    """Products (`active` ones only) in name order from (name, id) on, below a name when `high`
    (without `active`, and asking only for name and id, SQLite reads the name index alone)."""
    p, name = database.param, ("name" if is_sqlite() else 'name COLLATE "C"')
    bound = f" AND {name} < {p}" if high else ""
    only = "active AND " if active else ""
    return (f"SELECT {columns} FROM product WHERE {only}{name} >= {p} AND ({name} > {p} OR id > {p})"
            f"{bound} ORDER BY {name}, id LIMIT {p}")


def _walk(columns: str, low: str, high: str | None, active: bool = True, index: str | None = None):
    """Rows of products in name order within [low, high), a batch at a time (name, id first),
    read from `index` (SQLite)."""
    sql = _name_sql(columns, high is not None, active)
    if index and is_sqlite():
        sql = sql.replace("FROM product WHERE", f"FROM product INDEXED BY {index} WHERE", 1)
    after, after_id = low, 0
    while True:
        rows = _rows(sql, [after, after, after_id, *([high] if high is not None else []), WALK_BATCH])
        yield from rows
        if len(rows) < WALK_BATCH:
            return
        after, after_id = rows[-1][0], rows[-1][1]


def _first_by_name(ids: set[int], wanted: int, ranges, keep=None) -> list[tuple[str, int]]:
    """The first `wanted` of these products by name (those whose name `keep` accepts). Few:
    their names read and sorted. More: the name index walked within `ranges` (where their names
    are), picking them out; those outside the ranges (if the walk ran out) read and merged."""
    if not ids or wanted <= 0:
        return []
    if len(ids) <= FEW:
        return [row for row in _names(ids) if keep is None or keep(row[0])][:wanted]
    found: list[tuple[str, int]] = []
    for low, high in ranges:
        # The ids are active ones: SQLite reads the name index alone; PostgreSQL's is of active ones.
        for name, pid in _walk("name, id", low, high, active=not is_sqlite()):
            if pid in ids and (keep is None or keep(name)):
                found.append((name, pid))
                if len(found) == wanted:
                    return found
    missing = ids - {pid for _name, pid in found}
    if missing and ranges is not EVERYWHERE:
        found = sorted(found + [row for row in _names(missing) if keep is None or keep(row[0])])
    return found[:wanted]


def _checked(terms: list[str], wanted: int, ranges, mode: str,
             rows: int | None = None) -> tuple[list[tuple[str, int]], bool]:
    """The first `wanted` active products by name within `ranges` matching every term (checked
    here, each row as it is read from one index: where most names match, this ends soon), whose
    name starts with the first term ("in range": the ranges are `_prefix_ranges`, where every
    name does; "starting": checked) or does not ("others"); reading at most `rows` rows. Also
    whether the ranges were read to their end."""
    found: list[tuple[str, int]] = []
    need = terms[1:] if mode == "in range" else terms
    read = 0
    for low, high in ranges:
        for name, pid, sku, barcode, category in _walk("name, id, sku, barcode, category", low, high,
                                                      index=WALK_INDEX):
            read += 1
            key = _key(name, sku, barcode, category)
            if all(" " + t in key for t in need) and (
                    mode == "in range" or starts(terms, name) == (mode == "starting")):
                found.append((name, pid))
                if len(found) == wanted:
                    return found, False
            if rows is not None and read >= rows:
                return found, False
    return found, True


def _prefix_ranges(term: str) -> list[tuple[str, str | None]]:
    """Where, in name order, the names whose first word starts with `term` are, as names are
    written: capitalised ("Cerv…"), in capitals, in lower case (in name order). Names written
    otherwise (accented first letters, other casing) are found outside them."""
    out = []
    for variant in sorted({term[:1].upper() + term[1:], term.upper(), term}):
        out.append((variant, variant[:-1] + chr(ord(variant[-1]) + 1)))
    return out


EVERYWHERE: list[tuple[str, str | None]] = [("", None)]


def search_ids(query: str, limit: int = 50) -> list[int]:
    """Ids of the active products matching every word typed, best first (see the module)."""
    text = (query or "").strip()
    P = models.Product
    if not text:
        return [pid for pid, in P.select(P.id).where(P.active == True)  # noqa: E712
                .order_by(P.name, P.id).limit(limit).tuples()]
    terms = list(dict.fromkeys(words(text)))
    p = database.param
    exact = [r[0] for r in _rows(f"SELECT id FROM product WHERE (sku = {p} OR barcode = {p}) AND active "
                                 f"ORDER BY id LIMIT 2", [text.upper(), text])]
    if not terms:
        return exact[:limit]
    wanted = limit + len(exact)
    ranked = _ranked(terms, wanted)
    out = list(exact)
    out += [pid for _name, pid in ranked if pid not in exact]
    return out[:limit]


def _ranked(terms: list[str], wanted: int) -> list[tuple[str, int]]:
    """The first `wanted` matches: names starting with the first term, then the others, by name."""
    everything = _ids(terms)  # None: more than MANY
    if everything is not None and len(everything) <= SMALL:  # read and rank them
        return sorted(_names(everything), key=lambda r: (not starts(terms, r[0]), r))[:wanted]
    top = _starting(terms, wanted)
    if len(top) < wanted:
        others = lambda name: not starts(terms, name)  # noqa: E731
        if everything is None:
            top += _checked(terms, wanted - len(top), EVERYWHERE, "others")[0]
        elif is_sqlite() and len(terms) == 1 and len(everything) <= SORTED_BY_SQLITE:
            top += _by_name_in_sqlite(fts_query(terms), wanted - len(top), not_query=fts_query(terms, first=True))
        else:
            top += _first_by_name(set(everything), wanted - len(top), EVERYWHERE, others)
    return top


#: Up to this many matches of one word, SQLite picks the first by name itself, in one statement
#: (its lookups and sort in C beat reading their names here; names written otherwise, "Jamón" for
#: "jamo", are outside the name ranges walked); more, or several words (their index lookups cost
#: more than walking), and a walk of the name index that stops once it has enough is faster.
SORTED_BY_SQLITE = 3_000


def _by_name_in_sqlite(query: str, wanted: int, not_query: str | None = None) -> list[tuple[str, int]]:
    """The first `wanted` products (by name) that the FTS `query` matches and `not_query` does not."""
    sql = f"SELECT name, id FROM product WHERE id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?)"
    params: list = [query]
    if not_query is not None:
        sql += f" AND id NOT IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?)"
        params.append(not_query)
    return [(name, pid) for name, pid in _rows(sql + " ORDER BY name, id LIMIT ?", [*params, wanted])]


def _starting(terms: list[str], wanted: int) -> list[tuple[str, int]]:
    """The first `wanted` matches whose name starts with the first term, by name: read where they
    are in name order; when that does not end soon, or to find those written otherwise
    (accented, other casing), the index lists them."""
    ranges = _prefix_ranges(terms[0])
    found, complete = _checked(terms, wanted, ranges, "in range", rows=STARTING_ROWS)
    if len(found) == wanted:
        return found
    first = _ids(terms, first=True)
    if first is None:  # too many to list: those written otherwise are checked for
        if not complete:
            found, complete = _checked(terms, wanted, ranges, "in range")
            if len(found) == wanted:
                return found
        return _checked(terms, wanted, EVERYWHERE, "starting")[0]
    if len(first) == len(found):
        return found
    if is_sqlite() and len(terms) == 1 and len(first) <= SORTED_BY_SQLITE:  # SQLite picks the first
        return _by_name_in_sqlite(fts_query(terms, first=True), wanted)
    # (on PostgreSQL a first word such as "Coca-Cola" gives several words of weight A: checked)
    # SQLite's index answers `^` exactly: its ids need no check; PostgreSQL's weight A may (above)
    keep = None if is_sqlite() else (lambda name: starts(terms, name))  # noqa: E731
    if complete:  # the others are outside the ranges, wherever their names put them: read them
        missing = set(first) - {pid for _name, pid in found}
        return sorted(found + [row for row in _names(missing) if keep is None or keep(row[0])])[:wanted]
    return _first_by_name(set(first), wanted, ranges, keep)
