"""Customers: created at the till in the middle of a sale, found again by what the cashier knows,
kept with everything the guide names — personal, payment, fiscal data and special conditions.

One `clean()` serves the till's form, the CLI and CSV import: every bad field is reported at
once, by name, and nothing is written until all are valid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from babel import Locale, UnknownLocaleError

from pos_tui import models
from pos_tui.db import now, transactional
from pos_tui.errors import NotFound, PosError, ValidationError
from pos_tui.i18n import _
from pos_tui.money import format_plain, parse_minor
from pos_tui.services import audit, customer_search, events, fiscal, validation
from pos_tui.services.store import get_store

PAYMENT_PREFERENCES = ("", "cash", "card", "transfer", "account")
MAX_TERMS_DAYS = 365

#: Text fields: name -> (maximum length, required)
TEXT_FIELDS = {
    "name": (120, True), "street": (120, False), "street2": (120, False), "city": (80, False),
    "state": (80, False), "postal_code": (20, False), "fiscal_name": (120, False),
}
#: What a person edits, in the form's and the CLI's terms (strings and booleans).
FORM_FIELDS = (
    "name", "is_company", "email", "phone", "mobile", "street", "street2", "city", "state",
    "postal_code", "country", "language", "preferred_payment", "tax_id", "tax_country",
    "fiscal_name", "needs_invoice", "discount", "credit_limit", "payment_terms_days",
    "special_terms", "loyalty_card", "marketing_consent", "notes",
)


@dataclass(frozen=True)
class CustomerSummary:
    """A row of the customer picker."""

    id: int
    name: str
    phone: str
    tax_id: str
    city: str
    points: int


@dataclass(frozen=True)
class CustomerInfo:
    id: int
    name: str
    is_company: bool = False
    email: str = ""
    phone: str = ""
    phone_e164: str = ""
    mobile: str = ""
    mobile_e164: str = ""
    street: str = ""
    street2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    language: str = ""
    preferred_payment: str = ""
    tax_id: str = ""
    tax_id_display: str = ""
    tax_country: str = ""
    fiscal_name: str = ""
    needs_invoice: bool = False
    fiscal_extra: dict = field(default_factory=dict)
    discount_bp: int = 0
    credit_limit_minor: int = 0
    payment_terms_days: int = 0
    special_terms: str = ""
    loyalty_card: str | None = None
    points: int = 0
    marketing_consent: bool = False
    marketing_consent_at: datetime | None = None
    notes: str = ""
    archived: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_visit_at: datetime | None = None
    visit_count: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Duplicate:
    customer: CustomerSummary
    reasons: tuple[str, ...]


class DuplicatesFound(PosError):
    """Saving would create someone who may already be a customer. Nothing was written."""

    def __init__(self, candidates: list[Duplicate]):
        self.candidates = candidates
        names = ", ".join(c.customer.name for c in candidates[:3])
        super().__init__(_("This may be a customer we already have: {names}.").format(names=names))


@dataclass(frozen=True)
class Cleaned:
    values: dict
    warnings: tuple[str, ...]


# Reading ------------------------------------------------------------------------------------


def _tax_display(row: models.Customer) -> str:
    if not row.tax_id:
        return ""
    try:
        return validation.tax_id(row.tax_id, row.tax_country).formatted
    except ValidationError:
        return row.tax_id


def _info(row: models.Customer, warnings: tuple[str, ...] = ()) -> CustomerInfo:
    names = {f for f in CustomerInfo.__dataclass_fields__ if hasattr(row, f)}
    values = {name: getattr(row, name) for name in names}
    values["fiscal_extra"] = json.loads(row.fiscal_extra or "{}")
    return CustomerInfo(**values, tax_id_display=_tax_display(row), warnings=warnings)


def _summary(row: models.Customer) -> CustomerSummary:
    return CustomerSummary(row.id, row.name, row.phone or row.mobile, row.tax_id, row.city, row.points)


def get_customer(customer_id: int) -> CustomerInfo:
    row = models.Customer.get_or_none(models.Customer.id == customer_id)
    if row is None:
        raise NotFound(_("No customer with id {id}.").format(id=customer_id))
    return _info(row)


def find_by_card(code: str) -> CustomerInfo | None:
    """The active customer whose loyalty card is `code`, if any."""
    code = (code or "").strip()
    if not code:
        return None
    C = models.Customer
    row = C.get_or_none((C.loyalty_card == code) & (C.archived == False))  # noqa: E712
    return _info(row) if row else None


def search_customers(query: str, limit: int = 30) -> list[CustomerSummary]:
    """Customers matching what was typed: name word prefixes (accent-blind), phone digits (also the
    last ones), email, tax ID, card. Recent and frequent customers first."""
    ids = customer_search.search_ids(query, limit)
    if not ids:
        return []
    C = models.Customer
    rows = {row[0]: row for row in C.select(C.id, C.name, C.phone, C.mobile, C.tax_id, C.city, C.points)
            .where(C.id.in_(ids)).tuples()}  # tuples: at a keystroke's pace, building models shows
    return [CustomerSummary(i, name, phone or mobile, tax_id, city, points)
            for i, name, phone, mobile, tax_id, city, points in (rows[i] for i in ids if i in rows)]


def list_customers(limit: int = 50, offset: int = 0, archived: bool = False) -> list[CustomerSummary]:
    C = models.Customer
    query = C.select().where(C.archived == archived).order_by(C.name, C.id).limit(limit).offset(offset)
    return [_summary(row) for row in query]


# Validating ---------------------------------------------------------------------------------




def language(value: object, field: str = "language") -> str:
    code = ("" if value is None else str(value)).strip()
    if not code:
        return ""
    try:
        return str(Locale.parse(code.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        raise ValidationError(field, _("“{code}” is not a language code (e.g. es, en, pt_BR)")
                              .format(code=code)) from None


def _choice(value: object, field: str, choices: tuple[str, ...]) -> str:
    text = ("" if value is None else str(value)).strip().lower()
    if text not in choices:
        raise ValidationError(field, _("must be one of: {choices}").format(
            choices=", ".join(c for c in choices if c)))
    return text


def clean(data: dict, store_country: str = "", exp: int = 2, customer_id: int | None = None) -> Cleaned:
    """Validate what a person typed into stored values; every bad field is reported at once.
    `customer_id`: the customer being edited (their own loyalty card is not a conflict)."""
    check = validation.Checker()
    v: dict = {}
    for name, (max_length, required) in TEXT_FIELDS.items():
        v[name] = check(validation.text, data.get(name), name, max_length=max_length,
                        required=required) or ""
    v["is_company"] = bool(check(validation.boolean, data.get("is_company"), "is_company"))
    v["email"] = (check(validation.email, data.get("email")) or "").lower()
    for name in ("phone", "mobile"):
        number = check(validation.phone, data.get(name), store_country, name)
        v[name], v[f"{name}_e164"] = (number.typed, number.e164) if number else ("", "")
    v["country"] = check(validation.country, data.get("country"), required=False) or ""
    v["language"] = check(language, data.get("language")) or ""
    v["preferred_payment"] = check(_choice, data.get("preferred_payment"), "preferred_payment",
                                   PAYMENT_PREFERENCES) or ""
    tax_country = check(validation.country, data.get("tax_country"), "tax_country", required=False)
    tax_country = tax_country or v["country"] or store_country
    v["tax_country"] = tax_country or ""
    warnings: list[str] = []
    tax = check(validation.tax_id, data.get("tax_id"), tax_country)
    v["tax_id"] = tax.compact if tax else ""
    if tax and tax.compact and tax.country:
        v["tax_country"] = tax.country  # an EU VAT number says its own country
    if tax and tax.warning:
        warnings.append(tax.warning)
    v["needs_invoice"] = bool(check(validation.boolean, data.get("needs_invoice"), "needs_invoice"))
    extra = check(fiscal.clean_extra, tax_country, data)
    v["fiscal_extra"] = json.dumps(extra or {}, sort_keys=True, ensure_ascii=False)
    v["discount_bp"] = check(validation.percent, data.get("discount"), "discount") or 0
    credit = data.get("credit_limit")
    v["credit_limit_minor"] = (check(parse_minor, str(credit), "credit_limit", exp)
                               if str(credit or "").strip() else 0) or 0
    v["payment_terms_days"] = check(validation.whole_number, data.get("payment_terms_days"),
                                    "payment_terms_days", maximum=MAX_TERMS_DAYS) or 0
    v["special_terms"] = check(validation.free_text, data.get("special_terms"), "special_terms",
                               max_length=500) or ""
    card = check(validation.text, data.get("loyalty_card"), "loyalty_card", max_length=40, code=True)
    v["loyalty_card"] = card or None
    check(_check_card, v["loyalty_card"], customer_id)
    v["marketing_consent"] = bool(check(validation.boolean, data.get("marketing_consent"), "marketing_consent"))
    v["notes"] = check(validation.free_text, data.get("notes"), "notes", max_length=2000) or ""
    check.done()
    return Cleaned(v, tuple(warnings))


def form_values(info: CustomerInfo, exp: int = 2, locale: str = "en_US") -> dict:
    """A customer as the form shows it: the strings a person would type to get the same record."""
    values = {name: getattr(info, name) for name in FORM_FIELDS if hasattr(info, name)}
    values["tax_id"] = info.tax_id_display or info.tax_id
    # the tax country follows the address unless it was set apart from it
    values["tax_country"] = "" if info.tax_country == (info.country or info.tax_country) else info.tax_country
    values["discount"] = _percent_text(info.discount_bp)
    values["credit_limit"] = format_plain(info.credit_limit_minor, exp, locale) if info.credit_limit_minor else ""
    values["payment_terms_days"] = str(info.payment_terms_days) if info.payment_terms_days else ""
    values["loyalty_card"] = info.loyalty_card or ""
    for key, value in info.fiscal_extra.items():
        values[f"fiscal.{key}"] = value
    return values


def _percent_text(bp: int) -> str:
    if not bp:
        return ""
    whole, rest = divmod(bp, 100)
    return str(whole) if not rest else f"{whole}.{rest:02d}".rstrip("0")


# Duplicates ---------------------------------------------------------------------------------


def tax_id_forms(compact: str, country: str) -> list[str]:
    """The ways one tax ID may be stored: "B46020376" and its EU VAT form "ESB46020376"."""
    country = (country or "").upper()
    if country and compact.startswith(country) and len(compact) > len(country) + 2:
        return [compact, compact[len(country):]]
    return [compact, country + compact] if country else [compact]


def find_duplicates(values: dict, exclude_id: int | None = None) -> list[Duplicate]:
    """Customers who may be the same person: same tax ID, email or phone, or a similar name
    (accent- and case-blind) with the same first and last name or the same postal code."""
    C = models.Customer
    reasons: dict[int, list[str]] = {}

    def add(query, reason: str) -> None:
        if exclude_id is not None:
            query = query.where(C.id != exclude_id)
        for (customer_id,) in query.where(C.archived == False).limit(20).tuples():  # noqa: E712
            reasons.setdefault(customer_id, []).append(reason)

    if values.get("tax_id"):
        forms = tax_id_forms(values["tax_id"], values.get("tax_country", ""))
        add(C.select(C.id).where(C.tax_id.in_(forms)), _("same tax ID"))
    if values.get("email"):
        add(C.select(C.id).where(C.email == values["email"]), _("same email"))
    numbers = [n for n in (values.get("phone_e164"), values.get("mobile_e164")) if n]
    if numbers:
        add(C.select(C.id).where(C.phone_e164.in_(numbers) | C.mobile_e164.in_(numbers)),
            _("same phone"))
    key = customer_search.name_key(values.get("name", ""))
    if " " in key:
        add(C.select(C.id).where(C.name_key == key), _("same first and last name"))
    words = set(customer_search.significant_words(values.get("name", "")))
    if values.get("postal_code") and words:
        for row in (C.select(C.id, C.name).where((C.postal_code == values["postal_code"])
                                                 & (C.archived == False))  # noqa: E712
                    .limit(5000)):
            if row.id == exclude_id or row.id in reasons:
                continue
            other = set(customer_search.significant_words(row.name))
            if len(words & other) >= min(2, len(words), len(other)):
                reasons.setdefault(row.id, []).append(_("similar name, same postal code"))
    if not reasons:
        return []
    rows = {row.id: row for row in C.select().where(C.id.in_(list(reasons)))}
    return [Duplicate(_summary(rows[i]), tuple(r)) for i, r in reasons.items() if i in rows]


# Writing ------------------------------------------------------------------------------------


def _store_context() -> tuple[str, int]:
    store = get_store()
    return (store.country, store.exponent) if store else ("", 2)


def _check_card(card: str | None, exclude_id: int | None) -> None:
    if not card:
        return
    C = models.Customer
    query = C.select(C.name).where(C.loyalty_card == card)
    if exclude_id is not None:
        query = query.where(C.id != exclude_id)
    holder = query.first()
    if holder is not None:
        raise ValidationError("loyalty_card", _("already belongs to {name}").format(name=holder.name))


def _derived(values: dict, created_at: datetime, last_visit_at: datetime | None,
             visit_count: int) -> tuple[dict, set[str], int]:
    token_set = customer_search.tokens(values)
    rank = customer_search.score(created_at, last_visit_at, visit_count)
    return ({"search_key": customer_search.search_key(token_set), "score": rank,
             "name_key": customer_search.name_key(values["name"])}, token_set, rank)


def _audited(values: dict) -> dict:
    """The fields worth recording when a customer is created: those that were filled in."""
    return {k: v for k, v in values.items() if v not in ("", None, False, 0, "{}")}


@transactional
def create_customer(data: dict, cashier_id: int | None = None, *, allow_duplicates: bool = False) -> CustomerInfo:
    """Create a customer. Possible duplicates stop the save (`DuplicatesFound`) unless the
    cashier chose "create anyway", which the audit trail records."""
    country, exp = _store_context()
    cleaned = clean(data, country, exp)
    values = cleaned.values
    candidates = find_duplicates(values)
    if candidates and not allow_duplicates:
        raise DuplicatesFound(candidates)
    created = now()
    if values["marketing_consent"]:
        values["marketing_consent_at"] = created
    derived, token_set, rank = _derived(values, created, None, 0)
    row = models.Customer.create(**values, **derived, created_at=created, updated_at=created)
    customer_search.write_tokens(row.id, token_set, rank)
    audit.record("customer", row.id, "create", audit.diff({}, _audited(values)), cashier_id)
    events.emit(events.CUSTOMER_CREATED, "customer", row.id, _event_payload(row))
    if candidates:
        audit.record("customer", row.id, "create_despite_duplicates",
                     {"candidates": [c.customer.id for c in candidates]}, cashier_id)
    return _info(row, cleaned.warnings)


#: Changing one of these may make the customer look like another one.
IDENTITY_FIELDS = ("name", "email", "phone_e164", "mobile_e164", "tax_id", "postal_code")


@transactional
def update_customer(customer_id: int, changes: dict, cashier_id: int | None = None, *,
                    allow_duplicates: bool = False) -> CustomerInfo:
    """Change some fields; the others keep their values. Audited field by field. A change that
    makes the customer look like another one stops the save (`DuplicatesFound`) unless allowed."""
    row = models.Customer.get_or_none(models.Customer.id == customer_id)
    if row is None:
        raise NotFound(_("No customer with id {id}.").format(id=customer_id))
    country, exp = _store_context()
    data = form_values(_info(row), exp)
    fiscal_keys = {f"fiscal.{extra.key}" for _country, extra in fiscal.all_extra_fields()}
    unknown = set(changes) - set(FORM_FIELDS) - fiscal_keys
    if unknown:
        raise ValidationError({k: _("is not a customer field") for k in sorted(unknown)})
    data.update(changes)
    cleaned = clean(data, country, exp, customer_id)
    values = cleaned.values
    before = {k: getattr(row, k) for k in values}
    changed = audit.diff(before, values)
    if not changed:
        return _info(row, cleaned.warnings)
    if not allow_duplicates and any(field in changed for field in IDENTITY_FIELDS):
        candidates = find_duplicates(values, exclude_id=customer_id)
        if candidates:
            raise DuplicatesFound(candidates)
    if "marketing_consent" in changed:
        values["marketing_consent_at"] = now() if values["marketing_consent"] else None
    derived, token_set, rank = _derived(values, row.created_at, row.last_visit_at, row.visit_count)
    for key, value in {**values, **derived}.items():
        setattr(row, key, value)
    row.updated_at = now()
    row.save()
    if not row.archived:
        customer_search.write_tokens(row.id, token_set, rank)
    audit.record("customer", row.id, "update", changed, cashier_id)
    events.emit(events.CUSTOMER_UPDATED, "customer", row.id,
                {**_event_payload(row), "changed": sorted(changed)})
    return _info(row, cleaned.warnings)


@transactional
def archive_customer(customer_id: int, cashier_id: int | None = None, archived: bool = True) -> CustomerInfo:
    """Archive (or restore) a customer: gone from searches, their sales and invoices kept."""
    row = models.Customer.get_or_none(models.Customer.id == customer_id)
    if row is None:
        raise NotFound(_("No customer with id {id}.").format(id=customer_id))
    if row.archived == archived:
        return _info(row)
    row.archived = archived
    row.updated_at = now()
    row.save()
    if archived:
        customer_search.drop_tokens(row.id)
    else:
        values = {k: getattr(row, k) for k in ("name", "fiscal_name", "phone", "phone_e164", "mobile",
                                               "mobile_e164", "email", "tax_id", "tax_country",
                                               "loyalty_card")}
        customer_search.write_tokens(row.id, customer_search.tokens(values), row.score)
    audit.record("customer", row.id, "archive" if archived else "restore",
                 {"archived": [not archived, archived]}, cashier_id)
    events.emit(events.CUSTOMER_ARCHIVED if archived else events.CUSTOMER_RESTORED, "customer", row.id,
                {"id": row.id})
    return _info(row)


#: What the change feed says of a customer: what accounting and a CRM need (no internal fields).
EVENT_FIELDS = ("name", "is_company", "email", "phone_e164", "mobile_e164", "street", "street2", "city",
                "state", "postal_code", "country", "language", "preferred_payment", "tax_id", "tax_country",
                "fiscal_name", "needs_invoice", "discount_bp", "credit_limit_minor", "payment_terms_days",
                "loyalty_card", "marketing_consent", "archived")


def _event_payload(row: models.Customer) -> dict:
    payload = {"id": row.id, **{name: getattr(row, name) for name in EVENT_FIELDS}}
    payload["fiscal_extra"] = json.loads(row.fiscal_extra or "{}")
    return payload


def record_visit(customer_id: int, at: datetime) -> None:
    """A paid sale: the customer's visit count and rank go up (inside the checkout transaction)."""
    C = models.Customer
    row = C.get_by_id(customer_id)
    row.visit_count += 1
    row.last_visit_at = at
    row.score = customer_search.score(row.created_at, at, row.visit_count)
    C.update(visit_count=row.visit_count, last_visit_at=at, score=row.score).where(C.id == customer_id).execute()
    if not row.archived:
        customer_search.rerank(customer_id, row.score)
