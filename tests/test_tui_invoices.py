"""Invoices, refunds and money on account at the till, by keyboard at 80×24."""

from __future__ import annotations

from pos_tui import models
from pos_tui.app import PosApp
from pos_tui.screens.customer_form import CustomerFormScreen
from pos_tui.screens.receipt import ReceiptScreen
from pos_tui.screens.refund import RefundScreen
from pos_tui.screens.sale import SaleScreen
from pos_tui.services import customers, sales
from pos_tui.services.payments import Tender
from pos_tui.widgets.form import Form
from tests.test_tui_flow import login
from tests.test_tui_tills import scan
from tests.tui_helpers import screen_text, type_text


async def test_an_invoice_asks_for_the_missing_postal_code_then_the_sale_goes_on(open_till):
    firm = customers.create_customer({"name": "Talleres Sur S.L.", "is_company": True, "tax_id": "B85743219",
                                      "street": "Calle Hierro 2", "city": "Getafe"})
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await scan(pilot, "P021")
        await pilot.press("f2")
        await type_text(pilot, "talleres")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f7")  # invoice, please
        await pilot.pause()
        assert isinstance(app.screen, CustomerFormScreen)
        form = app.screen.query_one(Form)
        assert app.screen.focused is form.widget("postal_code")
        assert "postal code" in screen_text(pilot)
        await type_text(pilot, "28906")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert "INVOICE" in screen_text(pilot)
        await pilot.press("f10", "f10")
        await pilot.pause()
        assert isinstance(app.screen, ReceiptScreen)
        assert "Invoice" in screen_text(pilot) and "F20" in screen_text(pilot)
    invoice = models.Invoice.get(models.Invoice.kind == "invoice")
    assert '"postal_code": "28906"' in invoice.customer_snapshot
    assert models.Customer.get_by_id(firm.id).postal_code == "28906"


async def test_refund_one_line_by_scanning_the_receipt_number(open_till, ana):
    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, "2*P021")
    sales.add_code(sale.id, "P001")
    receipt = sales.checkout(sale.uuid, [Tender("card", 995)])
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await scan(pilot, receipt.number)
        assert isinstance(app.screen, RefundScreen)
        await pilot.press("right", "right", "right")  # only two were sold
        await pilot.pause()
        assert "at most 2 can come back" in screen_text(pilot)
        await pilot.press("left", "f10")
        await pilot.pause()
        assert isinstance(app.screen, ReceiptScreen)
        assert "Refund of" in screen_text(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert "Refund T1-000002 done" in screen_text(pilot)
    back = models.Order.get(models.Order.kind == "refund")
    assert back.total_minor == -450 and [(p.method, p.amount_minor) for p in back.payments] == [("card", -450)]


async def test_pay_on_account_from_the_sale(open_till, ana):
    debtor = customers.create_customer({"name": "Bar Central", "credit_limit": "50"})
    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, "2*P021")
    sales.set_customer(sale.id, debtor.id)
    sales.checkout(sale.uuid, [Tender("account", 900)], cashier_id=ana.id)
    sale = sales.current_sale("T1", ana.id)
    sales.set_customer(sale.id, debtor.id)
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        assert "owes 9,00 € of 50,00 €" in screen_text(pilot)
        await pilot.press("f9", "a")
        await pilot.pause()
        assert "Owes 9,00" in screen_text(pilot)
        await pilot.press("f3")  # by card
        await type_text(pilot, "5")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReceiptScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert "owes 4,00 € of 50,00 €" in screen_text(pilot)


async def test_card_reference_and_cash_rounding_at_the_till(open_till):
    models.Store.update(cash_rounding_minor=5).execute()
    models.Product.update(price_minor=997).where(models.Product.sku == "P021").execute()
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await scan(pilot, "P021")
        await pilot.press("f10")
        await pilot.pause()
        assert "due 9,97 € (in cash 9,95 €)" in screen_text(pilot)
        await pilot.press("f6")
        await pilot.pause()
        await type_text(pilot, "4111 1111 1111 1111")  # a whole card number is refused
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "last 4 digits" in screen_text(pilot)
        await pilot.press(*["backspace"] * 19)
        await type_text(pilot, "1111")
        await pilot.press("enter")
        await type_text(pilot, "A1B2C3")
        await pilot.press("enter")
        await pilot.pause()
        assert "card ****1111" in screen_text(pilot)
        await pilot.press("f10")  # the exact amount, by card
        await pilot.pause()
        assert "Card ****1111" in screen_text(pilot)
    payment = models.Payment.get()
    assert (payment.method, payment.amount_minor, payment.card_last4, payment.auth_code) == ("card", 997, "1111",
                                                                                               "A1B2C3")


async def test_the_invoice_on_screen_after_paying(open_till):
    customers.create_customer({"name": "Talleres Sur S.L.", "is_company": True, "tax_id": "B65432106",
                               "street": "Calle Hierro 2", "city": "Getafe", "postal_code": "28906"})
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await scan(pilot, "P021")
        await pilot.press("f2")
        await type_text(pilot, "talleres")
        await pilot.press("enter", "f7", "f10", "f10")
        await pilot.pause()
        assert isinstance(app.screen, ReceiptScreen)
        await pilot.press("f7")
        await pilot.pause()
        text = screen_text(pilot)
        assert "Invoice" in text and "B65432106" in text and "Calle Hierro 2 28906 Getafe" in text
        assert "VAT 21 % on 3,72 €" in text
