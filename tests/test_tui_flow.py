"""The till driven by keys, as a cashier would, at 80×24; the database checked afterwards."""

from __future__ import annotations

from pos_tui import models
from pos_tui.app import PosApp
from pos_tui.screens.customer_form import CustomerFormScreen
from pos_tui.screens.customer_picker import CustomerPickerScreen
from pos_tui.screens.login import LoginScreen
from pos_tui.screens.payment import PaymentScreen
from pos_tui.screens.receipt import ReceiptScreen
from pos_tui.screens.sale import SaleScreen
from pos_tui.screens.session import SessionScreen
from pos_tui.screens.setup import SetupScreen
from tests.tui_helpers import screen_text, settle, type_text

MILK, BREAD = "8412345000010", "8412345000027"


async def login(pilot, name="Ana", pin="1234"):
    """Pick the cashier with ↓ (the list is in name order) and type the PIN."""
    from pos_tui.services import cashiers

    names = [c.name for c in cashiers.list_cashiers()]
    await pilot.press(*["down"] * names.index(name))
    await type_text(pilot, pin)
    await pilot.press("enter")
    await pilot.pause()


async def test_the_whole_sale_with_a_customer_created_mid_sale(shop):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, LoginScreen)
        await login(pilot)
        assert isinstance(app.screen, SessionScreen)
        await type_text(pilot, "100")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)

        for code in (MILK, f"2*{BREAD}"):
            await type_text(pilot, code)
            await pilot.press("enter")
        await pilot.pause()
        assert "TOTAL 2,55" in screen_text(pilot)

        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, CustomerPickerScreen)
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, CustomerFormScreen)
        await type_text(pilot, "Marta Villa")
        await pilot.press("tab", "tab", "tab")  # past "company" and email, to the phone
        await type_text(pilot, "612 345 678")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert "Customer: Marta Villa" in screen_text(pilot)

        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, PaymentScreen)
        # the amount offered is selected: typing replaces it
        await type_text(pilot, "10")
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ReceiptScreen)
        assert "Change due: 7,45" in screen_text(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert "TOTAL 0,00" in screen_text(pilot)

    order = models.Order.get(models.Order.state == "paid")
    customer = models.Customer.get(models.Customer.name == "Marta Villa")
    assert order.customer_id == customer.id
    assert (customer.phone, customer.phone_e164) == ("612 345 678", "+34612345678")
    assert [(line.sku, line.quantity) for line in order.lines.order_by(models.OrderLine.id)] == [
        ("P001", 1), ("P002", 2)]
    assert order.total_minor == 255
    payment = order.payments.get()
    assert (payment.method, payment.tendered_minor, payment.change_minor) == ("cash", 1000, 745)
    assert models.Order.select().where(models.Order.state == "draft").count() == 1  # the next sale


async def test_errors_show_on_screen_and_write_nothing(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        assert isinstance(app.screen, SaleScreen)
        await type_text(pilot, "does-not-exist")
        await pilot.press("enter")
        await pilot.pause()
        assert "No product with barcode or SKU “does-not-exist”" in screen_text(pilot)
        await pilot.press("escape")
        await type_text(pilot, f"0*{MILK}")
        await pilot.press("enter")
        await pilot.pause()
        assert "must be more than zero" in screen_text(pilot)
        await pilot.press("f10")
        await pilot.pause()
        assert "The sale is empty" in screen_text(pilot)
        assert isinstance(app.screen, SaleScreen)
    assert models.OrderLine.select().count() == 0


async def test_paying_without_a_session_is_refused(shop, ana):
    from pos_tui.services import sales

    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, MILK)
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        assert isinstance(app.screen, SessionScreen)  # no session yet: asked to open one
        await pilot.press("f4")  # the sale key does nothing without a session
        assert isinstance(app.screen, SessionScreen)
    assert models.Payment.select().count() == 0


async def test_quantity_remove_and_product_search(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await type_text(pilot, MILK)
        await pilot.press("enter")
        await pilot.press("f6")
        await pilot.pause()
        await type_text(pilot, "4")
        await pilot.press("enter")
        await pilot.pause()
        assert "TOTAL 3,80" in screen_text(pilot)

        await pilot.press("f3")
        await settle(pilot)
        await type_text(pilot, "cava")
        await settle(pilot)
        assert "Cava brut nature" in screen_text(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert "TOTAL 10,30" in screen_text(pilot)

        await pilot.press("up")  # back to the milk
        await pilot.press("f8")
        await pilot.pause()
        assert "Removed: Leche entera 1 L" in screen_text(pilot)
        assert "TOTAL 6,50" in screen_text(pilot)
    lines = list(models.OrderLine.select())
    assert [(line.sku, line.quantity) for line in lines] == [("P023", 1)]


async def test_pick_an_existing_customer_by_typing(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f2")
        await type_text(pilot, "ximena")
        await settle(pilot)
        assert "Ximena Hernández Ávila" in screen_text(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert "Customer: Ximena Hernández Ávila" in screen_text(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("escape")  # leaves without changes
        await pilot.pause()
        assert "Customer: Ximena Hernández Ávila" in screen_text(pilot)
    assert models.Order.get().customer.name == "Ximena Hernández Ávila"


async def test_customer_form_shows_field_errors_and_saves_nothing(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f2")
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CustomerFormScreen)
        assert "is required" in screen_text(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CustomerPickerScreen)
    assert models.Customer.select().count() == 20


async def test_split_payment_card_then_cash(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await type_text(pilot, f"10*{MILK}")  # 9,50
        await pilot.press("enter", "f10")
        await pilot.pause()
        await pilot.press("f3")
        await type_text(pilot, "5")
        await pilot.press("enter")
        await pilot.pause()
        assert "due 4,50" in screen_text(pilot)
        await pilot.press("f3")
        await type_text(pilot, "20")
        await pilot.press("enter")
        await pilot.pause()
        assert "cannot be more than what is due" in screen_text(pilot)
        await pilot.press("f2")
        await type_text(pilot, "5")
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ReceiptScreen)
    order = models.Order.get(models.Order.state == "paid")
    assert [(p.method, p.amount_minor, p.change_minor) for p in order.payments] == [
        ("card", 500, 0), ("cash", 450, 50)]


async def test_close_the_session_and_see_the_difference(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        await pilot.press("f9")
        await pilot.pause()
        await type_text(pilot, "99,50")
        await pilot.press("enter", "enter", "enter")  # cash, card, transfer: the last one closes
        await pilot.pause()
        text = screen_text(pilot)
        assert "Z REPORT" in text and "0,50 € short" in text
        await pilot.press("end")  # the counted drawer is at the end of the report
        await pilot.pause()
        assert "100,00 € / 99,50 € / -0,50 €" in screen_text(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert "no open session" in screen_text(pilot)
    session = models.PosSession.get()
    assert (session.expected_cash_minor, session.counted_cash_minor) == (10_000, 9_950)


async def test_wrong_pin_is_refused(shop):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, pin="0000")
        assert isinstance(app.screen, LoginScreen)
        assert "Wrong cashier or PIN" in screen_text(pilot)


async def test_an_empty_database_offers_the_demo(database):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, SetupScreen)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        text = screen_text(pilot)
        assert "Ana (PIN 1234" in text
    assert models.Product.select().count() == 43


async def test_an_empty_database_can_be_set_up_by_hand(database):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await type_text(pilot, "Tienda Sol")
        await pilot.press("enter")
        await type_text(pilot, "MX")
        await pilot.press("enter")
        await type_text(pilot, "MXN")
        await pilot.press("enter", "enter", "enter")  # no tax ID, no address yet
        await type_text(pilot, "Rosa")
        await pilot.press("enter")
        await type_text(pilot, "12")  # too short
        await pilot.press("enter")
        await pilot.pause()
        assert "4 to 8 digits" in screen_text(pilot)
        await type_text(pilot, "34")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
    store = models.Store.get()
    assert (store.name, store.country, store.currency) == ("Tienda Sol", "MX", "MXN")


async def test_f1_lists_every_key_of_the_screen_it_is_pressed_on(open_till):
    from pos_tui import keys
    from pos_tui.screens.dialogs import AskDialog
    from pos_tui.screens.help import HelpScreen

    async def check_help(pilot, scope, screen_type):
        assert isinstance(pilot.app.screen, screen_type)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        text = screen_text(pilot)
        for key, description in keys.help_rows(scope):
            assert key in text and description in text, (scope, key, description)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, screen_type)

    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await check_help(pilot, "sale", SaleScreen)
        await type_text(pilot, MILK)
        await pilot.press("enter", "f6")
        await pilot.pause()
        await check_help(pilot, "ask", AskDialog)  # a dialog, too
        await pilot.press("escape", "f10")
        await pilot.pause()
        await check_help(pilot, "payment", PaymentScreen)
