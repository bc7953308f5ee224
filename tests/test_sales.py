import pytest

from pos_tui import db, models
from pos_tui.errors import NotFound, StateError, ValidationError
from pos_tui.services import customers, sales, sessions
from pos_tui.services.payments import Tender

MILK = "8412345000010"  # Leche entera 1 L, 0.95, 4 % included
BREAD_SKU = "P002"  # Pan de barra, 0.80


@pytest.fixture
def sale(open_till, ana):
    return sales.current_sale("T1", ana.id)


def test_scanning_adds_by_barcode_or_sku_and_merges_the_same_product(sale):
    sale, _ = sales.add_code(sale.id, MILK)
    sale, _ = sales.add_code(sale.id, "p002")  # SKU, any case
    sale, line_id = sales.add_code(sale.id, MILK)
    assert [(line.sku, line.quantity) for line in sale.lines] == [("P001", 2), ("P002", 1)]
    assert sale.lines[0].id == line_id
    assert sale.total_minor == 2 * 95 + 80
    assert models.Order.get_by_id(sale.id).total_minor == sale.total_minor


def test_quantity_times_code(sale):
    sale, _ = sales.add_code(sale.id, f"3*{MILK}")
    sale, _ = sales.add_code(sale.id, f" 2 * {BREAD_SKU} ")
    assert [(line.sku, line.quantity) for line in sale.lines] == [("P001", 3), ("P002", 2)]


@pytest.mark.parametrize("text, error", [
    ("nothing-like-this", NotFound), ("0*P001", ValidationError), ("-2*P001", ValidationError),
    ("10000*P001", ValidationError), ("1.5*P001", ValidationError), ("abc*P001", ValidationError),
    ("  ", ValidationError), ("3*", ValidationError),
])
def test_bad_input_is_refused_and_nothing_is_written(sale, text, error):
    with pytest.raises(error) as info:
        sales.add_code(sale.id, text)
    assert info.value.message
    assert models.OrderLine.select().count() == 0


def test_quantity_cannot_grow_past_the_limit_by_scanning_again(sale):
    sales.add_code(sale.id, f"9999*{MILK}")
    with pytest.raises(ValidationError):
        sales.add_code(sale.id, MILK)
    assert models.OrderLine.get().quantity == 9999


def test_change_quantity_and_remove_lines(sale):
    sale, line_id = sales.add_code(sale.id, MILK)
    sale = sales.set_quantity(sale.id, line_id, 4)
    assert sale.lines[0].quantity == 4 and sale.total_minor == 380
    for bad in (0, -1, 10_000):
        with pytest.raises(ValidationError):
            sales.set_quantity(sale.id, line_id, bad)
    sale = sales.remove_line(sale.id, line_id)
    assert sale.lines == () and sale.total_minor == 0


def test_the_sale_in_progress_is_found_again_after_a_restart(db_path, sale, ana):
    sales.add_code(sale.id, MILK)
    db.close_database()
    db.open_database(str(db_path))
    again = sales.current_sale("T1", ana.id)
    assert again.uuid == sale.uuid and again.lines[0].sku == "P001"


def test_each_till_has_its_own_sale(sale, ana):
    other = sales.current_sale("T2", ana.id)
    assert other.id != sale.id


def test_set_and_clear_the_customer(sale):
    customer = customers.create_customer({"name": "Marta Villa"})
    sale = sales.set_customer(sale.id, customer.id)
    assert (sale.customer_id, sale.customer_name) == (customer.id, "Marta Villa")
    sale = sales.set_customer(sale.id, None)
    assert sale.customer_id is None
    with pytest.raises(NotFound):
        sales.set_customer(sale.id, 999_999)


def test_checkout_with_cash_gives_change_and_numbers_the_order(sale, open_till):
    sale, _ = sales.add_code(sale.id, f"3*{MILK}")  # 2.85
    receipt = sales.checkout(sale.uuid, [Tender("cash", 1000)])
    assert receipt.number == "T1-000001"
    assert receipt.change_minor == 715
    order = models.Order.get_by_id(sale.id)
    assert (order.state, order.session_id, order.total_minor) == ("paid", open_till.id, 285)
    payment = models.Payment.get()
    assert (payment.method, payment.amount_minor, payment.tendered_minor, payment.change_minor) == (
        "cash", 285, 1000, 715)


def test_split_payment_and_gapless_numbers(sale, ana):
    sale, _ = sales.add_code(sale.id, f"10*{MILK}")  # 9.50
    sales.checkout(sale.uuid, [Tender("card", 500), Tender("cash", 1000)])
    assert [(p.method, p.amount_minor, p.change_minor) for p in models.Payment.select()] == [
        ("card", 500, 0), ("cash", 450, 550)]
    second = sales.current_sale("T1", ana.id)
    assert second.id != sale.id
    second, _ = sales.add_code(second.id, MILK)
    assert sales.checkout(second.uuid, [Tender("transfer", 95)]).number == "T1-000002"


def test_checkout_twice_charges_once(sale):
    sale, _ = sales.add_code(sale.id, MILK)
    first = sales.checkout(sale.uuid, [Tender("cash", 100)])
    again = sales.checkout(sale.uuid, [Tender("cash", 100)])
    assert again == first
    assert models.Payment.select().count() == 1
    assert models.Order.select().where(models.Order.state == "paid").count() == 1


def test_a_paid_sale_cannot_be_changed(sale):
    sale, line_id = sales.add_code(sale.id, MILK)
    sales.checkout(sale.uuid, [Tender("cash", 95)])
    with pytest.raises(StateError):
        sales.add_code(sale.id, MILK)
    with pytest.raises(StateError):
        sales.remove_line(sale.id, line_id)


@pytest.mark.parametrize("tenders, fragment", [
    ([Tender("cash", 50)], "do not cover"),
    ([Tender("card", 200)], "cannot be more than what is due"),
    ([Tender("cheque", 95)], "unknown payment method"),
    ([Tender("cash", 0)], "more than zero"),
    ([], "do not cover"),
])
def test_checkout_refuses_bad_payments_and_writes_nothing(sale, tenders, fragment):
    sale, _ = sales.add_code(sale.id, MILK)
    with pytest.raises(ValidationError, match=fragment):
        sales.checkout(sale.uuid, tenders)
    assert models.Payment.select().count() == 0
    assert models.Order.get_by_id(sale.id).state == "draft"
    assert models.Sequence.select().where(models.Sequence.name.startswith("order:")).count() == 0
    assert models.Event.select().where(models.Event.kind == "sale.paid").count() == 0


def test_paying_without_an_open_session_is_refused(shop, ana):
    sale = sales.current_sale("T9", ana.id)
    sale, _ = sales.add_code(sale.id, MILK)
    with pytest.raises(StateError, match="Open a session"):
        sales.checkout(sale.uuid, [Tender("cash", 95)])
    assert models.Order.get_by_id(sale.id).state == "draft"
    assert models.Payment.select().count() == 0


def test_an_empty_sale_cannot_be_paid(sale):
    with pytest.raises(StateError, match="empty"):
        sales.checkout(sale.uuid, [Tender("cash", 100)])


def test_cash_sales_count_in_the_session(sale, open_till):
    sale, _ = sales.add_code(sale.id, f"2*{MILK}")
    sales.checkout(sale.uuid, [Tender("cash", 500)])
    info = sessions.current_session("T1")
    assert info.sales_count == 1 and info.sales_total_minor == 190
    assert info.expected_cash_minor == 10_000 + 190
