"""Products in from a file: our own export (`native`) or Odoo's product export (`odoo`), each row
checked with the rules of the CLI and the till (`catalog.clean` and its validators) and against the
store and the rows above it.

A dry run (the default) reports what would be created and updated, and every refused row with its
row number, column and reason; it writes nothing. Applying writes in one transaction: every valid
row, or — when a row is refused and `skip_invalid` is not given — none. `update`: a reference the
store has is updated (the file's columns replace its fields) instead of refused.

Fast on purpose, since a store's catalog can hold a hundred thousand products: the file is read as
`imports` reads customer files (encoding and delimiter detected), the store's references and
barcodes are read in one query, the fields that repeat from row to row (category, unit, taxes,
flags) are checked once per distinct combination, prices once per distinct text, and the products,
their taxes, their audit entries and their `product.created`/`product.updated` events are written
in bulk (`bulk.insert`, `events.emit_many`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from peewee import IntegrityError
from peewee import __exception_wrapper__ as driver_errors

from pos_tui import models, quantity
from pos_tui.db import database, is_sqlite, now, write
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import _
from pos_tui.services import bulk, catalog, events, exports, imports, taxes, validation
from pos_tui.services.validation import boolean
from pos_tui.services.imports import Problem, Source
from pos_tui.services.store import require_store

PROFILES = imports.PROFILES
#: Rows written per statement.
BATCH = 1000

Progress = Callable[[str, int, int], None]  # (stage: "check" | "write", done, total)

#: The columns of our own export (`pos products export`), which the native profile reads back.
NATIVE_COLUMNS = ("reference", "name", "barcode", "price", "price_includes_tax", "cost", "currency", "category",
                  "unit", "by_weight", "taxes", "available_in_pos", "track_stock", "reorder_point", "archived")
_NATIVE = {name: name for name in NATIVE_COLUMNS}
#: Odoo's product export: its column labels (English) and its field names, as our fields.
ODOO_COLUMNS = ("Internal Reference", "Name", "Barcode", "Sales Price", "Cost", "Product Category",
                "Unit of Measure", "To Weigh With Scale", "Available in POS")
_ODOO = {
    "internal reference": "reference", "default_code": "reference", "name": "name", "barcode": "barcode",
    "sales price": "price", "list_price": "price", "cost": "cost", "standard_price": "cost",
    "product category": "category", "categ_id": "category", "unit of measure": "unit", "uom_id": "unit",
    "to weigh with scale": "by_weight", "to_weight": "by_weight", "available in pos": "available_in_pos",
    "available in point of sale": "available_in_pos", "available_in_pos": "available_in_pos",
    "customer taxes": "taxes", "taxes_id": "taxes", "active": "active",
    "product type": "product_type", "type": "product_type", "detailed_type": "product_type",
}
#: Odoo's product types: only storable goods have their stock counted (a service never, and Odoo
#: keeps no stock of a consumable either). Its labels and its keys, from Odoo 15 to 18.
_ODOO_TRACKED = {"storable product": True, "storable": True, "product": True, "goods": True,
                 "consumable": False, "consu": False, "service": False, "combo": False}
#: The fields checked row by row; the others repeat and are checked once per distinct combination.
_OWN = ("reference", "name", "barcode", "price", "cost")
_GROUP = tuple(name for name in catalog.FIELDS if name not in _OWN)


@dataclass
class ProductImport:
    """What an import found (and did): `refused` holds every problem, a row may have several."""

    source: Source
    rows: int = 0
    to_create: int = 0
    to_update: int = 0
    refused: list[Problem] = field(default_factory=list)
    applied: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    check_seconds: float = 0.0
    write_seconds: float = 0.0

    @property
    def refused_rows(self) -> int:
        return len({p.row for p in self.refused})


@dataclass
class _Row:
    row: int
    values: dict  # Product fields
    taxes: list[models.Tax] | None
    archived: bool | None  # None: the file does not say
    existing: tuple | None = None  # the stored product it updates (see `_Store`)


class _Store:
    """The store's products as the import needs them, read in two queries: by reference and by
    barcode, with their fields (for an update's old → new) and their taxes."""

    COLUMNS = ("id", "sku", "barcode", "name", "price_minor", "tax_rate_bp", "price_includes_tax", "category",
               "active", "cost_minor", "uom", "by_weight", "available_in_pos", "track_stock", "reorder_point")

    def __init__(self) -> None:
        names = ", ".join(f'"{c}"' for c in self.COLUMNS)
        rows = database.execute_sql(f'SELECT {names} FROM "product"').fetchall()
        self.by_sku = {row[1]: row for row in rows}
        self.by_barcode = {row[2]: row for row in rows if row[2]}
        self._taxes: dict[int, list[int]] | None = None

    def taxes_of(self, product_id: int, by_id: dict[int, models.Tax]) -> list[models.Tax]:
        if self._taxes is None:
            self._taxes = {}
            for product, tax in database.execute_sql(
                    'SELECT "product_id", "tax_id" FROM "product_tax" ORDER BY "product_id", "sequence", "tax_id"'):
                self._taxes.setdefault(product, []).append(tax)
        return [by_id[t] for t in self._taxes.get(product_id, []) if t in by_id]


def _record(values: dict, tax_rows: list[models.Tax], archived: bool) -> dict:
    """A product as the audit trail and the change feed record it: `catalog._audited`'s fields,
    from the values about to be written (no model object per row)."""
    return {"reference": values["sku"], "name": values["name"], "barcode": values["barcode"],
            "price_minor": values["price_minor"], "price_includes_tax": values["price_includes_tax"],
            "cost_minor": values["cost_minor"], "category": values["category"], "unit": values["uom"],
            "by_weight": values["by_weight"], "taxes": [t.name for t in tax_rows],
            "tax_rate_bp": sum(t.rate_bp for t in tax_rows), "available_in_pos": values["available_in_pos"],
            "track_stock": values["track_stock"], "reorder_point": quantity.plain(values["reorder_point"] or 0),
            "archived": archived}


def _stored_record(row: tuple, tax_rows: list[models.Tax]) -> dict:
    (_id, sku, barcode, name, price, _rate, included, category, active, cost, uom, by_weight, in_pos, track,
     point) = row
    values = {"sku": sku, "barcode": barcode, "name": name, "price_minor": price, "price_includes_tax": bool(included),
              "cost_minor": cost, "category": category, "uom": uom, "by_weight": bool(by_weight),
              "available_in_pos": bool(in_pos), "track_stock": bool(track),
              "reorder_point": quantity.quantize(Decimal(str(point or 0)), uom)}
    return _record(values, tax_rows, not active)


def _form(row: tuple, tax_rows: list[models.Tax], exp: int) -> dict:
    """A stored product as typed (`catalog.form_values`), the base an update's columns replace."""
    info = catalog.ProductInfo(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7],
                               row[10], bool(row[11]), bool(row[12]), bool(row[13]),
                               quantity.quantize(Decimal(str(row[14] or 0)), row[10]), row[9], bool(row[8]),
                               tuple(t.name for t in tax_rows))
    return catalog.form_values(info, exp)


class _Checker:
    """Each row through the catalog's rules, the repeated parts once."""

    def __init__(self, exp: int, default_taxes: list[models.Tax] | None) -> None:
        self.exp = exp
        self.default_taxes = default_taxes
        self.groups: dict[tuple, tuple[catalog.Cleaned | None, dict]] = {}
        self.amounts: dict[tuple[str, str], tuple[int | None, dict]] = {}
        self.tax_names: dict[str, list[models.Tax] | ValidationError | None] = {}

    def parse_taxes(self, value: object, field: str = "taxes") -> list[models.Tax] | None:
        """`taxes.parse_names`, once per distinct text."""
        key = str(value)
        if key not in self.tax_names:
            try:
                self.tax_names[key] = taxes.parse_names(value, field)
            except ValidationError as exc:
                self.tax_names[key] = exc
        found = self.tax_names[key]
        if isinstance(found, ValidationError):
            raise found
        return found

    def _group(self, data: dict) -> tuple[catalog.Cleaned | None, dict]:
        """`catalog.clean` on the fields that repeat (the row's own replaced by valid stand-ins).
        A field missing and an empty one are the same to `clean`, so they share a group."""
        key = tuple(map(data.get, _GROUP))
        found = self.groups.get(key)
        if found is None:
            sample = {name: value for name, value in zip(_GROUP, key) if value is not None}
            sample.update(reference="X", name="x", price="0")
            try:
                found = (catalog.clean(sample, self.exp, unique=False, parse_taxes=self.parse_taxes), {})
            except ValidationError as exc:
                found = (None, exc.errors)
            self.groups[key] = found
        return found

    def _amount(self, value: str, name: str, required: bool) -> tuple[int | None, dict]:
        key = (name, value)
        found = self.amounts.get(key)
        if found is None:
            try:
                found = (catalog._money(value, name, self.exp, required=required), {})
            except ValidationError as exc:
                found = (None, exc.errors)
            if len(self.amounts) < 100_000:
                self.amounts[key] = found
        return found

    def clean(self, data: dict) -> tuple[dict | None, list[models.Tax] | None, dict]:
        """The product's values and taxes, or the problems (field -> message): `catalog.clean`'s
        rules, the fields of the row itself checked here as `clean` checks them."""
        group, errors = self._group(data)
        errors = dict(errors)
        values = dict(group.values) if group is not None else {}
        try:
            values["sku"] = catalog.reference(data.get("reference"))
        except ValidationError as exc:
            errors.update(exc.errors)
        try:
            values["name"] = validation.text(data.get("name"), "name", max_length=120, required=True)
        except ValidationError as exc:
            errors.update(exc.errors)
        code = data.get("barcode") or ""
        if code.isdigit() and code.isascii() and len(code) in (8, 12, 13) and _check_digit_ok(code):
            values["barcode"] = code  # what `catalog.barcode` returns for it, without its slower path
        else:
            try:
                values["barcode"] = catalog.barcode(code)
            except ValidationError as exc:
                errors.update(exc.errors)
        price, problem = self._amount(data.get("price", ""), "price", True)
        errors.update(problem)
        cost, problem = self._amount(data.get("cost", ""), "cost", False)
        errors.update(problem)
        if errors:
            return None, None, errors
        values["price_minor"], values["cost_minor"] = price, cost or 0
        return values, group.taxes, {}


def _check_digit_ok(code: str) -> bool:
    """The EAN/UPC check digit of a code of 8, 12 or 13 ASCII digits is right (the sum python-stdnum's
    `ean.validate` checks: weights 3 and 1 from the right, the check digit itself weighing 1)."""
    digits = code.encode()  # ASCII codes: each digit is its code minus 48
    odd, even = digits[-2::-2], digits[-3::-2]
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even) + digits[-1] - 48
    return total % 10 == 0


def _unneutralised(data: dict) -> None:
    """What an export neutralised (a `'` before a formula character), read back."""
    for key, value in data.items():
        if value[:1] == "'":
            data[key] = exports.unneutralise(value)


def _odoo_row(data: dict, errors: dict) -> None:
    """Odoo's ways of writing a field, in ours: `active` for archived, the product type for whether
    its stock is counted, a price with a decimal comma (our validators read "3,50" as 3.50 already)."""
    kind = data.pop("product_type", None)
    if kind and str(kind).strip() and not str(data.get("track_stock") or "").strip():
        tracked = _ODOO_TRACKED.get(str(kind).strip().lower())
        if tracked is None:
            errors["product_type"] = _("“{kind}” is not an Odoo product type (Storable Product, Consumable, "
                                       "Service)").format(kind=kind)
        else:
            data["track_stock"] = "yes" if tracked else "no"
    if "active" in data:
        active = data.pop("active")
        if active:
            try:
                data["archived"] = not boolean(active, "active")
            except ValidationError as exc:
                errors.update(exc.errors)


def _column_of(source: Source, target: str) -> str:
    for column, name in source.fields.items():
        if name == target:
            return column
    return {"sku": "reference", "price_minor": "price", "cost_minor": "cost"}.get(target, target)


def check_rows(source: Source, rows: Iterable[tuple[int, dict[str, str]]], profile: str, *, update: bool,
               default_taxes: list[models.Tax] | None, progress: Callable[[int], None] | None = None,
               ) -> tuple[list[_Row], list[Problem], int]:
    """Every row through the catalog's rules, then against the rows above it and the store.
    Returns the valid rows (to create and to update), the problems and how many rows were read."""
    shop = require_store()
    exp = shop.exponent
    checker = _Checker(exp, default_taxes)
    stored = _Store()
    tax_by_id = {t.id: t for t in models.Tax.select()}
    columns = [(column, target) for column, target in source.fields.items()]
    flags: dict[str, bool | ValidationError] = {}
    defaults_text = f" {taxes.SEPARATOR} ".join(t.name for t in default_taxes) if default_taxes else ""
    valid: list[_Row] = []
    problems: list[Problem] = []
    refs: dict[str, int] = {}
    codes: dict[str, int] = {}
    count = 0
    for number, raw in rows:
        count += 1
        data = {target: (value.strip() if (value := raw.get(column)) else "") for column, target in columns}
        if "'" in "".join(data.values()):  # rare: only then look for what an export neutralised
            _unneutralised(data)
        errors: dict[str, str] = {}
        if profile == "odoo":
            _odoo_row(data, errors)
        currency = data.pop("currency", "")
        if currency and currency.upper() != shop.currency:
            errors["currency"] = _("the prices are in {theirs}; this store counts in {ours}").format(
                theirs=currency, ours=shop.currency)
        archived = data.pop("archived", None)
        if isinstance(archived, str):
            if archived not in flags:
                try:
                    flags[archived] = boolean(archived, "archived") if archived else None
                except ValidationError as exc:
                    flags[archived] = exc
            archived = flags[archived]
            if isinstance(archived, ValidationError):
                errors.update(archived.errors)
                archived = None
        existing = stored.by_sku.get(data.get("reference", "").upper()) if update else None
        if not data.get("taxes"):  # not said: the default taxes for a new product, its own for one updated
            data.pop("taxes", None)
            if existing is None:
                if defaults_text:
                    data["taxes"] = defaults_text
                else:
                    errors.setdefault("taxes", _(
                        "no taxes named: add a taxes column, or give the taxes of such rows "
                        "(pos products import --tax \"{example}\")").format(example=catalog._example_tax()))
        if existing is not None:
            base = _form(existing, stored.taxes_of(existing[0], tax_by_id), exp)
            base.update(data)
            if "taxes" in data and "price_includes_tax" not in data:
                base["price_includes_tax"] = None  # follows the new taxes, as `catalog.update_product`
            data = base
        values, tax_rows, problem = checker.clean(data)
        errors = {**problem, **errors}
        if values is not None and not errors:
            tax_rows = tax_rows or []
            sku, code = values["sku"], values["barcode"]
            if sku in refs:
                errors["reference"] = _("“{ref}” is also the reference of row {row}").format(ref=sku, row=refs[sku])
            elif existing is None and sku in stored.by_sku:
                other = stored.by_sku[sku]
                errors["reference"] = _("“{ref}” is already used by {name}").format(ref=sku, name=other[3])
            if code:
                other = stored.by_barcode.get(code)
                if code in codes:
                    errors["barcode"] = _("{code} is also the barcode of row {row}").format(code=code, row=codes[code])
                elif other is not None and (existing is None or other[0] != existing[0]):
                    errors["barcode"] = _("{code} is already the barcode of {name} ({ref})").format(
                        code=code, name=other[3], ref=other[1])
        if errors:
            for target, message in errors.items():
                column = _column_of(source, target)
                problems.append(Problem(number, column, message, (raw.get(column) or "")[:200]))
        else:
            refs[values["sku"]] = number
            if values["barcode"]:
                codes[values["barcode"]] = number
            valid.append(_Row(number, values, tax_rows, archived, existing))
        if progress and count % 1000 == 0:
            progress(count)
    if progress:
        progress(count)
    problems.sort(key=lambda p: p.row)
    return valid, problems, count


# Writing ------------------------------------------------------------------------------------------


def _new_ids(n: int) -> list[int]:
    """Ids for `n` new products, reserved inside the write transaction: on SQLite the next ones
    (the transaction holds the write lock), elsewhere from the table's sequence."""
    if n == 0:
        return []
    if is_sqlite():
        start = database.execute_sql('SELECT COALESCE(MAX("id"), 0) FROM "product"').fetchone()[0]
        return list(range(start + 1, start + 1 + n))
    rows = database.execute_sql("SELECT nextval(pg_get_serial_sequence('product', 'id')) "
                                "FROM generate_series(1, %s)", (n,)).fetchall()
    return [row[0] for row in rows]


def _update(changes: list[tuple[int, dict, int, bool, bool]], stamp: object) -> None:
    """Products changed in place, one statement for all (and their old taxes gone where the file
    gives new ones): (id, values, total rate, archived, new taxes)."""
    if not changes:
        return
    meta = models.Product._meta
    names = [*changes[0][1], "tax_rate_bp", "active", "updated_at"]
    assignments = ", ".join(f'"{meta.fields[name].column_name}" = {database.param}' for name in names)
    sql = f'UPDATE "{meta.table_name}" SET {assignments} WHERE "id" = {database.param}'
    rows = [[*(bulk.db_value(v) for v in values.values()), rate, not archived, bulk.db_value(stamp), product_id]
            for product_id, values, rate, archived, _new_taxes in changes]
    with driver_errors:
        database.cursor().executemany(sql, rows)
    retaxed = [product_id for product_id, *_rest, new_taxes in changes if new_taxes]
    if retaxed:
        marks = ", ".join([database.param] * len(retaxed))
        database.execute_sql(f'DELETE FROM "product_tax" WHERE "product_id" IN ({marks})', retaxed)


_to_json = json.JSONEncoder(ensure_ascii=False, default=str).encode


def _created_json(record: dict) -> str:
    """A new product's audit entry as `audit.record` writes it: `audit.diff({}, record)` (every
    field that has a value, as [null, value]) in JSON."""
    return _to_json({key: [None, value] for key, value in record.items() if value is not None})


def write_rows(valid: list[_Row], cashier_id: int | None = None,
               progress: Callable[[int], None] | None = None) -> tuple[int, int, int]:
    """Create and update the products of `valid` in one transaction, each with its taxes, its audit
    entry and its change-feed event as `catalog.add_product` / `update_product` write them.
    Returns (created, updated, unchanged)."""
    P = models.Product
    created = updated = unchanged = 0
    # A new product's record is `_record`'s, written out inline (a hundred thousand calls fewer).
    stamp = now()
    with write(), imports._page_cache(64 * 1024):
        new = [item for item in valid if item.existing is None]
        ids = iter(_new_ids(len(new)))
        tax_by_id = {t.id: t for t in models.Tax.select()}
        stored = _Store() if len(new) < len(valid) else None
        done = 0
        at = bulk.db_value(stamp)
        product_names = [*new[0].values, "id", "tax_rate_bp", "active", "created_at", "updated_at"] if new else []
        audit_names = ["entity", "entity_id", "action", "cashier", "at", "changes"]
        of_taxes: dict[int, tuple[list[str], int, list[int]]] = {}  # id(a row's taxes list) -> names, rate, ids
        for start in range(0, len(valid), BATCH):
            batch = valid[start:start + BATCH]
            products, links, audits, told, changes = [], [], [], [], []
            for item in batch:
                values, tax_rows = item.values, item.taxes or []
                if item.existing is None:
                    known = of_taxes.get(id(item.taxes))
                    if known is None:
                        known = of_taxes[id(item.taxes)] = ([t.name for t in tax_rows],
                                                            sum(t.rate_bp for t in tax_rows),
                                                            [t.id for t in tax_rows])
                    names, rate, tax_ids = known
                    product_id = next(ids)
                    archived = bool(item.archived)
                    products.append([*values.values(), product_id, rate, not archived, at, at])
                    record = {"reference": values["sku"], "name": values["name"], "barcode": values["barcode"],
                              "price_minor": values["price_minor"],
                              "price_includes_tax": values["price_includes_tax"], "cost_minor": values["cost_minor"],
                              "category": values["category"], "unit": values["uom"],
                              "by_weight": values["by_weight"], "taxes": names, "tax_rate_bp": rate,
                              "available_in_pos": values["available_in_pos"], "track_stock": values["track_stock"],
                              "reorder_point": quantity.plain(values["reorder_point"]), "archived": archived}
                    audits.append(["product", product_id, "create", cashier_id, at, _created_json(record)])
                    record["id"] = product_id
                    told.append((catalog.PRODUCT_CREATED, "product", product_id, record))
                    links.extend([product_id, tax_id, i] for i, tax_id in enumerate(tax_ids))
                    created += 1
                    continue
                rate = sum(t.rate_bp for t in tax_rows)
                current = stored.by_sku.get(values["sku"], item.existing)  # as it is now, inside the transaction
                product_id = current[0]
                before_taxes = stored.taxes_of(product_id, tax_by_id)
                before = _stored_record(current, before_taxes)
                archived = before["archived"] if item.archived is None else bool(item.archived)
                after = _record(values, tax_rows, archived)
                changed = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
                changed.pop("tax_rate_bp", None)
                if not changed:
                    unchanged += 1
                    continue
                changes.append((product_id, values, rate, archived, "taxes" in changed))
                if "taxes" in changed:
                    links.extend([product_id, t.id, i] for i, t in enumerate(tax_rows))
                audits.append(["product", product_id, "update", cashier_id, at, _to_json(changed)])
                told.append((catalog.PRODUCT_UPDATED, "product", product_id,
                             {"id": product_id, **after, "changed": sorted(changed)}))
                updated += 1
            bulk.insert_values(P, product_names, products)
            _update(changes, stamp)
            bulk.insert_values(models.ProductTax, ["product", "tax", "sequence"], links)
            bulk.insert_values(models.AuditLog, audit_names, audits)
            events.emit_many(told)
            done += len(batch)
            if progress:
                progress(done)
    return created, updated, unchanged


# The whole import ---------------------------------------------------------------------------------


def suggested_tax() -> str:
    """The tax to offer for the rows of a file that name none: the store's first active tax."""
    row = models.Tax.select(models.Tax.name).where(models.Tax.active == True).order_by(models.Tax.id).first()  # noqa: E712
    return row.name if row else ""


def _default_taxes(value: object) -> list[models.Tax] | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    found = taxes.parse_names(value, "--tax")
    return found if found is not None else None


def import_products(source: Path | str, *, profile: str = "native", apply: bool = False, skip_invalid: bool = False,
                    update: bool = False, default_taxes: object = None, cashier_id: int | None = None,
                    progress: Progress | None = None) -> ProductImport:
    """Check a file of products and, with `apply`, write them (see the module's docstring).
    `default_taxes`: the taxes of the rows that name none ("IVA 21%", several joined by " + ")."""
    with exports.no_gc():
        return _import_products(Path(source), profile, apply, skip_invalid, update, default_taxes, cashier_id,
                                progress)


def _import_products(path: Path, profile: str, apply: bool, skip_invalid: bool, update: bool,
                     default_taxes: object, cashier_id: int | None, progress: Progress | None) -> ProductImport:
    known = _ODOO if profile == "odoo" else _NATIVE
    source, rows = imports.read_rows(path, profile, known)
    defaults = _default_taxes(default_taxes)
    report = ProductImport(source)
    started = time.perf_counter()
    total = imports.count_records(source) if progress else 0
    valid, report.refused, report.rows = check_rows(
        source, rows, profile, update=update, default_taxes=defaults,
        progress=(lambda done: progress("check", done, total)) if progress else None)
    report.to_update = sum(1 for item in valid if item.existing is not None)
    report.to_create = len(valid) - report.to_update
    report.check_seconds = time.perf_counter() - started
    if not apply or (report.refused and not skip_invalid) or not valid:
        return report
    started = time.perf_counter()
    try:
        report.created, report.updated, report.unchanged = write_rows(
            valid, cashier_id, (lambda done: progress("write", done, len(valid))) if progress else None)
    except IntegrityError as exc:  # a till saved the same reference or barcode since the check
        raise PosError(_("Nothing was written: the database refused a row ({error}); another till may have just "
                         "saved one of these products. Run the import again.").format(error=exc)) from None
    report.applied = True
    report.write_seconds = time.perf_counter() - started
    return report

