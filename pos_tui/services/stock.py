"""Stock: a ledger of movements (`models.StockMove`), on hand being the sum of a product's moves.

Every move is written in the transaction of what causes it: a sale's checkout (one move per line
of a product tracked in stock, going out), a refund (what comes back), a paid sale voided (its
goods back on the shelf), a receipt, an adjustment, a count. A line moves stock once per kind
(unique (line, kind)), so a retried checkout never moves it twice. Products not tracked in stock
(services) have no moves. Each move goes on the change feed as `stock.moved`.

Selling below zero is allowed unless the store refuses it (`Store.allow_negative_stock`): then
the till refuses the line when it is added or raised, and the checkout checks again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from peewee import JOIN, fn

from pos_tui import models, quantity
from pos_tui.db import database, is_sqlite, lock, now, transactional
from pos_tui.errors import NotFound, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.money import MAX_AMOUNT, exponent, parse_minor
from pos_tui.services import catalog, events, validation

STOCK_MOVED = "stock.moved"
SALE, REFUND, VOID, RECEIPT, ADJUSTMENT, COUNT = "sale", "refund", "void", "receipt", "adjustment", "count"
#: The kinds of move, as shown (translated with `_(KIND_LABELS[kind])`).
KIND_LABELS = {SALE: N_("sale"), REFUND: N_("refund"), VOID: N_("void"), RECEIPT: N_("goods received"),
               ADJUSTMENT: N_("adjustment"), COUNT: N_("count")}


def kind_label(kind: str) -> str:
    return _(KIND_LABELS.get(kind, kind))


def on_hand(product_ids: Iterable[int]) -> dict[int, Decimal]:
    """What is on hand of each product (the sum of its moves; 0 for one that never moved), in one
    query over the ledger's (product, quantity) index."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    M, P = models.StockMove, models.Product
    sums = dict(M.select(M.product, fn.SUM(M.quantity)).where(M.product.in_(ids)).group_by(M.product).tuples())
    units = dict(P.select(P.id, P.uom).where(P.id.in_(ids)).tuples())
    return {pid: quantity.quantize(Decimal(str(sums.get(pid) or 0)), units.get(pid, quantity.UNITS)) for pid in ids}


def _payload(move: dict, sku: str) -> dict:
    return {"product_id": move["product"], "reference": sku, "kind": move["kind"],
            "quantity": quantity.plain(move["quantity"]), "order_id": move.get("order"),
            "line_id": move.get("line"), "unit_cost_minor": move.get("unit_cost_minor"),
            "cashier_id": move.get("cashier"), "till": move.get("till", ""), "reason": move.get("reason", "")}


def _write(moves: list[dict]) -> list[int]:
    """Insert `moves` (dicts of StockMove fields) in the caller's transaction, each on the change
    feed; returns their ids."""
    if not moves:
        return []
    at = now()
    skus = dict(models.Product.select(models.Product.id, models.Product.sku)
                .where(models.Product.id.in_({m["product"] for m in moves})).tuples())
    ids = []
    for move in moves:
        move.setdefault("at", at)
        ids.append(models.StockMove.insert(**move).execute())
    events.emit_many([(STOCK_MOVED, "stock_move", move_id, _payload(move, skus.get(move["product"], "")))
                      for move_id, move in zip(ids, moves, strict=True)])
    return ids


def _order_lines(order_id: int):
    """(line id, product id, quantity) of the order's lines of products tracked in stock."""
    L, P = models.OrderLine, models.Product
    return (L.select(L.id, L.product, L.quantity).join(P, on=(L.product == P.id))
            .where((L.order == order_id) & (P.track_stock == True)).order_by(L.id).tuples())  # noqa: E712


def record_order(order: models.Order, kind: str) -> int:
    """The moves of a paid sale (`SALE`: its lines go out) or refund (`REFUND`: they come back),
    or of a paid sale voided (`VOID`: its lines come back), in the caller's transaction. A line
    already moved for that kind is left alone. Returns how many moves were written."""
    M = models.StockMove
    lines = list(_order_lines(order.id))
    done = {line for (line,) in M.select(M.line).where(M.line.in_([row[0] for row in lines]) & (M.kind == kind))
            .tuples()} if lines else set()
    sign = 1 if kind == VOID else -1  # a sale's line is +q (goes out), a refund's -q (comes back)
    return len(_write([
        {"product": product_id, "kind": kind, "quantity": sign * Decimal(qty), "order": order.id, "line": line_id,
         "cashier": order.cashier_id, "till": order.till}
        for line_id, product_id, qty in lines if line_id not in done]))


# Negative stock ----------------------------------------------------------------------------------------


def negative_allowed() -> bool:
    store = models.Store.select(models.Store.allow_negative_stock).order_by(models.Store.id).first()
    return True if store is None else bool(store.allow_negative_stock)


def _short(product: models.Product, wanted: Decimal, have: Decimal) -> ValidationError:
    shown = quantity.plain(have) + ("" if product.uom == quantity.UNITS else f" {product.uom}")
    return ValidationError("quantity", _("only {on_hand} of {name} ({ref}) on hand; the store does not sell "
                                         "below zero").format(on_hand=shown, name=product.name, ref=product.sku))


def check_line(order_id: int, product_id: int, line_id: int | None, new_quantity: Decimal) -> None:
    """Refuse a sale's line of `new_quantity` (`line_id` None: a new line) when the store does not
    sell below zero and what is on hand does not cover it with the sale's other lines of that
    product. Called when a line is added or its quantity raised."""
    if negative_allowed():
        return
    product = models.Product.get_or_none(models.Product.id == product_id)
    if product is None or not product.track_stock:
        return
    L = models.OrderLine
    others = L.select(fn.SUM(L.quantity)).where((L.order == order_id) & (L.product == product_id))
    if line_id is not None:
        others = others.where(L.id != line_id)
    wanted = Decimal(str(others.scalar() or 0)) + Decimal(new_quantity)
    have = on_hand([product_id])[product_id]
    if wanted > have:
        raise _short(product, wanted, have)


def check_order(order_id: int) -> None:
    """At checkout: every tracked product of the sale is covered by what is on hand, unless the
    store sells below zero."""
    if negative_allowed():
        return
    L, P = models.OrderLine, models.Product
    wanted = {pid: Decimal(str(q)) for pid, q in
              L.select(L.product, fn.SUM(L.quantity)).join(P, on=(L.product == P.id))
              .where((L.order == order_id) & (P.track_stock == True)).group_by(L.product).tuples()}  # noqa: E712
    # The products' rows locked (in id order) on engines with row locks: two tills selling the last
    # one at once check one after the other. (SQLite's write transaction holds the only lock.)
    list(lock(P.select(P.id).where(P.id.in_(list(wanted))).order_by(P.id)))
    have = on_hand(wanted)
    for pid, qty in wanted.items():
        if qty > have[pid]:
            raise _short(P.get_by_id(pid), qty, have[pid])


# Receipts, adjustments, counts -------------------------------------------------------------------------


#: The most one receipt, adjustment or count moves (more is a typo).
MAX_MOVE = Decimal(1_000_000)


def _tracked(ref: object, field: str = "reference") -> models.Product:
    info = catalog.find_product(validation.text(ref, field, max_length=60, required=True, code=True))
    if not info.track_stock:
        raise ValidationError(field, _("{ref} ({name}) is not tracked in stock").format(ref=info.sku, name=info.name))
    return models.Product.get_by_id(info.id)


def cashier_id(name: str | None, field: str = "cashier") -> int | None:
    """The id of the active cashier called `name` (None: not known)."""
    if name is None or not str(name).strip():
        return None
    C = models.Cashier
    found = C.get_or_none((C.name == str(name).strip()) & (C.active == True))  # noqa: E712
    if found is None:
        raise ValidationError(field, _("no cashier called “{name}”").format(name=str(name).strip()))
    return found.id


def _signed(text: object, uom: str, field: str = "quantity") -> Decimal:
    """A signed quantity as typed: `-2`, `+3`, `0,250` (none: in)."""
    raw = "" if text is None else str(text).strip()
    sign = -1 if raw.startswith("-") else 1
    value = quantity.parse(raw[1:] if raw[:1] in "+-" else raw, uom, field, maximum=MAX_MOVE)
    return sign * value


@dataclass(frozen=True)
class MoveView:
    id: int
    at: datetime
    kind: str
    quantity: Decimal
    balance: Decimal  # on hand after this move
    unit_cost_minor: int | None
    order_number: str | None
    cashier: str | None
    till: str
    reason: str


@transactional
def receive(ref: object, qty: object, *, cost: object = None, reason: object = "", cashier: str | None = None,
            till: str = "") -> MoveView:
    """Goods received: `qty` in (the product's unit), at `cost` a unit if given (an amount as typed)."""
    product = _tracked(ref)
    check = validation.Checker()
    amount = check(quantity.parse, qty, product.uom, "quantity", maximum=MAX_MOVE)
    unit_cost = None
    if cost is not None and str(cost).strip():
        store = models.Store.select(models.Store.currency).first()
        unit_cost = check(parse_minor, str(cost), "cost", exponent(store.currency if store else "EUR"),
                          maximum=MAX_AMOUNT)
    note = check(validation.text, reason, "reason", max_length=200) or ""
    who = check(cashier_id, cashier)
    check.done()
    (move_id,) = _write([{"product": product.id, "kind": RECEIPT, "quantity": amount, "unit_cost_minor": unit_cost,
                          "cashier": who, "till": till, "reason": note}])
    return _move_view(move_id)


@transactional
def adjust(ref: object, qty: object, *, reason: object, cashier: str | None = None, till: str = "") -> MoveView:
    """A correction of what is on hand (broken, lost, found): `qty` signed (`-2`, `+3`), with its reason."""
    product = _tracked(ref)
    check = validation.Checker()
    amount = check(_signed, qty, product.uom, "quantity")
    note = check(validation.text, reason, "reason", max_length=200, required=True)
    who = check(cashier_id, cashier)
    check.done()
    (move_id,) = _write([{"product": product.id, "kind": ADJUSTMENT, "quantity": amount, "cashier": who,
                          "till": till, "reason": note}])
    return _move_view(move_id)


@dataclass(frozen=True)
class CountLine:
    row: int
    product_id: int
    sku: str
    name: str
    uom: str
    on_hand: Decimal
    counted: Decimal

    @property
    def difference(self) -> Decimal:
        return self.counted - self.on_hand


@dataclass(frozen=True)
class CountResult:
    lines: tuple[CountLine, ...]
    applied: bool

    @property
    def changes(self) -> tuple[CountLine, ...]:
        return tuple(line for line in self.lines if line.difference)


MAX_COUNT_ROWS = 200_000


def read_count(path: Path | str) -> list[tuple[int, str, str]]:
    """The rows (row number, reference, counted) of a count file: CSV with the columns
    `reference` and `counted` (a header row; `;` or `,` between cells)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationError("file", _("no file {path}").format(path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError("file", _("cannot read {path}: {error}").format(path=path, error=exc)) from None
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text.strip() else ",", delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except StopIteration:
        raise ValidationError("file", _("the file is empty: it needs the columns reference and counted")) from None
    except csv.Error as exc:
        raise ValidationError("file", str(exc)) from None
    missing = [name for name in ("reference", "counted") if name not in header]
    if missing:
        raise ValidationError("file", _("the header row must name the columns reference and counted (missing: "
                                        "{columns})").format(columns=", ".join(missing)))
    ref_at, counted_at = header.index("reference"), header.index("counted")
    rows = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_COUNT_ROWS:
                raise ValidationError("file", _("more than {n} rows").format(n=MAX_COUNT_ROWS))
            cells = cells + [""] * (max(ref_at, counted_at) + 1 - len(cells))
            rows.append((number, cells[ref_at], cells[counted_at]))
    except csv.Error as exc:
        raise ValidationError("file", str(exc)) from None
    return rows


def _plan(rows: list[tuple[int, str, str]]) -> tuple[CountLine, ...]:
    """The count's lines, every bad row named (row, column, reason) at once."""
    errors: dict[str, str] = {}
    parsed: list[tuple[int, models.Product, Decimal]] = []
    seen: dict[int, int] = {}
    for number, ref, counted in rows:
        try:
            product = _tracked(ref, f"row {number}, reference")
        except NotFound as exc:
            errors[f"row {number}, reference"] = exc.message
            continue
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        if product.id in seen:
            errors[f"row {number}, reference"] = _("{ref} is already counted on row {row}").format(
                ref=product.sku, row=seen[product.id])
            continue
        seen[product.id] = number
        try:
            value = quantity.parse(counted, product.uom, f"row {number}, counted", allow_zero=True,
                                   maximum=MAX_MOVE)
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        parsed.append((number, product, value))
    if not rows:
        errors["file"] = _("no rows to count")
    if errors:
        raise ValidationError(errors)
    have = on_hand([product.id for _n, product, _v in parsed])
    return tuple(CountLine(number, p.id, p.sku, p.name, p.uom, have[p.id], value) for number, p, value in parsed)


def preview_count(path: Path | str) -> CountResult:
    """What a count file would change (nothing written)."""
    return CountResult(_plan(read_count(path)), applied=False)


@transactional
def apply_count(path: Path | str, *, cashier: str | None = None, till: str = "", reason: object = "") -> CountResult:
    """Write a count: each product's difference between what was counted and what is on hand
    becomes a `count` move, in one transaction (nothing when any row is bad)."""
    rows = read_count(path)
    check = validation.Checker()
    who = check(cashier_id, cashier)
    note = check(validation.text, reason, "reason", max_length=200) or ""
    check.done()
    lines = _plan(rows)
    _write([{"product": line.product_id, "kind": COUNT, "quantity": line.difference, "cashier": who, "till": till,
             "reason": note or _("counted {counted}").format(counted=quantity.plain(line.counted))}
            for line in lines if line.difference])
    return CountResult(lines, applied=True)


# Reading the ledger ------------------------------------------------------------------------------------


def _move_view(move_id: int) -> MoveView:
    product_id = models.StockMove.get_by_id(move_id).product_id
    return next(m for m in moves(f"#{product_id}") if m.id == move_id)


def moves(ref: object, limit: int | None = None) -> list[MoveView]:
    """A product's moves, oldest first, each with what was on hand after it (the newest `limit`)."""
    info = catalog.find_product(validation.text(ref, "reference", max_length=60, required=True, code=True))
    M, O, C = models.StockMove, models.Order, models.Cashier
    rows = (M.select(M.id, M.at, M.kind, M.quantity, M.unit_cost_minor, O.number, C.name, M.till, M.reason)
            .join(O, join_type=JOIN.LEFT_OUTER, on=(M.order == O.id))
            .join(C, join_type=JOIN.LEFT_OUTER, on=(M.cashier == C.id))
            .where(M.product == info.id).order_by(M.id).tuples())
    balance = Decimal(0)
    out = []
    for move_id, at, kind, qty, cost, number, cashier, till, reason in rows:
        qty = quantity.quantize(Decimal(str(qty)), info.uom)
        balance += qty
        out.append(MoveView(move_id, at, kind, qty, balance, cost, number, cashier, till or "", reason or ""))
    return out[-limit:] if limit else out


@dataclass(slots=True)
class StockLine:
    product_id: int
    sku: str
    name: str
    category: str
    uom: str
    on_hand: Decimal
    reorder_point: Decimal
    cost_minor: int
    value_minor: int  # on hand at cost (negative below zero)

    @property
    def below_zero(self) -> bool:
        return self.on_hand < 0

    @property
    def low(self) -> bool:
        """Below zero, or at or below its reorder point (when it has one: more than zero)."""
        return self.on_hand < 0 or (self.reorder_point > 0 and self.on_hand <= self.reorder_point)


@dataclass(frozen=True)
class StockReport:
    lines: list[StockLine]

    @property
    def value_minor(self) -> int:
        return sum(line.value_minor for line in self.lines)

    @property
    def below_zero(self) -> int:
        return sum(1 for line in self.lines if line.below_zero)

    @property
    def low(self) -> int:
        return sum(1 for line in self.lines if line.low)


# One pass: the ledger summed per product over its (product, quantity) index, joined to the
# products tracked in stock. Archived products are left out unless something is still on hand.
REPORT_SQL = """
SELECT p.id, p.sku, p.name, p.category, p.uom, p.reorder_point, p.cost_minor, p.active, s.qty
  FROM product p
  LEFT JOIN (SELECT product_id, SUM(quantity) AS qty FROM stock_move GROUP BY product_id) s
         ON s.product_id = p.id
 WHERE p.track_stock = {true}{where}
 ORDER BY p.sku"""

_ONE = Decimal(1)
_PLACES = {n: _ONE.scaleb(-n) for n in range(4)}


def report(low: bool = False, category: str | None = None) -> StockReport:
    """Each product tracked in stock: on hand, its reorder point and its value at cost; `low`: only
    those below zero or at or below their reorder point (`StockLine.low`); `category`: that category and the ones
    under it ("Bakery" takes "Bakery / Bread")."""
    where, params = "", []
    if category is not None and category.strip():
        path = catalog.CATEGORY_SEPARATOR.join(part.strip() for part in category.split("/") if part.strip())
        mark = database.param
        where = f" AND (p.category = {mark} OR p.category LIKE {mark} ESCAPE '\\')"
        escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params = [path, escaped + catalog.CATEGORY_SEPARATOR + "%"]
    sql = REPORT_SQL.format(true="TRUE" if not is_sqlite() else "1", where=where)
    precision, places, half_up = quantity.PRECISION, _PLACES, ROUND_HALF_UP
    whole: dict[int, Decimal] = {}  # SQLite sums whole quantities as int: each Decimal made once

    def exact(value, step):  # an int or float from SQLite, a Decimal from PostgreSQL
        if type(value) is int:
            found = whole.get(value)
            if found is None:
                found = whole[value] = Decimal(value)
            return found
        return Decimal(str(value)).quantize(step, rounding=half_up)

    zero = exact(0, None)
    lines = []
    append = lines.append
    for pid, sku, name, cat, uom, reorder, cost, active, qty in database.execute_sql(sql, params):
        step = places[precision.get(uom, 0)]
        held = exact(qty, step) if qty else zero
        if not active and not held:
            continue
        point = exact(reorder, step) if reorder else zero
        if low and held >= 0 and not (point > 0 and held <= point):
            continue
        if not held or not cost:
            value = 0
        elif type(qty) is int:
            value = qty * cost
        else:
            value = int((held * cost).to_integral_value(rounding=half_up))
        append(StockLine(pid, sku, name, cat, uom, held, point, cost, value))
    return StockReport(lines)


def backfill_ledger() -> int:
    """The moves of the sales, refunds and voids paid before there was a ledger (a database
    upgraded to schema 2), so that on hand and `pos db check` agree with them: lines that have
    their move already are left alone. Returns how many moves were written."""
    true = "1" if is_sqlite() else "TRUE"
    before = models.StockMove.select().count()
    for kind, when, states, order_kind, sign in ((SALE, "o.paid_at", "'paid', 'voided'", "sale", "-"),
                                                 (REFUND, "o.paid_at", "'paid'", "refund", "-"),
                                                 (VOID, "COALESCE(o.voided_at, o.paid_at)", "'voided'", "sale", "")):
        database.execute_sql(f"""
            INSERT INTO stock_move (product_id, at, kind, quantity, order_id, line_id, cashier_id, till, reason)
            SELECT l.product_id, {when}, '{kind}', {sign}l.quantity, o.id, l.id, o.cashier_id, o.till, ''
              FROM order_line l
              JOIN sale_order o ON o.id = l.order_id
              JOIN product p ON p.id = l.product_id
             WHERE o.state IN ({states}) AND o.kind = '{order_kind}' AND p.track_stock = {true}
               AND NOT EXISTS (SELECT 1 FROM stock_move m WHERE m.line_id = l.id AND m.kind = '{kind}')""")
    return models.StockMove.select().count() - before


# Checks for `pos db check` -----------------------------------------------------------------------------


def check_ledger(limit: int = 50) -> list[str]:
    """What is wrong with the ledger: a paid sale's or refund's line of a tracked product without
    its move (or with another quantity), a voided sale's line without its `void` move, a move of a
    product not tracked in stock. At most `limit` problems, then a count of the rest."""
    problems: list[str] = []
    count = 0
    lines_sql = """
    SELECT o.number, l.id, l.sku, l.quantity, m.quantity
      FROM order_line l
      JOIN sale_order o ON o.id = l.order_id
      JOIN product p ON p.id = l.product_id
      LEFT JOIN stock_move m ON m.line_id = l.id AND m.kind = {kind}
     WHERE o.state IN ({states}) AND o.kind = {order_kind} AND p.track_stock = {true}
       AND (m.id IS NULL OR m.quantity <> {sign} l.quantity)
     ORDER BY l.id"""
    true = "1" if is_sqlite() else "TRUE"
    for kind, states, order_kind, sign in (("sale", "'paid', 'voided'", "sale", "-"),
                                           ("refund", "'paid'", "refund", "-"),
                                           ("void", "'voided'", "sale", "")):
        sql = lines_sql.format(kind=f"'{kind}'", states=states, order_kind=f"'{order_kind}'", true=true, sign=sign)
        for number, line_id, sku, qty, moved in database.execute_sql(sql):
            count += 1
            if count <= limit:
                if moved is None:
                    problems.append(_("{number} line {line} ({ref}): no {kind} move in the stock ledger").format(
                        number=number, line=line_id, ref=sku, kind=kind_label(kind)))
                else:
                    problems.append(_("{number} line {line} ({ref}): the {kind} move is {moved}, the line says "
                                      "{quantity}").format(number=number, line=line_id, ref=sku, kind=kind_label(kind),
                                                           moved=quantity.plain(Decimal(str(moved))),
                                                           quantity=quantity.plain(Decimal(str(qty)))))
    untracked = f"""
    SELECT p.sku, COUNT(*) FROM stock_move m JOIN product p ON p.id = m.product_id
     WHERE p.track_stock <> {true} GROUP BY p.sku ORDER BY p.sku"""
    for sku, n in database.execute_sql(untracked):
        count += 1
        if count <= limit:
            problems.append(_("{ref}: not tracked in stock, yet {n} moves in the ledger").format(ref=sku, n=n))
    if count > limit:
        problems.append(_("… and {n} more").format(n=count - limit))
    return problems

