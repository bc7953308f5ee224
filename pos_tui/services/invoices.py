"""Invoices: a full invoice when the customer asks for one, a simplified invoice (the ticket)
otherwise, a credit note for a refund of an invoiced sale.

Numbers are gapless per series (`F2026-000001`, `T2026-…`, `R2026-…`), taken inside the checkout
transaction, so tills committing at once can neither skip nor share a number. An invoice keeps a
copy of the store's and the customer's fiscal data as they were when it was issued: editing or
anonymising the customer later never changes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pos_tui import l10n, models, quantity
from pos_tui.db import local_time, now
from pos_tui.errors import NotFound, PosError, ValidationError
from pos_tui.i18n import N_, _, in_language
from pos_tui.money import format_rate
from pos_tui.services import events, fiscal, pricing, validation
from pos_tui.services.numbering import next_value
from pos_tui.services.payments import method_label
from pos_tui.services.taxes import part_label

INVOICE, SIMPLIFIED, CREDIT_NOTE = "invoice", "simplified", "credit_note"
SERIES_PREFIX = {INVOICE: "F", SIMPLIFIED: "T", CREDIT_NOTE: "R"}
KIND_LABELS = {INVOICE: N_("Invoice"), SIMPLIFIED: N_("Simplified invoice"), CREDIT_NOTE: N_("Credit note")}

#: Field -> what it is called, for the message that asks for it.
FIELD_LABELS = {
    "name": N_("name"), "tax_id": N_("tax ID"), "street": N_("street"), "city": N_("city"),
    "postal_code": N_("postal code"), "fiscal.regime": N_("fiscal regime"),
    "fiscal.tax_postal_code": N_("tax postal code"), "fiscal.cfdi_use": N_("CFDI use"),
}
ADDRESS = ("street", "city", "postal_code")
REQUIRED = {
    "ES": ("name", "tax_id", *ADDRESS),
    "MX": ("tax_id", "name", "fiscal.regime", "fiscal.tax_postal_code", "fiscal.cfdi_use"),
}
ELSEWHERE = ("name", "tax_id", *ADDRESS)


class FiscalDataMissing(PosError):
    """The customer lacks what an invoice needs in this country; `fields` says what, in order."""

    def __init__(self, customer_id: int, fields: list[str]):
        self.customer_id = customer_id
        self.fields = fields
        super().__init__(_("An invoice needs the customer's {fields}.").format(
            fields=", ".join(_(FIELD_LABELS.get(f, f)) for f in fields)))


def missing_for_invoice(customer: models.Customer, store_country: str) -> list[str]:
    """The fields an invoice in `store_country` needs that the customer lacks (form field names)."""
    extra = json.loads(customer.fiscal_extra or "{}")
    missing = []
    for field in REQUIRED.get(store_country, ELSEWHERE):
        if field.startswith("fiscal."):
            value = extra.get(field.split(".", 1)[1], "")
        else:
            value = getattr(customer, field)
        if not str(value or "").strip():
            missing.append(field)
    if "tax_id" not in missing and store_country in REQUIRED and customer.tax_id:
        try:  # a tax ID the store's country would not take is not enough for its invoices
            checked = validation.tax_id(customer.tax_id, customer.tax_country or store_country)
            if not checked.known:
                missing.append("tax_id")
        except ValidationError:
            missing.append("tax_id")
    return missing


def require_invoice_data(customer_id: int | None, store_country: str) -> None:
    if customer_id is None:
        raise ValidationError("customer", _("an invoice needs a customer on the sale (F2)"))
    missing = missing_for_invoice(models.Customer.get_by_id(customer_id), store_country)
    if missing:
        raise FiscalDataMissing(customer_id, missing)


def _next_number(kind: str, year: int) -> tuple[str, str]:
    series = f"{SERIES_PREFIX[kind]}{year}"
    return series, f"{series}-{next_value(f'invoice:{series}'):06d}"


def _store_snapshot() -> dict:
    store = models.Store.select().order_by(models.Store.id).first()
    return {"name": store.name, "tax_id": store.tax_id, "address": store.address, "country": store.country,
            "currency": store.currency, "locale": store.locale}


def _customer_snapshot(customer: models.Customer | None) -> dict:
    if customer is None:
        return {}
    return {"id": customer.id, "name": customer.fiscal_name or customer.name, "tax_id": customer.tax_id,
            "tax_country": customer.tax_country, "street": customer.street, "street2": customer.street2,
            "city": customer.city, "state": customer.state, "postal_code": customer.postal_code,
            "country": customer.country, "is_company": customer.is_company,
            "fiscal_extra": json.loads(customer.fiscal_extra or "{}"), "language": customer.language}


def issue(order: models.Order, kind: str, corrects: models.Invoice | None = None) -> models.Invoice:
    """Issue the invoice of a paid order (inside the caller's transaction)."""
    totals = pricing.order_totals(order)
    L, P = models.OrderLine, models.Payment
    lines = [{"name": line.name, "sku": line.sku, "quantity": quantity.json_value(line.quantity), "uom": line.uom, "unit_price_minor": line.unit_price_minor,
              "tax_rate_bp": line.tax_rate_bp, "price_includes_tax": line.price_includes_tax,
              "discount_minor": line.discount_minor, "net_minor": line.net_minor, "tax_minor": line.tax_minor,
              "total_minor": line.total_minor}
             for line in L.select().where(L.order == order.id).order_by(L.id)]
    payments = [{"method": p.method, "amount_minor": p.amount_minor, "card_last4": p.card_last4}
                for p in P.select().where(P.order == order.id).order_by(P.id)]
    taxes = [{"rate_bp": t.rate_bp, "net_minor": t.net_minor, "tax_minor": t.tax_minor,
              **({"parts": [{"name": p.name, "rate_bp": p.rate_bp, "tax_minor": p.tax_minor} for p in t.parts]}
                 if t.parts else {})} for t in totals.taxes]
    series, number = _next_number(kind, local_time(order.paid_at or now()).year)  # the store's year
    store = _store_snapshot()
    invoice = models.Invoice.create(
        number=number, series=series, kind=kind, order=order, corrects=corrects, issued_at=order.paid_at,
        store_snapshot=json.dumps(store, ensure_ascii=False),
        customer_snapshot=json.dumps(_customer_snapshot(order.customer), ensure_ascii=False),
        lines_snapshot=json.dumps({"lines": lines, "taxes": taxes, "discount_minor": totals.discount_minor},
                                  ensure_ascii=False),
        payments_snapshot=json.dumps(payments, ensure_ascii=False),
        net_minor=totals.net_minor, tax_minor=totals.tax_minor, total_minor=totals.total_minor,
        currency=store["currency"])
    events.emit(events.INVOICE_ISSUED, "invoice", invoice.id,
                {"number": number, "kind": kind, "order_id": order.id,
                 "corrects": corrects.number if corrects else None, "issued_at": order.paid_at,
                 "customer": _customer_snapshot(order.customer),
                 "net_minor": totals.net_minor, "tax_minor": totals.tax_minor, "total_minor": totals.total_minor,
                 "currency": store["currency"], "taxes": taxes})
    return invoice


# Reading -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceView:
    id: int
    number: str
    kind: str
    issued_at: datetime
    order_id: int
    order_number: str | None
    corrects: str | None
    store: dict
    customer: dict
    lines: tuple[dict, ...]
    taxes: tuple[dict, ...]
    discount_minor: int
    payments: tuple[dict, ...]
    net_minor: int
    tax_minor: int
    total_minor: int
    currency: str

    @property
    def title(self) -> str:
        return _(KIND_LABELS[self.kind])

    @property
    def language(self) -> str:
        """The customer's language when set: the invoice is written in it (else the till's)."""
        return (self.customer or {}).get("language") or ""

    @property
    def locale(self) -> str:
        """The locale of the language in use in the store's country frozen on the invoice."""
        country = self.store.get("country") or ""
        return l10n.locale_for(country) if country else self.store.get("locale") or "en_US"

    def quantity_of(self, line: dict) -> str:
        """A line's quantity as written on the invoice: `3`, `0,750 kg`."""
        return quantity.format_quantity(Decimal(str(line["quantity"])), line.get("uom") or quantity.UNITS,
                                        self.locale)

    @staticmethod
    def unit_price_of(line: dict, money) -> str:
        """A line's unit price: `1,20 €`, `3,20 €/kg` for a weighed line."""
        return quantity.unit_price(money(line["unit_price_minor"]), line.get("uom") or quantity.UNITS)


def _view(row: models.Invoice) -> InvoiceView:
    detail = json.loads(row.lines_snapshot)
    return InvoiceView(
        row.id, row.number, row.kind, row.issued_at, row.order_id, row.order.number,
        row.corrects.number if row.corrects_id else None, json.loads(row.store_snapshot),
        json.loads(row.customer_snapshot), tuple(detail["lines"]), tuple(detail["taxes"]),
        detail.get("discount_minor", 0), tuple(json.loads(row.payments_snapshot)), row.net_minor, row.tax_minor,
        row.total_minor, row.currency)


def get_invoice(number: str) -> InvoiceView:
    row = models.Invoice.get_or_none(models.Invoice.number == (number or "").strip().upper())
    if row is None:
        raise NotFound(_("No invoice numbered {number}.").format(number=number))
    return _view(row)


def for_order(order_id: int) -> list[InvoiceView]:
    I = models.Invoice  # noqa: N806
    return [_view(row) for row in I.select().where(I.order == order_id).order_by(I.id)]


@dataclass(frozen=True)
class InvoiceSummary:
    number: str
    kind: str
    issued_at: datetime
    customer: str
    total_minor: int


def list_invoices(kind: str | None = None, since: datetime | None = None, until: datetime | None = None,
                  limit: int = 100) -> list[InvoiceSummary]:
    I = models.Invoice  # noqa: N806
    query = I.select(I.number, I.kind, I.issued_at, I.customer_snapshot, I.total_minor).order_by(I.id.desc())
    if kind:
        query = query.where(I.kind == kind)
    if since:
        query = query.where(I.issued_at >= since)
    if until:
        query = query.where(I.issued_at < until)
    return [InvoiceSummary(n, k, at, json.loads(c).get("name", ""), t)
            for n, k, at, c, t in query.limit(limit).tuples()]


def numbers_for_session(session_id: int) -> list[str]:
    I, O = models.Invoice, models.Order  # noqa: N806
    return [n for (n,) in I.select(I.number).join(O).where(O.session == session_id).order_by(I.id).tuples()]


def extra_labels(country: str) -> dict[str, str]:
    """key -> label of a country's extra invoice fields, for printing them."""
    return {field.key: _(field.label) for field in fiscal.extra_fields(country)}


def tax_rows(tax: dict) -> list[tuple[str, int, int]]:
    """(label, base, tax) of one entry of an invoice's taxes: its rate alone ("21 %"), or each tax
    of a group (VAT + surcharge) on the group's base ("IVA 21%", "RE 5,2%")."""
    if tax.get("parts"):
        return [(part_label(p["name"], p["rate_bp"]), tax["net_minor"], p["tax_minor"]) for p in tax["parts"]]
    return [(format_rate(tax["rate_bp"]), tax["net_minor"], tax["tax_minor"])]


def render_text(invoice: InvoiceView, money, width: int = 64) -> str:
    """The invoice in plain text, from its frozen data (the till's screen; the PDF has its own),
    in the customer's language when set; `money` should follow the language (`StoreInfo.money`)."""
    with in_language(invoice.language):
        return _render_text(invoice, money, width)


def _render_text(invoice: InvoiceView, money, width: int) -> str:

    def pair(left: str, right: str) -> str:
        room = width - len(right) - 1
        return f"{left[:room]:<{room}} {right}"

    rule = "-" * width
    store, customer = invoice.store, invoice.customer
    out = [store.get("name", ""), _("Tax ID: {id}").format(id=store.get("tax_id") or "—"), store.get("address", ""),
           rule, pair(invoice.title, invoice.number),
           pair(_("Date"), l10n.format_datetime(local_time(invoice.issued_at)))]
    if invoice.corrects:
        out.append(pair(_("Corrects"), invoice.corrects))
    if customer:
        out += [rule, customer.get("name", ""), _("Tax ID: {id}").format(id=customer.get("tax_id") or "—")]
        address = " ".join(p for p in (customer.get("street"), customer.get("postal_code"), customer.get("city"))
                           if p)
        if address:
            out.append(address)
        labels = extra_labels(customer.get("tax_country") or customer.get("country") or "")
        for key, value in (customer.get("fiscal_extra") or {}).items():
            out.append(f"{labels.get(key, key)}: {value}")
    out.append(rule)
    for line in invoice.lines:
        out.append(pair(f"{invoice.quantity_of(line)} × {line['name']}", money(line["total_minor"])))
    out.append(rule)
    for tax in invoice.taxes:
        if tax.get("parts"):  # several taxes on one base (VAT + surcharge): each on its own line
            for label, base, amount in tax_rows(tax):
                out.append(pair(_("{tax} on {base}").format(tax=label, base=money(base)), money(amount)))
            continue
        label = _("VAT {rate} on {base}").format(rate=format_rate(tax["rate_bp"]), base=money(tax["net_minor"]))
        out.append(pair(label, money(tax["tax_minor"])))
    out += [pair(_("Net"), money(invoice.net_minor)), pair(_("Tax"), money(invoice.tax_minor)),
            pair(_("TOTAL"), money(invoice.total_minor)), rule]
    for payment in invoice.payments:
        out.append(pair(method_label(payment["method"]), money(payment["amount_minor"])))
    return "\n".join(out)
