"""The tables. Fields, indexes and constraints only: the shop's rules live in `pos_tui.services`.

Money is stored in integer minor units (`*_minor`), tax rates in basis points (`*_bp`, 2100 =
21 %), timestamps as naive UTC.
"""

from __future__ import annotations

from peewee import (
    SQL,
    BooleanField,
    CharField,
    CompositeKey,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    UUIDField,
)

from pos_tui.db import database, now


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class SchemaInfo(BaseModel):
    """Key/value facts about the database itself, e.g. the schema version."""

    key = CharField(primary_key=True, max_length=64)
    value = TextField()


class Store(BaseModel):
    """The shop this database belongs to (one row), and the limits its managers set."""

    name = CharField(max_length=120)
    country = CharField(max_length=2)
    currency = CharField(max_length=3)
    locale = CharField(max_length=20)
    created_at = DateTimeField(default=now)
    #: A cashier may give up to this discount; more needs a manager's PIN.
    discount_limit_bp = IntegerField(default=1000)
    #: A session closing with a larger cash difference needs a manager's PIN.
    cash_difference_limit_minor = IntegerField(default=500)
    #: Tax rounded on each line ("line") or once per rate on the sale's total ("total").
    rounding = CharField(max_length=10, default="line")
    #: Cash payments rounded to this many minor units (5: to 0,05); 0 or 1: not rounded.
    cash_rounding_minor = IntegerField(default=0)
    #: Address and tax ID printed on receipts and invoices.
    tax_id = CharField(max_length=40, default="")
    address = CharField(max_length=250, default="")
    #: Selling more than is on hand: allowed (and flagged on the stock report) or refused.
    allow_negative_stock = BooleanField(default=True)


class Cashier(BaseModel):
    name = CharField(max_length=60, unique=True)
    pin_hash = CharField(max_length=255)
    role = CharField(max_length=10, default="cashier")  # cashier | manager
    active = BooleanField(default=True)
    created_at = DateTimeField(default=now)
    failed_attempts = IntegerField(default=0)  # wrong PINs in a row
    locked_until = DateTimeField(null=True)  # no PIN is checked before then


class Customer(BaseModel):
    """A customer, as the till knows them: who they are, how they pay, what their invoices
    need, their special conditions. Search fields (`search_key`, `score`) are derived."""

    # Personal
    name = CharField(max_length=120)
    is_company = BooleanField(default=False)
    email = CharField(max_length=254, default="", index=True)
    phone = CharField(max_length=40, default="")  # as typed
    phone_e164 = CharField(max_length=20, default="", index=True)
    mobile = CharField(max_length=40, default="")
    mobile_e164 = CharField(max_length=20, default="", index=True)
    street = CharField(max_length=120, default="")
    street2 = CharField(max_length=120, default="")
    city = CharField(max_length=80, default="")
    state = CharField(max_length=80, default="")
    postal_code = CharField(max_length=20, default="", index=True)
    country = CharField(max_length=2, default="")
    language = CharField(max_length=10, default="")
    # Payment preferences
    preferred_payment = CharField(max_length=20, default="")  # cash | card | transfer | account
    # Fiscal
    tax_id = CharField(max_length=40, default="", index=True)  # compact form
    tax_country = CharField(max_length=2, default="")
    fiscal_name = CharField(max_length=120, default="")
    needs_invoice = BooleanField(default=False)
    fiscal_extra = TextField(default="{}")  # JSON: the extra fields a country's invoices need
    # Special conditions
    discount_bp = IntegerField(default=0)
    credit_limit_minor = IntegerField(default=0)
    payment_terms_days = IntegerField(default=0)
    special_terms = TextField(default="")
    # Loyalty, consent, notes
    loyalty_card = CharField(max_length=40, null=True, unique=True)
    points = IntegerField(default=0)  # a cache of the loyalty ledger
    marketing_consent = BooleanField(default=False)
    marketing_consent_at = DateTimeField(null=True)
    notes = TextField(default="")
    # State and search
    archived = BooleanField(default=False)
    anonymised_at = DateTimeField(null=True)  # personal data scrubbed (the law's records kept)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)
    last_visit_at = DateTimeField(null=True)
    visit_count = IntegerField(default=0)
    score = IntegerField(default=0)  # recent and frequent customers rank first
    name_key = CharField(max_length=120, default="", index=True)  # folded first + last name
    search_key = TextField(default="")  # every search token, space-separated

    class Meta:
        indexes = ((("archived", "score", "search_key"), False),)


class CustomerToken(BaseModel):
    """One search token of a customer (a name word, phone digits, email, tax ID, card), with
    the customer's rank, so a prefix finds the best customers without reading the others."""

    token = CharField(max_length=254)
    score = IntegerField()
    customer = ForeignKeyField(Customer, backref="tokens", on_delete="CASCADE", index=False)

    class Meta:
        table_name = "customer_token"
        primary_key = CompositeKey("token", "score", "customer")
        without_rowid = True
        indexes = ((("customer", "token"), False),)


class AuditLog(BaseModel):
    """Who changed what, when: append-only."""

    at = DateTimeField(default=now)
    cashier = ForeignKeyField(Cashier, null=True, backref="audit")
    entity = CharField(max_length=30)
    entity_id = IntegerField()
    action = CharField(max_length=40)
    changes = TextField(default="{}")  # JSON: field -> [old, new], or details

    class Meta:
        table_name = "audit_log"
        indexes = ((("entity", "entity_id"), False),)


def Quantity(**kwargs) -> DecimalField:
    """A quantity: exact decimals, up to 3 (kg, L), whole for Units (see `pos_tui.quantity`)."""
    return DecimalField(max_digits=14, decimal_places=3, auto_round=True, **kwargs)


class Tax(BaseModel):
    """A named tax (IVA 21 %, RE 5,2 %): its rate, and whether the prices of the products that
    carry it include it unless a product says otherwise."""

    name = CharField(max_length=60, unique=True)
    rate_bp = IntegerField()
    included = BooleanField(default=True)
    kind = CharField(max_length=12, default="vat")  # vat | surcharge | other
    active = BooleanField(default=True)
    created_at = DateTimeField(default=now)


class Product(BaseModel):
    """Something the till sells. `tax_rate_bp` is the sum of its taxes' rates (kept by the catalog
    service, so a scan reads one row); `active` false is archived."""

    sku = CharField(max_length=40, unique=True)  # the internal reference
    barcode = CharField(max_length=32, null=True, unique=True)
    name = CharField(max_length=120, index=True)
    price_minor = IntegerField()
    tax_rate_bp = IntegerField(default=0)
    price_includes_tax = BooleanField(default=True)
    category = CharField(max_length=250, default="", index=True)  # a path: "Bakery / Bread"
    active = BooleanField(default=True)
    cost_minor = IntegerField(default=0)
    uom = CharField(max_length=10, default="Units")  # pos_tui.quantity.PRECISION
    by_weight = BooleanField(default=False)  # the till asks for the weight (or a scale barcode has it)
    available_in_pos = BooleanField(default=True)
    track_stock = BooleanField(default=True)  # services are not
    reorder_point = Quantity(default=0)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)


class ProductTax(BaseModel):
    """The taxes a product carries, in the order they are shown."""

    product = ForeignKeyField(Product, backref="product_taxes", on_delete="CASCADE")
    tax = ForeignKeyField(Tax, backref="product_taxes")
    sequence = IntegerField(default=0)

    class Meta:
        table_name = "product_tax"
        primary_key = CompositeKey("product", "tax")


class PosSession(BaseModel):
    """A cashier's shift at one till, from opening float to counted cash."""

    till = CharField(max_length=40)
    cashier = ForeignKeyField(Cashier, backref="sessions")
    opened_at = DateTimeField(default=now)
    closed_at = DateTimeField(null=True)
    opening_float_minor = IntegerField(default=0)
    expected_cash_minor = IntegerField(null=True)
    counted_cash_minor = IntegerField(null=True)
    cash_count = TextField(default="{}")  # JSON: denomination in minor units -> how many
    closed_by = ForeignKeyField(Cashier, null=True, backref="closed_sessions")

    class Meta:
        table_name = "pos_session"


# One open session per till, enforced by the database itself.
PosSession.add_index(
    PosSession.index(PosSession.till, unique=True).where(SQL("closed_at IS NULL"))
)


class Order(BaseModel):
    """A sale. Starts as a draft (the cart, saved on every change); paid once, by its UUID."""

    uuid = UUIDField(unique=True)
    number = CharField(max_length=40, null=True, unique=True)
    state = CharField(max_length=10, default="draft")  # draft | parked | paid | voided | cancelled
    kind = CharField(max_length=20, default="sale")  # sale | refund | account_payment
    refund_of = ForeignKeyField("self", null=True, backref="refunds")
    invoice_requested = BooleanField(default=False)
    order_discount_bp = IntegerField(default=0)  # a discount the cashier gave the whole sale
    till = CharField(max_length=40)
    session = ForeignKeyField(PosSession, null=True, backref="orders")
    cashier = ForeignKeyField(Cashier, null=True, backref="orders")
    customer = ForeignKeyField(Customer, null=True, backref="orders")
    discount_bp = IntegerField(default=0)  # the customer's own discount, applied to every line
    discount_minor = IntegerField(default=0)
    net_minor = IntegerField(default=0)
    tax_minor = IntegerField(default=0)
    total_minor = IntegerField(default=0)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)
    paid_at = DateTimeField(null=True)
    voided_at = DateTimeField(null=True)

    class Meta:
        table_name = "sale_order"
        indexes = ((("till", "state"), False), (("customer", "paid_at"), False))


class OrderLine(BaseModel):
    """A product on a sale, with the name, price and tax it was sold at."""

    order = ForeignKeyField(Order, backref="lines", on_delete="CASCADE")
    product = ForeignKeyField(Product, backref="order_lines")
    sku = CharField(max_length=40)
    name = CharField(max_length=120)
    quantity = Quantity()
    uom = CharField(max_length=10, default="Units")
    taxes = TextField(default="")  # JSON [[name, rate_bp], …] when several taxes; else one at tax_rate_bp
    unit_price_minor = IntegerField()
    list_price_minor = IntegerField(default=0)  # the catalog price, when the price was overridden
    tax_rate_bp = IntegerField()
    price_includes_tax = BooleanField()
    discount_bp = IntegerField(default=0)
    manual_discount = BooleanField(default=False)  # set by the cashier, not the customer's own
    refund_of = ForeignKeyField("self", null=True, backref="returns")  # the sold line this returns
    discount_minor = IntegerField(default=0)
    net_minor = IntegerField()
    tax_minor = IntegerField()
    total_minor = IntegerField()


class Payment(BaseModel):
    """Money taken for a sale. `amount_minor` is what counts towards the total; for cash the
    tendered amount and the change given are kept too."""

    order = ForeignKeyField(Order, backref="payments", on_delete="CASCADE")
    method = CharField(max_length=20)  # cash | card | transfer | account
    amount_minor = IntegerField()
    tendered_minor = IntegerField()
    change_minor = IntegerField(default=0)
    created_at = DateTimeField(default=now)
    due_at = DateTimeField(null=True)  # on the customer's account: when it must be paid
    card_last4 = CharField(max_length=4, default="")  # never more of a card number
    auth_code = CharField(max_length=20, default="")


class SessionCount(BaseModel):
    """At closing: what each payment method should hold, and what was counted."""

    session = ForeignKeyField(PosSession, backref="counts", on_delete="CASCADE")
    method = CharField(max_length=20)
    expected_minor = IntegerField()
    counted_minor = IntegerField()

    class Meta:
        table_name = "session_count"
        indexes = ((("session", "method"), True),)


class CashMovement(BaseModel):
    """Cash put into or taken out of the drawer outside a sale, with the reason."""

    session = ForeignKeyField(PosSession, backref="cash_movements", on_delete="CASCADE")
    cashier = ForeignKeyField(Cashier, null=True)
    at = DateTimeField(default=now)
    amount_minor = IntegerField()  # positive in, negative out
    reason = CharField(max_length=200)

    class Meta:
        table_name = "cash_movement"


class Approval(BaseModel):
    """A manager's PIN given on the spot for something a cashier may not do alone. Append-only."""

    at = DateTimeField(default=now)
    manager = ForeignKeyField(Cashier, backref="approvals_given")
    cashier = ForeignKeyField(Cashier, null=True, backref="approvals_asked")
    till = CharField(max_length=40, default="")
    action = CharField(max_length=30)  # discount | price | void | cash_difference | credit | drawer
    order = ForeignKeyField(Order, null=True, backref="approvals")
    session = ForeignKeyField(PosSession, null=True, backref="approvals")
    details = TextField(default="{}")


class Invoice(BaseModel):
    """An invoice, simplified invoice (ticket) or credit note, numbered without gaps per series,
    with the store's and the customer's fiscal data frozen as they were when it was issued."""

    number = CharField(max_length=40, unique=True)
    series = CharField(max_length=20)
    kind = CharField(max_length=20)  # invoice | simplified | credit_note
    order = ForeignKeyField(Order, backref="invoices")
    corrects = ForeignKeyField("self", null=True, backref="credit_notes")
    issued_at = DateTimeField(default=now)
    store_snapshot = TextField()  # JSON
    customer_snapshot = TextField(default="{}")  # JSON
    lines_snapshot = TextField()  # JSON
    payments_snapshot = TextField(default="[]")  # JSON
    net_minor = IntegerField()
    tax_minor = IntegerField()
    total_minor = IntegerField()
    currency = CharField(max_length=3)


class Printer(BaseModel):
    """A till's receipt printer (ESC/POS): on the network, USB, a serial port, or a file."""

    till = CharField(max_length=40, unique=True)
    kind = CharField(max_length=10)  # network | usb | serial | file
    address = CharField(max_length=200)  # host[:port], vendor:product, /dev/ttyS0[:baud], a path
    width = IntegerField(default=42)  # characters per line: 32 (58 mm), 42 or 48 (80 mm)
    code_page = CharField(max_length=20, default="")  # empty: the library's choice for the text
    drawer = BooleanField(default=True)  # a cash drawer hangs on the printer
    updated_at = DateTimeField(default=now)


class PrintJob(BaseModel):
    """Something to print, queued in the database so that a printer that is off, out of paper or
    unreachable never blocks nor loses a sale: the job waits and is tried again."""

    till = CharField(max_length=40, index=True)
    kind = CharField(max_length=20)  # receipt | drawer | test | report
    order = ForeignKeyField(Order, null=True, backref="print_jobs")
    payload = TextField(default="{}")  # JSON: what to print
    state = CharField(max_length=10, default="pending")  # pending | done | failed
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    created_at = DateTimeField(default=now)
    printed_at = DateTimeField(null=True)

    class Meta:
        table_name = "print_job"
        indexes = ((("till", "state"), False),)


class LoyaltyRule(BaseModel):
    """One version of the loyalty programme's rules. Points are earned under the newest version
    at the time of the sale and keep that version (a change of rules applies only afterwards)."""

    valid_from = DateTimeField(default=now)
    enabled = BooleanField(default=True)
    points_per_unit_milli = IntegerField(default=1000)  # points per currency unit spent, × 1000
    min_order_minor = IntegerField(default=0)  # smaller sales earn nothing
    point_value_milli = IntegerField(default=1000)  # what a point is worth, in minor units × 1000
    expiry_days = IntegerField(default=365)  # per earning; 0: points never expire
    tiers = TextField(default="[]")  # JSON: [{name, min_spend_minor, multiplier_bp, discount_bp}]
    excluded_categories = TextField(default="[]")  # JSON
    excluded_skus = TextField(default="[]")  # JSON
    created_by = ForeignKeyField(Cashier, null=True)

    class Meta:
        table_name = "loyalty_rule"


class LoyaltyEntry(BaseModel):
    """The loyalty ledger, append-only: earn, redeem, expire, reverse (earned points a refund
    takes back), restore (redeemed points a refund gives back), adjust (a manager, with a reason).
    One entry per (order, kind), so a retried commit can never earn twice."""

    customer = ForeignKeyField(Customer, backref="loyalty_entries")
    at = DateTimeField(default=now)
    kind = CharField(max_length=10)
    points = IntegerField()  # signed
    order = ForeignKeyField(Order, null=True, backref="loyalty_entries")
    rule = ForeignKeyField(LoyaltyRule, null=True)
    expires_at = DateTimeField(null=True)  # on entries that add points
    cashier = ForeignKeyField(Cashier, null=True)
    reason = CharField(max_length=200, default="")

    class Meta:
        table_name = "loyalty_entry"
        indexes = ((("order", "kind"), True), (("customer", "at"), False), (("kind", "expires_at"), False))


class LoyaltyUse(BaseModel):
    """Which points an entry that takes points (redeem, expire, reverse, adjust) took, from which
    entry that gave them: the points closest to expiry go first."""

    entry = ForeignKeyField(LoyaltyEntry, backref="uses")
    source = ForeignKeyField(LoyaltyEntry, backref="used_by")
    points = IntegerField()

    class Meta:
        table_name = "loyalty_use"


class Event(BaseModel):
    """The outbox: every change another system (accounting, CRM) needs, written in the same
    transaction as the change. `cursor` is gapless and in commit order, so a reader that
    remembers the last cursor it saw never misses an event nor reads one twice."""

    cursor = IntegerField(primary_key=True)
    at = DateTimeField(default=now)
    kind = CharField(max_length=40, index=True)  # customer.created, sale.paid, …
    entity = CharField(max_length=30)
    entity_id = IntegerField()
    payload = TextField(default="{}")  # JSON

    class Meta:
        table_name = "outbox"


class StockMove(BaseModel):
    """The stock ledger, append-only: what came in or went out of a product, and why (sale,
    refund, void, receipt, adjustment, count). On hand is the sum of a product's moves. A move
    caused by a sale's line is written in the sale's own transaction, once per (line, kind)."""

    product = ForeignKeyField(Product, backref="stock_moves")
    at = DateTimeField(default=now)
    kind = CharField(max_length=12)  # sale | refund | void | receipt | adjustment | count
    quantity = Quantity()  # signed: in > 0, out < 0
    unit_cost_minor = IntegerField(null=True)  # on receipts, when the cost was given
    order = ForeignKeyField(Order, null=True, backref="stock_moves")
    line = ForeignKeyField(OrderLine, null=True, backref="stock_moves")
    cashier = ForeignKeyField(Cashier, null=True)
    till = CharField(max_length=40, default="")
    reason = CharField(max_length=200, default="")

    class Meta:
        table_name = "stock_move"
        indexes = ((("product", "quantity"), False), (("line", "kind"), True), (("at",), False))


class Sequence(BaseModel):
    """Gapless counters (order numbers per till), advanced inside the transaction that uses them."""

    name = CharField(primary_key=True, max_length=60)
    last_value = IntegerField(default=0)


ALL_MODELS = [SchemaInfo, Store, Cashier, Customer, CustomerToken, AuditLog, Tax, Product, ProductTax,
              PosSession, Order, OrderLine, Payment, SessionCount, CashMovement, Approval, Invoice, Printer,
              PrintJob, LoyaltyRule, LoyaltyEntry, LoyaltyUse, Event, StockMove, Sequence]
