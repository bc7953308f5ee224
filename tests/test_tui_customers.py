"""The customer at the till, by keyboard at 80×24: create mid-sale with the duplicate prompt,
find, edit, see the details and history."""

from __future__ import annotations

from pos_tui import models
from pos_tui.app import PosApp
from pos_tui.screens.customer_detail import CustomerDetailScreen, OrderLinesDialog
from pos_tui.screens.customer_form import CustomerFormScreen
from pos_tui.screens.customer_picker import CustomerPickerScreen
from pos_tui.screens.duplicates import DuplicatesDialog
from pos_tui.screens.sale import SaleScreen
from pos_tui.services import audit, customers, sales
from pos_tui.services.payments import Tender
from pos_tui.widgets.form import Form
from tests.test_tui_flow import login
from tests.tui_helpers import screen_text, settle, type_text


async def open_new_customer_form(pilot):
    await pilot.press("f2")
    await settle(pilot)
    await pilot.press("f2")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CustomerFormScreen)


async def fill(pilot, field: str, text: str) -> None:
    form = pilot.app.screen.query_one(Form)
    form.widget(field).focus()
    await pilot.pause()
    await type_text(pilot, text)


async def test_new_customer_with_nif_and_phone_then_the_duplicate_prompt(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await open_new_customer_form(pilot)
        await type_text(pilot, "Rocío Benítez Sanz")
        await fill(pilot, "email", "rocio@example.es")
        await fill(pilot, "phone", "612 345 678")
        await fill(pilot, "tax_id", "12345678z")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert "Customer: Rocío Benítez Sanz" in screen_text(pilot)
        first = models.Customer.get(models.Customer.name == "Rocío Benítez Sanz")
        assert (first.tax_id, first.phone_e164) == ("12345678Z", "+34612345678")

        # the same person again, with the same email: the till asks
        await open_new_customer_form(pilot)
        await type_text(pilot, "Rocio Benitez")
        await fill(pilot, "email", "rocio@example.es")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DuplicatesDialog)
        text = screen_text(pilot)
        assert "Rocío Benítez Sanz" in text and "same email" in text
        await pilot.press("enter")  # use this one
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert "Customer: Rocío Benítez Sanz" in screen_text(pilot)
    assert models.Customer.select().where(models.Customer.email == "rocio@example.es").count() == 1
    assert models.Order.get(models.Order.state == "draft").customer_id == first.id


async def test_create_anyway_is_audited(open_till, ana):
    existing = customers.create_customer({"name": "Pablo Ortega Ruiz", "phone": "655 000 111"})
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await open_new_customer_form(pilot)
        await type_text(pilot, "Pablo Ortega Ruiz")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DuplicatesDialog)
        await pilot.press("escape")  # back to the form, nothing saved
        await pilot.pause()
        assert isinstance(app.screen, CustomerFormScreen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("f9")  # create anyway
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
    twins = list(models.Customer.select().where(models.Customer.name == "Pablo Ortega Ruiz"))
    assert len(twins) == 2
    new = next(c for c in twins if c.id != existing.id)
    assert [e.action for e in audit.history("customer", new.id)] == ["create", "create_despite_duplicates"]
    assert audit.history("customer", new.id)[0].cashier == "Ana"


async def test_field_errors_name_the_field(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await open_new_customer_form(pilot)
        await type_text(pilot, "Marta Soler")
        await fill(pilot, "phone", "12")
        await fill(pilot, "tax_id", "12345678A")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CustomerFormScreen)
        text = screen_text(pilot)
        assert "Please correct the marked fields" in text
        assert "phone number" in text
        assert app.screen.focused is app.screen.query_one(Form).widget("phone")
    assert not models.Customer.select().where(models.Customer.name == "Marta Soler").exists()


async def test_mexican_fields_show_only_for_a_mexican_tax_id(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await open_new_customer_form(pilot)
        form = app.screen.query_one(Form)
        row = app.screen.query_one("#row-fiscal__regime")
        assert not row.display
        form.input("tax_country").value = "MX"
        await pilot.pause()
        assert row.display


async def test_find_by_accentless_name_and_last_phone_digits(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f2")
        await type_text(pilot, "jose")
        await settle(pilot)
        assert "José García López" in screen_text(pilot)
        await pilot.press(*["backspace"] * 4)
        await type_text(pilot, "0118")  # the last four digits of 612 400 118
        await settle(pilot)
        text = screen_text(pilot)
        assert "José García López" in text and "María" not in text
        await pilot.press("enter")
        await pilot.pause()
        assert "Customer: José García López" in screen_text(pilot)


async def test_details_show_history_and_edit_from_the_sale(open_till, ana):
    jose = models.Customer.get(models.Customer.name == "José García López")
    for code, paid in (("2*P001", 190), ("P021", 450)):
        sale = sales.current_sale("T1", ana.id)
        sales.add_code(sale.id, code)
        sales.set_customer(sale.id, jose.id)
        sales.checkout(sale.uuid, [Tender("cash", paid)])
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f2")
        await type_text(pilot, "jose garcia")
        await settle(pilot)
        await pilot.press("f4")  # details from the picker
        await pilot.pause()
        assert isinstance(app.screen, CustomerDetailScreen)
        text = screen_text(pilot)
        assert "2 visits" in text and "6,40" in text
        assert "T1-000002" in text and "T1-000001" in text
        assert text.index("T1-000002") < text.index("T1-000001")  # newest first
        await pilot.press("down", "enter")  # the older sale's lines
        await pilot.pause()
        assert isinstance(app.screen, OrderLinesDialog)
        assert "Leche entera 1 L" in screen_text(pilot)
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("f2")  # edit
        await pilot.pause()
        assert isinstance(app.screen, CustomerFormScreen)
        form = app.screen.query_one(Form)
        assert form.input("email").value == "jose.garcia@example.es"
        form.input("discount").value = "10"
        form.input("special_terms").value = "Delivers on Mondays"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CustomerDetailScreen)
        await pilot.press("f6")
        await pilot.pause()
        assert "Delivers on Mondays" in screen_text(pilot)
        await pilot.press("f7")
        await pilot.pause()
        assert "discount_bp: 0 → 1000" in screen_text(pilot)
        await pilot.press("f10")  # use for the sale
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        text = screen_text(pilot)
        assert "Customer: José García López" in text and "discount 10 %" in text
        assert "Terms: Delivers on Mondays" in text
    assert models.Customer.get_by_id(jose.id).discount_bp == 1000


async def test_archive_from_the_details(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f2")
        await type_text(pilot, "ximena")
        await settle(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("f8")
        await pilot.pause()
        assert "Archived" in screen_text(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CustomerPickerScreen)
        assert "Ximena" not in screen_text(pilot)
    assert models.Customer.get(models.Customer.name == "Ximena Hernández Ávila").archived


async def test_the_preferred_payment_method_is_preselected(open_till, ana):
    lola = customers.create_customer({"name": "Lola Vidal", "preferred_payment": "card"})
    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, "P001")
    sales.set_customer(sale.id, lola.id)
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f10")
        await pilot.pause()
        assert "Amount in card" in screen_text(pilot)
        await pilot.press("f10")
        await pilot.pause()
    order = models.Order.get(models.Order.customer == lola.id)
    assert [(p.method, p.amount_minor) for p in order.payments] == [("card", 95)]


async def test_check_boxes_read_without_colour(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await open_new_customer_form(pilot)
        box = app.screen.query_one(Form).widget("is_company")
        assert "✓" not in screen_text(pilot)
        box.focus()
        await pilot.press("space")
        await pilot.pause()
        assert box.value and "✓▌ Company" in screen_text(pilot)


async def test_redeem_part_of_the_balance_on_the_payment_screen(open_till, ana):
    from pos_tui.services import loyalty

    loyalty.set_rules(points_per_unit="10")
    eva = customers.create_customer({"name": "Eva Luna Prado"})
    first = sales.current_sale("T1", ana.id)
    sales.add_code(first.id, "5*P021")
    sales.set_customer(first.id, eva.id)
    sales.checkout(first.uuid, [Tender("card", 2250)])  # 225 points, worth 2,25
    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, "P021")
    sales.set_customer(sale.id, eva.id)
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        assert "225 points (Bronze)" in screen_text(pilot)
        await pilot.press("f10", "f7")  # points
        await pilot.pause()
        assert "worth up to 2,25 €: 225 points" in screen_text(pilot)
        await type_text(pilot, "1,50")  # part of it
        await pilot.press("enter")
        await pilot.pause()
        assert "due 3,00" in screen_text(pilot)
        await pilot.press("f2", "f10")  # the rest in cash
        await pilot.pause()
        text = screen_text(pilot)
        assert "Points" in text and "Points earned" in text and "Points balance (Bronze)" in text
        await pilot.press("enter", "f2")  # the next sale: find Eva, her details, the points tab
        await type_text(pilot, "eva luna")
        await settle(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        text = screen_text(pilot)
        assert "redeemed" in text and "-150" in text and "earned" in text
    assert loyalty.balance(eva.id) == 225 - 150 + 30
