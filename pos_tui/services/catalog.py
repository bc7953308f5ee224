"""The store's products: found by barcode or reference when scanned, by name when searched, and
added, changed, archived and restored with the same rules from the CLI, the till and an import.

A product's fields arrive as a person types them (`clean`): every bad field is named at once and
nothing is written. Every change is audited (who, when, old → new) and goes on the change feed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from peewee import fn
from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError

from pos_tui import models, quantity
from pos_tui.db import now, transactional
from pos_tui.errors import NotFound, ValidationError
from pos_tui.i18n import _, ngettext
from pos_tui.money import MAX_AMOUNT, exponent, parse_minor
from pos_tui.services import audit, events, product_search, taxes, validation

PRODUCT_CREATED, PRODUCT_UPDATED, PRODUCT_ARCHIVED, PRODUCT_RESTORED = (
    "product.created", "product.updated", "product.archived", "product.restored")

#: The fields of a product as a person types them (the CLI's options, the form, an import's columns).
FIELDS = ("reference", "name", "barcode", "price", "price_includes_tax", "cost", "category", "unit",
          "by_weight", "taxes", "available_in_pos", "track_stock", "reorder_point")
#: Separates the levels of a category: "Bakery / Bread".
CATEGORY_SEPARATOR = " / "


@dataclass(frozen=True)
class ProductInfo:
    id: int
    sku: str  # the internal reference
    barcode: str | None
    name: str
    price_minor: int
    tax_rate_bp: int
    price_includes_tax: bool
    category: str = ""
    uom: str = quantity.UNITS
    by_weight: bool = False
    available_in_pos: bool = True
    track_stock: bool = True
    reorder_point: Decimal = Decimal(0)
    cost_minor: int = 0
    active: bool = True
    taxes: tuple[str, ...] = ()
    tax_parts: tuple[tuple[str, int], ...] = field(default=(), repr=False)

    @property
    def reference(self) -> str:
        return self.sku

    @property
    def archived(self) -> bool:
        return not self.active


def _info(row: models.Product, tax_rows: list[models.Tax] | None = None) -> ProductInfo:
    if tax_rows is None:
        tax_rows = taxes.product_taxes(row.id)
    return ProductInfo(row.id, row.sku, row.barcode, row.name, row.price_minor, row.tax_rate_bp,
                       row.price_includes_tax, row.category, row.uom, row.by_weight, row.available_in_pos,
                       row.track_stock, quantity.quantize(row.reorder_point or 0, row.uom), row.cost_minor,
                       row.active, tuple(t.name for t in tax_rows), taxes.parts_of(tax_rows))


def _infos(rows: list[models.Product]) -> list[ProductInfo]:
    """Many products with their taxes, in two queries."""
    if not rows:
        return []
    PT, T = models.ProductTax, models.Tax
    by_product: dict[int, list[models.Tax]] = {}
    query = (T.select(T, PT.product).join(PT).where(PT.product.in_([r.id for r in rows]))
             .order_by(PT.product, PT.sequence, T.id))
    for tax in query:
        by_product.setdefault(tax.producttax.product_id, []).append(tax)
    return [_info(row, by_product.get(row.id, [])) for row in rows]


#: The columns `_infos_where` reads, in ProductInfo's order (up to `active`).
_INFO_FIELDS = ("id", "sku", "barcode", "name", "price_minor", "tax_rate_bp", "price_includes_tax", "category",
                "uom", "by_weight", "available_in_pos", "track_stock", "reorder_point", "cost_minor", "active")


def _infos_where(where: str, params: list) -> list[ProductInfo]:
    """Products with their taxes, in one query of plain SQL (`where` on `p`, the product): what a
    scan and each keystroke of a search read, where building them through the ORM cost more than
    the query, and each round trip to a server counts."""
    from pos_tui.db import database

    P = models.Product
    columns = ", ".join(f"p.{P._meta.fields[name].column_name}" for name in _INFO_FIELDS)
    rows = database.execute_sql(
        f"SELECT {columns}, t.name, t.rate_bp FROM product AS p LEFT JOIN product_tax AS pt ON pt.product_id = p.id "
        f"LEFT JOIN tax AS t ON t.id = pt.tax_id WHERE {where} ORDER BY p.id, pt.sequence, t.id", params).fetchall()
    to_point = P.reorder_point.python_value
    by_id: dict[int, tuple] = {}
    parts: dict[int, list[tuple[str, int]]] = {}
    for row in rows:
        by_id.setdefault(row[0], row)
        if row[-2] is not None:
            parts.setdefault(row[0], []).append((row[-2], row[-1]))
    out = []
    for (pid, sku, code, name, price, rate, included, category, uom, by_weight, in_pos, track, point, cost,
         active, _tax, _rate) in by_id.values():
        taxed = tuple(parts.get(pid, ()))
        out.append(ProductInfo(pid, sku, code, name, price, rate, bool(included), category, uom, bool(by_weight),
                               bool(in_pos), bool(track), quantity.quantize(to_point(point) or 0, uom), cost,
                               bool(active), tuple(n for n, _r in taxed), taxed))
    return out


# Finding ------------------------------------------------------------------------------------------


def find_by_code(code: str) -> ProductInfo | None:
    """An active product, sold at the till, whose barcode or reference (any case) is `code`: one
    query, answered by the unique indexes on barcode and reference (a barcode wins a tie)."""
    from pos_tui.db import database

    code = code.strip()
    if not code:
        return None
    p = database.param
    found = _infos_where(f"p.id = (SELECT id FROM product WHERE (barcode = {p} OR sku = {p}) AND active "
                         f"AND available_in_pos ORDER BY barcode = {p} DESC LIMIT 1)", [code, code.upper(), code])
    return found[0] if found else None


def find_product(ref: object, *, archived: bool = True) -> ProductInfo:
    """A product by its reference (any case), its barcode, or `#ID`; archived ones too unless
    `archived` is false. `NotFound` names what was looked for."""
    row = _row(ref)
    if not archived and not row.active:
        raise NotFound(_("Product “{ref}” is archived (pos products restore).").format(ref=row.sku))
    return _info(row)


def _row(ref: object) -> models.Product:
    P = models.Product
    raw = str(ref or "").strip()
    row = None
    if raw.startswith("#") and raw[1:].isdigit():
        row = P.get_or_none(P.id == int(raw[1:]))
    elif raw:
        row = P.get_or_none(P.sku == raw.upper()) or P.get_or_none(P.barcode == raw)
    if row is None:
        raise NotFound(_("No product with reference or barcode “{ref}”.").format(ref=raw))
    return row


def get_product(product_id: int) -> ProductInfo | None:
    row = models.Product.get_or_none(models.Product.id == product_id)
    return _info(row) if row else None


def search_products(query: str, limit: int = 50) -> list[ProductInfo]:
    """Active products with every word typed starting a word of their name, reference, barcode or
    category (any order, case and accents ignored): an exact reference or barcode first, then
    names starting with the first word, then the others, by name (`product_search`)."""
    ids = product_search.search_ids(query, limit)
    if not ids:
        return []
    from pos_tui.db import database

    found = {info.id: info for info in _infos_where(f"p.id IN ({', '.join([database.param] * len(ids))})", ids)}
    return [found[i] for i in ids if i in found]


def list_products(*, archived: bool = False, category: str = "", limit: int | None = None,
                  offset: int = 0) -> list[ProductInfo]:
    """Products by reference: the active ones (with `archived`, only the archived ones), in a
    category (any case) and its subcategories when one is given."""
    P = models.Product
    q = P.select().where(P.active == (not archived))
    if category.strip():
        path = normalise_category(category)
        # Any case, as `startswith` (ILIKE) matches the subcategories.
        q = q.where((fn.LOWER(P.category) == fn.LOWER(path)) | P.category.startswith(path + CATEGORY_SEPARATOR))
    q = q.order_by(P.sku).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return _infos(list(q))


# Validating ---------------------------------------------------------------------------------------


def normalise_category(value: object, field: str = "category") -> str:
    """A category path with its levels trimmed and joined by " / ": "Bakery/ Bread" → "Bakery / Bread"."""
    raw = validation.text(value, field, max_length=250)
    parts = [part.strip() for part in raw.split("/")]
    if raw and not all(parts):
        raise ValidationError(field, _("has an empty level (write levels as “Bakery / Bread”)"))
    return CATEGORY_SEPARATOR.join(parts) if raw else ""


def barcode(value: object, field: str = "barcode") -> str | None:
    """An EAN-13, EAN-8 or UPC-A barcode with its check digit right; empty → None."""
    raw = validation.text(value, field, max_length=32, code=True).replace(" ", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) not in (8, 12, 13):
        raise ValidationError(field, _("“{code}” is not an EAN-13, EAN-8 or UPC-A barcode (8, 12 or 13 digits)")
                              .format(code=raw))
    try:
        return ean.validate(raw)
    except StdnumError:
        raise ValidationError(field, _("“{code}” has a wrong check digit (it should end in {digit})").format(
            code=raw, digit=ean.calc_check_digit(raw[:-1]))) from None


def reference(value: object, field: str = "reference") -> str:
    ref = validation.text(value, field, max_length=40, required=True, code=True).upper()
    if any(ch.isspace() for ch in ref):
        raise ValidationError(field, _("must not contain spaces"))
    if ref.startswith("#"):
        raise ValidationError(field, _("must not start with “#”"))
    return ref


def _money(value: object, field: str, exp: int, *, required: bool) -> int:
    raw = "" if value is None else str(value).strip()
    if not raw:
        if required:
            raise ValidationError(field, _("is required"))
        return 0
    return parse_minor(raw, field, exp, maximum=MAX_AMOUNT)


@dataclass(frozen=True)
class Cleaned:
    values: dict  # Product fields
    taxes: list[models.Tax] | None  # None: not said


def clean(data: dict, exp: int = 2, current: models.Product | None = None, *, unique: bool = True,
          parse_taxes=taxes.parse_names) -> Cleaned:
    """Validate a product's fields as typed (`FIELDS`); every bad field is reported at once.
    `current`: the product being edited (its own reference and barcode are no conflict). An import
    checks many rows at once: it gives its own `parse_taxes` (the same rule, the taxes read once)
    and checks references and barcodes against the store itself (`unique=False`)."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({key: _("is not a product field (fields: {names})").format(
            names=", ".join(FIELDS)) for key in sorted(unknown)})
    check = validation.Checker()
    v: dict = {}
    v["sku"] = check(reference, data.get("reference"))
    v["name"] = check(validation.text, data.get("name"), "name", max_length=120, required=True)
    v["barcode"] = check(barcode, data.get("barcode"))
    v["price_minor"] = check(_money, data.get("price"), "price", exp, required=True)
    v["cost_minor"] = check(_money, data.get("cost"), "cost", exp, required=False) or 0
    v["category"] = check(normalise_category, data.get("category")) or ""
    v["uom"] = check(quantity.unit, data.get("unit")) or quantity.UNITS
    flags = {"by_weight": False, "available_in_pos": True, "track_stock": True}
    for name, default in flags.items():
        raw = data.get(name)
        v[name] = default if raw is None or str(raw).strip() == "" else check(validation.boolean, raw, name)
    if v["by_weight"] and v["uom"] and quantity.decimals(v["uom"]) == 0:
        check.errors.setdefault("unit", _("a product sold by weight is sold in kg, L or m, not {unit}")
                                .format(unit=_(v["uom"])))
    raw_point = data.get("reorder_point")
    v["reorder_point"] = (check(quantity.parse, raw_point, v["uom"] or quantity.UNITS, "reorder_point",
                                allow_zero=True, maximum=Decimal("999999999"))
                          if str(raw_point or "").strip() else Decimal(0))
    tax_rows = check(parse_taxes, data.get("taxes"))
    raw_included = data.get("price_includes_tax")
    if raw_included is not None and str(raw_included).strip():
        v["price_includes_tax"] = check(validation.boolean, raw_included, "price_includes_tax")
    elif tax_rows:
        kinds = {t.included for t in tax_rows}
        if len(kinds) > 1:
            check.errors.setdefault("price_includes_tax", _(
                "its taxes disagree on whether the price includes them: say yes or no"))
        v["price_includes_tax"] = kinds.pop()
    else:
        v["price_includes_tax"] = current.price_includes_tax if current is not None else True
    check.done()
    if unique:
        _unique(v, current.id if current is not None else None)
    return Cleaned(v, tax_rows)


def _unique(values: dict, exclude_id: int | None) -> None:
    P = models.Product
    errors = {}
    other = P.get_or_none((P.sku == values["sku"]) & (P.id != (exclude_id or 0)))
    if other is not None:
        errors["reference"] = _("“{ref}” is already used by {name}").format(ref=values["sku"], name=other.name)
    if values["barcode"]:
        other = P.get_or_none((P.barcode == values["barcode"]) & (P.id != (exclude_id or 0)))
        if other is not None:
            errors["barcode"] = _("{code} is already the barcode of {name} ({ref})").format(
                code=values["barcode"], name=other.name, ref=other.sku)
    if errors:
        raise ValidationError(errors)


def form_values(info: ProductInfo, exp: int = 2) -> dict:
    """A product as the form shows it: the strings a person would type to get the same product."""
    from pos_tui.money import from_minor

    return {
        "reference": info.sku, "name": info.name, "barcode": info.barcode or "",
        "price": f"{from_minor(info.price_minor, exp):f}", "price_includes_tax": "yes" if info.price_includes_tax else "no",
        "cost": f"{from_minor(info.cost_minor, exp):f}" if info.cost_minor else "",
        "category": info.category, "unit": info.uom, "by_weight": "yes" if info.by_weight else "no",
        "taxes": f" {taxes.SEPARATOR} ".join(info.taxes) or taxes.NONE_WORDS[0],
        "available_in_pos": "yes" if info.available_in_pos else "no",
        "track_stock": "yes" if info.track_stock else "no",
        "reorder_point": quantity.plain(info.reorder_point) if info.reorder_point else "",
    }


# Writing ------------------------------------------------------------------------------------------


def _exp() -> int:
    store = models.Store.select(models.Store.currency).first()
    return exponent(store.currency) if store else 2


def _audited(row: models.Product, tax_rows: list[models.Tax]) -> dict:
    """A product as the audit trail and the change feed record it (plain values)."""
    return {"reference": row.sku, "name": row.name, "barcode": row.barcode, "price_minor": row.price_minor,
            "price_includes_tax": row.price_includes_tax, "cost_minor": row.cost_minor,
            "category": row.category, "unit": row.uom, "by_weight": row.by_weight,
            "taxes": [t.name for t in tax_rows], "tax_rate_bp": row.tax_rate_bp,
            "available_in_pos": row.available_in_pos, "track_stock": row.track_stock,
            "reorder_point": quantity.plain(row.reorder_point or 0), "archived": not row.active}


@transactional
def add_product(data: dict, cashier_id: int | None = None) -> ProductInfo:
    """A new product from its fields as typed (`FIELDS`). Its taxes must be said (a tax's name,
    several joined by " + ", or "none")."""
    cleaned = clean(data, _exp())
    if cleaned.taxes is None:
        raise ValidationError("taxes", _("is required: name the product's taxes (e.g. “{example}”), or “none”")
                              .format(example=_example_tax()))
    stamp = now()
    row = models.Product.create(**cleaned.values, tax_rate_bp=0, created_at=stamp, updated_at=stamp)
    row.tax_rate_bp = taxes.set_product_taxes(row.id, cleaned.taxes)
    row.save()
    record = _audited(row, cleaned.taxes)
    audit.record("product", row.id, "create", audit.diff({}, record), cashier_id)
    events.emit(PRODUCT_CREATED, "product", row.id, {"id": row.id, **record})
    return _info(row, cleaned.taxes)


def _example_tax() -> str:
    row = models.Tax.select(models.Tax.name).where(models.Tax.active == True).first()  # noqa: E712
    return row.name if row else "IVA 21%"


@transactional
def update_product(ref: object, changes: dict, cashier_id: int | None = None) -> ProductInfo:
    """Change some of a product's fields (as typed); the others keep their values. Audited field
    by field (old → new); nothing is written when nothing changed."""
    row = _row(ref)
    exp = _exp()
    before_taxes = taxes.product_taxes(row.id)
    before = _audited(row, before_taxes)
    data = form_values(_info(row, before_taxes), exp)
    data.update(changes)
    if "taxes" in changes and "price_includes_tax" not in changes:
        data["price_includes_tax"] = None  # follows the new taxes
    cleaned = clean(data, exp, current=row)
    new_taxes = before_taxes if cleaned.taxes is None else cleaned.taxes
    for key, value in cleaned.values.items():
        setattr(row, key, value)
    after = _audited(row, new_taxes)
    changed = audit.diff(before, after)
    changed.pop("tax_rate_bp", None)
    if not changed:
        return _info(row, before_taxes)
    if changed.get("track_stock") == [True, False]:
        moves = models.StockMove.select().where(models.StockMove.product == row.id).count()
        if moves:
            raise ValidationError("track_stock", ngettext(
                "it has {n} stock move: a product with a stock history stays tracked (archive it instead)",
                "it has {n} stock moves: a product with a stock history stays tracked (archive it instead)",
                moves).format(n=moves))
    if "taxes" in changed:
        row.tax_rate_bp = taxes.set_product_taxes(row.id, new_taxes)
        after["tax_rate_bp"] = row.tax_rate_bp
    row.updated_at = now()
    row.save()
    audit.record("product", row.id, "update", changed, cashier_id)
    events.emit(PRODUCT_UPDATED, "product", row.id, {"id": row.id, **after, "changed": sorted(changed)})
    return _info(row, new_taxes)


@transactional
def archive_product(ref: object, cashier_id: int | None = None, archived: bool = True) -> ProductInfo:
    """Archive a product (gone from the till and the lists; its sales and stock moves kept), or
    restore it."""
    row = _row(ref)
    if row.active != archived:
        return _info(row)
    row.active = not archived
    row.updated_at = now()
    row.save()
    audit.record("product", row.id, "archive" if archived else "restore", {"archived": [not archived, archived]},
                 cashier_id)
    events.emit(PRODUCT_ARCHIVED if archived else PRODUCT_RESTORED, "product", row.id,
                {"id": row.id, "reference": row.sku, "archived": archived})
    return _info(row)


def line_taxes_json(product_id: int) -> str:
    """What a sale line keeps of its product's taxes: their names and rates when there are several
    (one tax is its rate alone). One query, on the scan's path."""
    parts = taxes.parts_of(taxes.product_taxes(product_id))
    return json.dumps([list(p) for p in parts], ensure_ascii=False) if len(parts) > 1 else ""
