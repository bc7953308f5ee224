"""The store's taxes: named, with a rate and whether prices include them. A product carries one or
more (Spain's VAT and its equivalence surcharge); the one tax engine (`pos_tui.money`) taxes a
line at their sum and shares the tax between them."""

from __future__ import annotations

from dataclasses import dataclass

from peewee import JOIN, fn

from pos_tui import models
from pos_tui.db import database, now, transactional
from pos_tui.errors import NotFound, StateError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.money import format_rate
from pos_tui.services import audit, events, validation

VAT, SURCHARGE, OTHER = "vat", "surcharge", "other"
#: The kinds of tax (translated with `_(kind)`): a surcharge is shown beside the VAT it goes with.
KINDS = (N_("vat"), N_("surcharge"), N_("other"))
TAX_CREATED, TAX_UPDATED, TAX_ARCHIVED = "tax.created", "tax.updated", "tax.archived"
#: Between the names of several taxes in one field: "IVA 21% + RE 5,2%".
SEPARATOR = "+"
#: A product with no tax says so with this word (or leaves the field empty where that is allowed).
NONE_WORDS = ("none", "ninguno", "-")

#: The taxes a new store of these countries starts with: (name, rate in basis points, kind).
STANDARD = {
    "ES": (("IVA 21%", 2100, VAT), ("IVA 10%", 1000, VAT), ("IVA 4%", 400, VAT), ("IVA 0%", 0, VAT),
           ("RE 5,2%", 520, SURCHARGE), ("RE 1,4%", 140, SURCHARGE), ("RE 0,5%", 50, SURCHARGE)),
    "MX": (("IVA 16%", 1600, VAT), ("IVA 8%", 800, VAT), ("IVA 0%", 0, VAT)),
}


@dataclass(frozen=True)
class TaxInfo:
    id: int
    name: str
    rate_bp: int
    included: bool
    kind: str
    active: bool
    products: int = 0  # active products that carry it

    @property
    def rate(self) -> str:
        return format_rate(self.rate_bp)


def _info(row: models.Tax, products: int = 0) -> TaxInfo:
    return TaxInfo(row.id, row.name, row.rate_bp, row.included, row.kind, row.active, products)


def _product_counts() -> dict[int, int]:
    PT, P = models.ProductTax, models.Product
    rows = (PT.select(PT.tax, fn.COUNT(PT.product)).join(P).where(P.active == True)  # noqa: E712
            .group_by(PT.tax).tuples())
    return dict(rows)


def list_taxes(archived: bool = False) -> list[TaxInfo]:
    """The active taxes (with `archived`, the archived ones too), by kind and rate."""
    T = models.Tax
    query = T.select()
    if not archived:
        query = query.where(T.active == True)  # noqa: E712
    counts = _product_counts()
    rows = sorted(query, key=lambda t: (KINDS.index(t.kind) if t.kind in KINDS else 9, -t.rate_bp, t.name))
    return [_info(row, counts.get(row.id, 0)) for row in rows]


def _find(name_or_id: object) -> models.Tax:
    T = models.Tax
    raw = str(name_or_id or "").strip()
    row = None
    if raw.isdigit():
        row = T.get_or_none(T.id == int(raw))
    if row is None and raw:
        folded = raw.casefold()
        row = next((t for t in T.select() if t.name.casefold() == folded), None)
    if row is None:
        raise NotFound(_("No tax named “{name}” (see pos taxes list).").format(name=raw))
    return row


def get_tax(name_or_id: object) -> TaxInfo:
    row = _find(name_or_id)
    return _info(row, _product_counts().get(row.id, 0))


def _name(value: object, field: str = "name") -> str:
    name = validation.text(value, field, max_length=60, required=True)
    if SEPARATOR in name:
        raise ValidationError(field, _("must not contain “{sep}” (it separates the taxes of a product)")
                              .format(sep=SEPARATOR))
    if name.casefold() in NONE_WORDS:
        raise ValidationError(field, _("“{name}” means no tax: choose another name").format(name=name))
    return name


def _kind(value: object, field: str = "kind") -> str:
    kind = str(value or VAT).strip().lower()
    if kind not in KINDS:
        raise ValidationError(field, _("must be one of: {choices}").format(choices=", ".join(KINDS)))
    return kind


def _rate(value: object, field: str = "rate") -> int:
    if value is None or str(value).strip() == "":
        raise ValidationError(field, _("is required"))
    return validation.percent(value, field)


def _unique(name: str, exclude_id: int | None = None) -> None:
    folded = name.casefold()
    for row in models.Tax.select(models.Tax.id, models.Tax.name):
        if row.name.casefold() == folded and row.id != exclude_id:
            raise ValidationError("name", _("“{name}” is already a tax").format(name=row.name))


def _payload(row: models.Tax) -> dict:
    return {"id": row.id, "name": row.name, "rate_bp": row.rate_bp, "included": row.included,
            "kind": row.kind, "active": row.active}


@transactional
def add_tax(name: object, rate: object, included: object = True, kind: object = VAT,
            cashier_id: int | None = None) -> TaxInfo:
    """A new tax: `rate` as a percent typed by a person ("21", "5,2")."""
    check = validation.Checker()
    name = check(_name, name)
    rate_bp = check(_rate, rate)
    included = check(validation.boolean, included, "included")
    kind = check(_kind, kind)
    check.done()
    _unique(name)
    row = models.Tax.create(name=name, rate_bp=rate_bp, included=included, kind=kind)
    audit.record("tax", row.id, "create", audit.diff({}, _payload(row)), cashier_id)
    events.emit(TAX_CREATED, "tax", row.id, _payload(row))
    return _info(row)


@transactional
def edit_tax(name_or_id: object, changes: dict, cashier_id: int | None = None) -> TaxInfo:
    """Change a tax's name, rate, `included` or kind. A new rate applies to what is sold from now
    on (sold lines keep the rate they were sold at); the products that carry it follow."""
    row = _find(name_or_id)
    unknown = set(changes) - {"name", "rate", "included", "kind"}
    if unknown:
        raise ValidationError({key: _("is not a tax field") for key in sorted(unknown)})
    check = validation.Checker()
    values = {}
    if "name" in changes:
        values["name"] = check(_name, changes["name"])
    if "rate" in changes:
        values["rate_bp"] = check(_rate, changes["rate"])
    if "included" in changes:
        values["included"] = check(validation.boolean, changes["included"], "included")
    if "kind" in changes:
        values["kind"] = check(_kind, changes["kind"])
    check.done()
    if "name" in values:
        _unique(values["name"], row.id)
    before = _payload(row)
    for key, value in values.items():
        setattr(row, key, value)
    changed = audit.diff(before, _payload(row))
    if not changed:
        return _info(row)
    row.save()
    if "rate_bp" in changed:
        refresh_products(row.id)
    audit.record("tax", row.id, "update", changed, cashier_id)
    events.emit(TAX_UPDATED, "tax", row.id, {**_payload(row), "changed": sorted(changed)})
    return get_tax(row.id)


@transactional
def archive_tax(name_or_id: object, cashier_id: int | None = None, archived: bool = True) -> TaxInfo:
    """Archive a tax (no new product may carry it). Refused while an active product carries it."""
    row = _find(name_or_id)
    if row.active != archived:
        return _info(row)
    if archived:
        carrying = _product_counts().get(row.id, 0)
        if carrying:
            raise StateError(_("{n} active products carry “{name}”: give them another tax first.")
                             .format(n=carrying, name=row.name))
    row.active = not archived
    row.save()
    audit.record("tax", row.id, "archive" if archived else "restore", {"active": [archived, not archived]},
                 cashier_id)
    events.emit(TAX_ARCHIVED if archived else TAX_UPDATED, "tax", row.id, _payload(row))
    return _info(row)


def parse_names(value: object, field: str = "taxes") -> list[models.Tax] | None:
    """The taxes named in one field ("IVA 21% + RE 5,2%", any case), or a list of names. `none`
    (or `-`): no tax, []. Empty: None (not said). Unknown or archived names are refused."""
    if value is None:
        return None
    names = [str(v).strip() for v in value] if isinstance(value, (list, tuple)) else \
        [part.strip() for part in str(value).split(SEPARATOR)]
    names = [name for name in names if name]
    if not names:
        return None
    if len(names) == 1 and names[0].casefold() in NONE_WORDS:
        return []
    active = {t.name.casefold(): t for t in models.Tax.select().where(models.Tax.active == True)}  # noqa: E712
    found, unknown = [], []
    for name in names:
        row = active.get(name.casefold())
        if row is None:
            unknown.append(name)
        elif row not in found:
            found.append(row)
    if unknown:
        known = ", ".join(sorted(t.name for t in active.values())) or _("none yet: pos taxes add")
        raise ValidationError(field, _("unknown tax “{name}” (taxes: {known})").format(
            name=", ".join(unknown), known=known))
    return found


def part_label(name: str, rate_bp: int) -> str:
    """How a document names one tax of a group (VAT + surcharge): its name, with its rate when the
    name does not say it ("IVA 21%", "RE 5,2%", "Eco 1 %")."""
    return name if any(ch.isdigit() for ch in name) else f"{name} {format_rate(rate_bp)}"


def parts_of(taxes: list[models.Tax]) -> tuple[tuple[str, int], ...]:
    """(name, rate) of each tax, for the tax engine and the sale line's snapshot."""
    return tuple((t.name, t.rate_bp) for t in taxes)


def product_taxes(product_id: int) -> list[models.Tax]:
    PT, T = models.ProductTax, models.Tax
    return list(T.select().join(PT).where(PT.product == product_id).order_by(PT.sequence, T.id))


def set_product_taxes(product_id: int, taxes: list[models.Tax]) -> int:
    """Give a product these taxes (in this order); returns their total rate."""
    models.ProductTax.delete().where(models.ProductTax.product == product_id).execute()
    if taxes:
        models.ProductTax.insert_many([{"product": product_id, "tax": t.id, "sequence": i}
                                       for i, t in enumerate(taxes)]).execute()
    return sum(t.rate_bp for t in taxes)


def refresh_products(tax_id: int) -> None:
    """The products that carry a tax whose rate changed: their total rate again, in one statement."""
    p = database.param
    database.execute_sql(
        'UPDATE "product" SET "tax_rate_bp" = (SELECT COALESCE(SUM(t."rate_bp"), 0) FROM "product_tax" pt '
        'JOIN "tax" t ON t."id" = pt."tax_id" WHERE pt."product_id" = "product"."id"), '
        f'"updated_at" = {p} WHERE "id" IN (SELECT "product_id" FROM "product_tax" WHERE "tax_id" = {p})',
        [now(), tax_id])


def default_name(country: str, rate_bp: int) -> str:
    """What a tax of this rate is called where the store is: "IVA 21%" in Spain, "VAT 20%" else."""
    word = {"ES": "IVA", "MX": "IVA", "AR": "IVA", "CO": "IVA", "CL": "IVA", "PE": "IGV", "US": "Sales tax"}
    rate = f"{rate_bp / 100:g}".replace(".", "," if country in word and country != "US" else ".")
    return f"{word.get(country, 'VAT')} {rate}%"


def ensure_standard(country: str) -> int:
    """The country's usual taxes (`STANDARD`), those missing created; how many were created."""
    existing = {t.name.casefold() for t in models.Tax.select(models.Tax.name)}
    made = 0
    for name, rate_bp, kind in STANDARD.get(country, ()):
        if name.casefold() not in existing:
            models.Tax.create(name=name, rate_bp=rate_bp, included=True, kind=kind)
            made += 1
    return made


def tax_for_rate(country: str, rate_bp: int, included: bool = True) -> models.Tax:
    """The active VAT of this rate, made (named as `default_name`) when the store has none."""
    T = models.Tax
    row = (T.select().where((T.rate_bp == rate_bp) & (T.active == True) & (T.kind == VAT))  # noqa: E712
           .order_by(T.id).first())
    if row is None:
        name = default_name(country, rate_bp)
        row = T.get_or_none(T.name == name) or T.create(name=name, rate_bp=rate_bp, included=included)
    return row


def link_existing_products() -> None:
    """Give every product without taxes the tax of its rate (upgrading a database from before
    taxes had names; the demo's loader too)."""
    store = models.Store.select().first()
    country = store.country if store else ""
    P, PT = models.Product, models.ProductTax
    linked = {r.product_id for r in PT.select(PT.product)}
    rows = []
    for product in P.select(P.id, P.tax_rate_bp, P.price_includes_tax):
        if product.id not in linked:
            rows.append({"product": product.id, "tax": tax_for_rate(country, product.tax_rate_bp,
                                                                    product.price_includes_tax).id,
                         "sequence": 0})
    for start in range(0, len(rows), 500):
        PT.insert_many(rows[start:start + 500]).execute()


def check_rate_consistency() -> list[str]:
    """References of the products whose stored total rate is not the sum of their taxes' (for
    `pos db check`), in one query."""
    P, PT, T = models.Product, models.ProductTax, models.Tax
    total = fn.COALESCE(fn.SUM(T.rate_bp), 0)
    rows = (P.select(P.sku).join(PT, JOIN.LEFT_OUTER).join(T, JOIN.LEFT_OUTER)
            .group_by(P.id, P.sku, P.tax_rate_bp).having(total != P.tax_rate_bp).order_by(P.sku).tuples())
    return [sku for (sku,) in rows]
