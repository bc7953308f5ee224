"""The sale at the till: a draft order saved on every change, paid once by its UUID.

Because the cart is a row in the database from the first scan, a till that dies mid-sale finds
the same sale when it starts again (`current_sale`), and a checkout retried after a crash finds
the order already paid and returns its receipt instead of charging twice.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from peewee import JOIN, fn

from pos_tui import models, quantity
from pos_tui.db import lock, lock_row, now, transactional
from pos_tui.errors import NotFound, StateError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.money import TaxBreakdown, format_rate
from pos_tui.services import (approvals, catalog, credit, customer_stats, customers, events, invoices, loyalty,
                              pricing, refunds, scale, stock)
from pos_tui.services.numbering import next_order_number
from pos_tui.services.payments import ACCOUNT, POINTS, Tender, plan_payments
from pos_tui.services.receipts import Receipt, get_receipt
from pos_tui.services.sessions import check_till
from pos_tui.services.store import require_store

MAX_QUANTITY = quantity.MAX_QUANTITY
#: The states of a sale, as shown (translated with `_(order.state)`).
STATES = (N_("draft"), N_("parked"), N_("paid"), N_("voided"), N_("cancelled"))
_QUANTITY_CODE = re.compile(r"^\s*(?P<qty>[^*]*?)\s*\*\s*(?P<code>.*?)\s*$")


@dataclass(frozen=True)
class LineView:
    id: int
    product_id: int
    sku: str
    name: str
    quantity: Decimal
    unit_price_minor: int
    tax_rate_bp: int
    total_minor: int
    uom: str = quantity.UNITS


@dataclass(frozen=True)
class SaleCustomer:
    """What the till shows and uses of the sale's customer."""

    id: int
    name: str
    discount_bp: int
    special_terms: str
    preferred_payment: str
    points: int
    owed_minor: int = 0
    credit_limit_minor: int = 0
    tier: str = ""


@dataclass(frozen=True)
class SaleView:
    id: int
    uuid: str
    number: str | None
    state: str
    till: str
    customer: SaleCustomer | None
    lines: tuple[LineView, ...]
    discount_bp: int
    discount_minor: int
    order_discount_bp: int
    invoice_requested: bool
    net_minor: int
    tax_minor: int
    total_minor: int
    taxes: tuple[TaxBreakdown, ...]

    @property
    def customer_id(self) -> int | None:
        return self.customer.id if self.customer else None

    @property
    def customer_name(self) -> str | None:
        return self.customer.name if self.customer else None

    @property
    def item_count(self) -> int:
        """Items on the sale: each weighed line counts as one."""
        return sum(int(line.quantity) if quantity.decimals(line.uom) == 0 else 1 for line in self.lines)

    def line_index(self, line_id: int | None) -> int | None:
        for index, line in enumerate(self.lines):
            if line.id == line_id:
                return index
        return None


def parse_quantity(text: str, field: str = "quantity", uom: str = quantity.UNITS) -> Decimal:
    """A quantity typed at the till: whole for Units, up to the unit's decimals (0,750 kg)."""
    return quantity.parse(text, uom, field)


def check_quantity(value: Decimal | int, field: str = "quantity", uom: str = quantity.UNITS) -> Decimal:
    return quantity.check(value, uom, field)


def parse_code(text: str) -> tuple[Decimal | None, str]:
    """`CODE` -> (None, CODE): one, or what the product asks for (a weight); `3*CODE` -> (3, CODE);
    `0,750*CODE` -> (0.750, CODE), checked against the product's unit when it is added."""
    match = _QUANTITY_CODE.match(text or "")
    if match is None:
        return None, (text or "").strip()
    return quantity.parse(match["qty"], quantity.KG, "quantity"), match["code"]


def _draft(order_id: int) -> models.Order:
    """The draft, locked (on engines with row locks) until the transaction ends."""
    order = lock(models.Order.select().where(models.Order.id == order_id)).first()
    if order is None:
        raise NotFound(_("No sale with id {id}.").format(id=order_id))
    if order.state != "draft":
        raise StateError(_("Sale {number} is already {state}.").format(
            number=order.number or order.id, state=_(order.state)))
    return order


def _line_rows(order_id: int):
    L = models.OrderLine
    return L.select().where(L.order == order_id).order_by(L.id)


def _store_line(line: models.OrderLine, order_discount_bp: int | None = None) -> None:
    if order_discount_bp is None:
        order_discount_bp = line.order.order_discount_bp
    amounts = pricing.line_input(line, order_discount_bp).amounts()
    line.net_minor, line.tax_minor, line.total_minor, line.discount_minor = (
        amounts.net_minor, amounts.tax_minor, amounts.total_minor, amounts.discount_minor)
    line.save()


def _refresh_totals(order: models.Order) -> None:
    totals = pricing.order_totals(order)
    order.net_minor, order.tax_minor, order.total_minor, order.discount_minor = (
        totals.net_minor, totals.tax_minor, totals.total_minor, totals.discount_minor)
    order.updated_at = now()
    order.save()


def get_sale(order_id: int) -> SaleView:
    order = models.Order.get_or_none(models.Order.id == order_id)
    if order is None:
        raise NotFound(_("No sale with id {id}.").format(id=order_id))
    lines = tuple(
        LineView(line.id, line.product_id, line.sku, line.name, quantity.quantize(line.quantity, line.uom),
                 line.unit_price_minor, line.tax_rate_bp, line.total_minor, line.uom)
        for line in _line_rows(order.id)
    )
    c = order.customer
    customer = (SaleCustomer(c.id, c.name, c.discount_bp, c.special_terms, c.preferred_payment, c.points,
                             credit.balance(c.id), c.credit_limit_minor, loyalty.tier_of(c.id).name) if c else None)
    return SaleView(
        order.id, str(order.uuid), order.number, order.state, order.till, customer, lines,
        order.discount_bp, order.discount_minor, order.order_discount_bp, order.invoice_requested,
        order.net_minor, order.tax_minor, order.total_minor,
        pricing.order_totals(order).taxes,
    )


@transactional
def current_sale(till: str, cashier_id: int | None = None) -> SaleView:
    """The till's sale in progress: the newest draft, or a new empty one."""
    till = check_till(till)
    O = models.Order
    order = (O.select().where((O.till == till) & (O.state == "draft"))
             .order_by(O.id.desc()).first())
    if order is None:
        order = O.create(uuid=uuidlib.uuid4(), till=till, cashier=cashier_id)
    return get_sale(order.id)


@transactional
def add_product(order_id: int, product_id: int, qty: Decimal | int = 1,
                unit_price_minor: int | None = None) -> tuple[SaleView, int]:
    """Put a product on the sale; the same product again raises the quantity of its line (a
    weighed product, or one at a price of its own, is a line of its own each time).
    `unit_price_minor`: a price a scale barcode carries, instead of the catalog's."""
    order = _draft(order_id)
    product = models.Product.get_or_none(models.Product.id == product_id)
    if product is None or not product.active:
        raise NotFound(_("No product with id {id}.").format(id=product_id))
    qty = check_quantity(qty, uom=product.uom)
    price = product.price_minor if unit_price_minor is None else unit_price_minor
    L = models.OrderLine
    line = None
    if not product.by_weight and unit_price_minor is None:
        line = L.get_or_none((L.order == order.id) & (L.product == product.id)
                             & (L.unit_price_minor == product.price_minor))
    if line is None:
        line = L(order=order, product=product, sku=product.sku, name=product.name, quantity=0,
                 uom=product.uom, unit_price_minor=price, tax_rate_bp=product.tax_rate_bp,
                 taxes=catalog.line_taxes_json(product.id), price_includes_tax=product.price_includes_tax,
                 discount_bp=order.discount_bp)
    new_quantity = Decimal(line.quantity) + qty
    if new_quantity > MAX_QUANTITY:
        raise ValidationError("quantity", _("must be at most {max}").format(max=MAX_QUANTITY))
    stock.check_line(order.id, product.id, line.id, new_quantity)  # unless the store sells below zero
    line.quantity = new_quantity
    _store_line(line)
    _refresh_totals(order)
    return get_sale(order.id), line.id


@dataclass(frozen=True)
class Scan:
    """What a scan did: added a line (`line_id`), or set the customer from a loyalty card."""

    sale: SaleView
    line_id: int | None = None
    customer_set: bool = False
    refund_order_id: int | None = None  # a receipt's number was scanned: refund that sale
    weigh_product_id: int | None = None  # a product sold by weight, scanned without its weight: ask it


def scan(order_id: int, text: str) -> Scan:
    """What the cashier typed or scanned: a barcode or SKU (optionally `3*CODE`, `0,750*CODE`), a
    scale's label (`21…` weight, `23…` price: see services/scale.py; an exact barcode first), or a
    customer's loyalty card, which puts that customer on the sale."""
    qty, code = parse_code(text)
    if not code:
        raise ValidationError("code", _("scan a barcode or type a SKU"))
    product = catalog.find_by_code(code)
    if product is not None:
        if product.by_weight and qty is None:
            return Scan(get_sale(order_id), weigh_product_id=product.id)
        sale, line_id = add_product(order_id, product.id, 1 if qty is None else qty)
        return Scan(sale, line_id)
    if scale.rule_for(code) is not None:  # a scale's label: the weight or price is in the code
        if qty is not None:
            raise ValidationError("code", _("a scale label carries its own quantity: scan it without “*”"))
        weighed = scale.resolve(code, require_store().exponent)
        sale, line_id = add_product(order_id, weighed.product.id, weighed.quantity, weighed.unit_price_minor)
        return Scan(sale, line_id)
    if qty is None:
        holder = customers.find_by_card(code)
        if holder is not None:
            return Scan(set_customer(order_id, holder.id), customer_set=True)
        try:
            return Scan(get_sale(order_id), refund_order_id=refunds.find_sale(code))
        except NotFound:
            pass
    raise NotFound(_("No product with barcode or SKU “{code}”.").format(code=code))


def add_code(order_id: int, text: str) -> tuple[SaleView, int]:
    """A barcode or SKU, optionally `3*CODE`, added to the sale."""
    result = scan(order_id, text)
    if result.weigh_product_id is not None:
        raise ValidationError("quantity", _("{code} is sold by weight: give its weight, e.g. 0,750*{code}").format(
            code=parse_code(text)[1]))
    if result.line_id is None:
        raise NotFound(_("No product with barcode or SKU “{code}”.").format(code=parse_code(text)[1]))
    return result.sale, result.line_id


def _line(order: models.Order, line_id: int) -> models.OrderLine:
    L = models.OrderLine
    line = L.get_or_none((L.id == line_id) & (L.order == order.id))
    if line is None:
        raise NotFound(_("That line is not on this sale."))
    return line


@transactional
def set_quantity(order_id: int, line_id: int, qty: Decimal | int) -> SaleView:
    order = _draft(order_id)
    line = _line(order, line_id)
    qty = check_quantity(qty, uom=line.uom)
    if qty > Decimal(line.quantity):
        stock.check_line(order.id, line.product_id, line.id, qty)  # unless the store sells below zero
    line.quantity = qty
    _store_line(line)
    _refresh_totals(order)
    return get_sale(order.id)


@transactional
def remove_line(order_id: int, line_id: int) -> SaleView:
    order = _draft(order_id)
    _line(order, line_id).delete_instance()
    _refresh_totals(order)
    return get_sale(order.id)


@transactional
def set_customer(order_id: int, customer_id: int | None) -> SaleView:
    """Put a customer on the sale (or take them off); their own discount applies to every line."""
    order = _draft(order_id)
    discount_bp = 0
    if customer_id is not None:
        customer = models.Customer.get_or_none(models.Customer.id == customer_id)
        if customer is None or customer.archived:
            raise NotFound(_("No customer with id {id}.").format(id=customer_id))
        # their own discount, or their loyalty tier's if that is more
        discount_bp = max(customer.discount_bp, loyalty.tier_of(customer.id).discount_bp)
    order.customer = customer_id
    order.discount_bp = discount_bp
    if customer_id is None:
        order.invoice_requested = False
    for line in _line_rows(order.id):
        if not line.manual_discount:
            line.discount_bp = discount_bp
            _store_line(line)
    _refresh_totals(order)
    return get_sale(order.id)


@transactional
def checkout(order_uuid: str, tenders: Sequence[Tender], *, cashier_id: int | None = None,
             manager_pin: str | None = None) -> Receipt:
    """Pay the sale in one transaction. Paying an already paid sale changes nothing. What goes on
    the customer's account must fit their credit limit, or a manager approves."""
    O = models.Order
    # The sale's row locked first, then its customer's: a second till paying the same sale waits
    # here and then finds it paid; points and credit are checked against a balance nobody else
    # changes meanwhile. (On SQLite the write transaction holds the only lock already.)
    order = lock(O.select().where(O.uuid == uuidlib.UUID(str(order_uuid)))).first()
    if order is None:
        raise NotFound(_("No sale with reference {uuid}.").format(uuid=order_uuid))
    lock_row(models.Customer, order.customer_id)
    if order.state == "paid":
        return get_receipt(order.id)
    if order.state != "draft":
        raise StateError(_("This sale is {state} and cannot be paid.").format(state=_(order.state)))
    S = models.PosSession
    session = S.get_or_none((S.till == order.till) & S.closed_at.is_null())
    if session is None:
        raise StateError(_("Open a session on till {till} before taking payment.").format(till=order.till))
    if not models.OrderLine.select().where(models.OrderLine.order == order.id).exists():
        raise StateError(_("The sale is empty: add a product first."))
    _refresh_totals(order)
    if order.invoice_requested:
        invoices.require_invoice_data(order.customer_id, require_store().country)
    plan = plan_payments(order.total_minor, tenders, cash_increment())
    if not plan.complete:
        raise ValidationError("amount", _("the payments do not cover the total"))
    stock.check_order(order.id)  # unless the store sells below zero
    on_account = sum(line.amount_minor for line in plan.lines if line.method == ACCOUNT)
    credit.check_account_sale(order, on_account, cashier_id=cashier_id, manager_pin=manager_pin)
    paid_at = now()
    due = credit.due_date(order.customer_id, paid_at) if on_account else None
    models.Payment.insert_many([
        {"order": order.id, "method": line.method, "amount_minor": line.amount_minor,
         "tendered_minor": line.tendered_minor, "change_minor": line.change_minor,
         "created_at": paid_at, "due_at": due if line.method == ACCOUNT else None,
         "card_last4": line.card_last4, "auth_code": line.auth_code}
        for line in plan.lines
    ]).execute()
    order.number = next_order_number(order.till)
    order.state = "paid"
    order.session = session
    order.cashier = order.cashier_id or session.cashier_id
    order.paid_at = paid_at
    order.save()
    rules = loyalty.current_rules(paid_at)
    loyalty.on_checkout(order, [loyalty.points_for_money(line.amount_minor, rules)
                                for line in plan.lines if line.method == POINTS], require_store().exponent)
    invoices.issue(order, invoices.INVOICE if order.invoice_requested else invoices.SIMPLIFIED)
    if order.customer_id is not None:
        customers.record_visit(order.customer_id, order.paid_at)
    events.emit(events.SALE_PAID, "order", order.id, events.order_payload(order))
    stock.record_order(order, stock.SALE)
    return get_receipt(order.id)



@transactional
def set_invoice(order_id: int, wanted: bool) -> SaleView:
    """Ask for a full invoice (or not). The customer's fiscal data must be complete for the
    store's country: `FiscalDataMissing` names what is missing, and nothing changes."""
    order = _draft(order_id)
    if wanted:
        invoices.require_invoice_data(order.customer_id, require_store().country)
    order.invoice_requested = wanted
    order.updated_at = now()
    order.save()
    return get_sale(order.id)



# Parking, voiding, discounts and prices ---------------------------------------------------------


@dataclass(frozen=True)
class ParkedSale:
    id: int
    created_at: datetime
    items: int
    total_minor: int
    customer: str | None


@transactional
def park_sale(order_id: int) -> None:
    """Set the sale aside (the customer went to fetch something); the till starts a new one."""
    order = _draft(order_id)
    if not models.OrderLine.select().where(models.OrderLine.order == order.id).exists():
        raise StateError(_("The sale is empty: nothing to park."))
    order.state = "parked"
    order.updated_at = now()
    order.save()


def parked_sales(till: str) -> list[ParkedSale]:
    O, L, C = models.Order, models.OrderLine, models.Customer
    items = L.select(fn.COALESCE(fn.SUM(customer_stats.item_count_sql(L)), 0)).where(L.order == O.id)
    query = (O.select(O.id, O.created_at, items, O.total_minor, C.name).join(C, JOIN.LEFT_OUTER)
             .where((O.till == check_till(till)) & (O.state == "parked")).order_by(O.id).tuples())
    return [ParkedSale(i, at, int(Decimal(str(n))), total, name) for i, at, n, total, name in query]


@transactional
def recall_sale(till: str, order_id: int) -> SaleView:
    """Bring a parked sale back. The sale in progress must be empty (park or void it first)."""
    O = models.Order
    order = O.get_or_none((O.id == order_id) & (O.till == check_till(till)) & (O.state == "parked"))
    if order is None:
        raise NotFound(_("No parked sale with id {id} on this till.").format(id=order_id))
    drafts = list(O.select().where((O.till == till) & (O.state == "draft")))
    for draft in drafts:
        if models.OrderLine.select().where(models.OrderLine.order == draft.id).exists():
            raise StateError(_("Park or void the sale in progress first."))
    for draft in drafts:  # empty carts are worth nothing: let them go
        draft.delete_instance()
    order.state = "draft"
    order.updated_at = now()
    order.save()
    return get_sale(order.id)


@transactional
def void_draft(order_id: int) -> None:
    """Throw the sale in progress away (nothing was paid)."""
    order = _draft(order_id)
    order.state = "cancelled"
    order.updated_at = now()
    order.save()


@transactional
def void_paid(order_id: int, cashier_id: int | None = None, manager_pin: str | None = None) -> None:
    """Void a paid sale of the till's open session (the money goes back): a manager approves."""
    O = models.Order
    order = O.get_or_none(O.id == order_id)
    if order is None or order.state != "paid":
        raise NotFound(_("No paid sale with id {id}.").format(id=order_id))
    session = order.session
    if session is None or session.closed_at is not None:
        raise StateError(_("Sale {number} belongs to a closed session: refund it instead.").format(
            number=order.number))
    approvals.approve(manager_pin, "void", _("sale {number}").format(number=order.number),
                      cashier_id=cashier_id, till=order.till, order_id=order.id, session_id=session.id,
                      details={"total_minor": order.total_minor})
    order.state = "voided"
    order.voided_at = now()
    order.save()
    loyalty.on_void(order)
    stock.record_order(order, stock.VOID)


def cash_increment() -> int:
    """The store's cash rounding (5: to 0,05), 0 when cash is not rounded."""
    store = models.Store.select(models.Store.cash_rounding_minor).first()
    return store.cash_rounding_minor if store else 0


def discount_limit_bp() -> int:
    store = models.Store.select().first()
    return store.discount_limit_bp if store else 0


@transactional
def set_line_discount(order_id: int, line_id: int, discount_bp: int, cashier_id: int | None = None,
                      manager_pin: str | None = None) -> SaleView:
    """A discount on one line. Above the store's limit a manager approves it."""
    order = _draft(order_id)
    line = _line(order, line_id)
    if not 0 <= discount_bp <= 10_000:
        raise ValidationError("discount", _("must be between 0 and 100 %"))
    limit = discount_limit_bp()
    if discount_bp > limit:
        approvals.approve(manager_pin, "discount",
                          _("{rate} on {name} (the limit is {limit})").format(
                              rate=format_rate(discount_bp), name=line.name, limit=format_rate(limit)),
                          cashier_id=cashier_id, till=order.till, order_id=order.id,
                          details={"line": line.name, "discount_bp": discount_bp})
    line.discount_bp = discount_bp
    line.manual_discount = True
    _store_line(line)
    _refresh_totals(order)
    return get_sale(order.id)


@transactional
def set_order_discount(order_id: int, discount_bp: int, cashier_id: int | None = None,
                       manager_pin: str | None = None) -> SaleView:
    """A discount on the whole sale, on top of the lines' own. Above the limit a manager approves."""
    order = _draft(order_id)
    if not 0 <= discount_bp <= 10_000:
        raise ValidationError("discount", _("must be between 0 and 100 %"))
    limit = discount_limit_bp()
    if discount_bp > limit:
        approvals.approve(manager_pin, "discount",
                          _("{rate} on the whole sale (the limit is {limit})").format(
                              rate=format_rate(discount_bp), limit=format_rate(limit)),
                          cashier_id=cashier_id, till=order.till, order_id=order.id,
                          details={"order_discount_bp": discount_bp})
    order.order_discount_bp = discount_bp
    for line in _line_rows(order.id):
        _store_line(line, discount_bp)
    _refresh_totals(order)
    return get_sale(order.id)


@transactional
def override_price(order_id: int, line_id: int, price_minor: int, cashier_id: int | None = None,
                   manager_pin: str | None = None) -> SaleView:
    """Sell one line at another price than the catalog's: always a manager's decision."""
    order = _draft(order_id)
    line = _line(order, line_id)
    if price_minor < 0:
        raise ValidationError("price", _("must not be negative"))
    if price_minor == line.unit_price_minor:
        return get_sale(order.id)
    approvals.approve(manager_pin, "price",
                      _("{name} at {price} instead of {old}").format(
                          name=line.name, price=require_store().money(price_minor),
                          old=require_store().money(line.unit_price_minor)),
                      cashier_id=cashier_id, till=order.till, order_id=order.id,
                      details={"line": line.name, "from": line.unit_price_minor, "to": price_minor})
    if not line.list_price_minor:
        line.list_price_minor = line.unit_price_minor
    line.unit_price_minor = price_minor
    _store_line(line)
    _refresh_totals(order)
    return get_sale(order.id)


@dataclass(frozen=True)
class SessionSale:
    order_id: int
    number: str
    paid_at: datetime
    customer: str | None
    total_minor: int
    state: str


def session_sales(session_id: int) -> list[SessionSale]:
    """The paid and voided sales of a session, newest first."""
    O, C = models.Order, models.Customer
    query = (O.select(O.id, O.number, O.paid_at, C.name, O.total_minor, O.state).join(C, JOIN.LEFT_OUTER)
             .where((O.session == session_id) & O.state.in_(["paid", "voided"]))
             .order_by(O.id.desc()).tuples())
    return [SessionSale(*row) for row in query]
