"""The store's products at the till (F9 C), by keys at 80×24; the database checked afterwards."""

from __future__ import annotations

import json
from decimal import Decimal

from pos_tui import models
from pos_tui.app import PosApp
from pos_tui.screens.dialogs import ConfirmDialog, ManagerPinDialog
from pos_tui.screens.login import LoginScreen
from pos_tui.screens.product_search import ProductSearchScreen
from pos_tui.screens.products import ProductFormScreen, ProductsScreen
from pos_tui.screens.sale import SaleScreen
from tests.test_tui_flow import login
from tests.tui_helpers import screen_text, settle, type_text

NEW_CODE = "8412345999994"  # a well-formed EAN-13 no demo product has
P = models.Product


def receive(sku: str, qty: str) -> None:
    models.StockMove.create(product=P.get(P.sku == sku), kind="receipt", quantity=Decimal(qty))


async def open_products(pilot) -> None:
    await pilot.press("f9")
    await pilot.pause()
    await pilot.press("c")
    await settle(pilot)


async def erase(pilot, n: int = 20) -> None:
    await pilot.press(*["backspace"] * n)


async def test_a_manager_adds_a_product_a_bad_field_shown_in_place_then_edits_one(open_till):
    receive("P001", "12")
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        assert isinstance(app.screen, SaleScreen)
        await open_products(pilot)
        assert isinstance(app.screen, ProductsScreen)  # a manager: no PIN asked
        await type_text(pilot, "leche")
        await settle(pilot)
        text = screen_text(pilot)
        assert "Leche entera 1 L" in text and "P001" in text
        assert "On hand 12" in text and "barcode 8412345000010" in text  # the selected one's fields

        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, ProductFormScreen)
        await type_text(pilot, "pan9")
        await pilot.press("enter")
        await type_text(pilot, "Pan de centeno")
        await pilot.press("enter")
        await type_text(pilot, "8412345999990")  # wrong check digit
        await pilot.press("enter")
        await type_text(pilot, "Panadería / Pan")
        await pilot.press("enter")
        await type_text(pilot, "2,40")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ProductFormScreen)
        text = screen_text(pilot)
        assert "“8412345999990” has a wrong check digit" in text
        assert "Please correct the marked fields." in text
        assert not P.select().where(P.sku == "PAN9").exists()

        await erase(pilot)  # the bad field has the focus
        await type_text(pilot, NEW_CODE)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ProductsScreen)
        assert "Added: Pan de centeno (PAN9)" in screen_text(pilot)

        row = P.get(P.sku == "PAN9")
        assert (row.name, row.barcode, row.price_minor, row.category) == (
            "Pan de centeno", NEW_CODE, 240, "Panadería / Pan")
        assert (row.price_includes_tax, row.available_in_pos, row.track_stock, row.by_weight) == (
            True, True, True, False)
        assert row.tax_rate_bp == 2100  # the store's first tax, offered in the form
        created = models.AuditLog.get((models.AuditLog.entity == "product") & (models.AuditLog.entity_id == row.id))
        assert created.action == "create" and created.cashier.name == "Ana"

        # Edit the milk: Enter on the selected product, the focus on the name; the price is 4 fields down
        await erase(pilot)
        await type_text(pilot, "leche")
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProductFormScreen)
        assert "Edit product: Leche entera 1 L" in screen_text(pilot)
        await pilot.press("enter", "enter", "enter")
        await erase(pilot)
        await type_text(pilot, "1,05")
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ProductsScreen)
        assert "Saved: Leche entera 1 L (P001)" in screen_text(pilot)

    milk = P.get(P.sku == "P001")
    assert milk.price_minor == 105
    change = (models.AuditLog.select().where((models.AuditLog.entity == "product")
                                             & (models.AuditLog.entity_id == milk.id)).get())
    assert change.action == "update" and json.loads(change.changes) == {"price_minor": [95, 105]}


async def test_esc_leaves_the_form_and_nothing_is_saved(open_till):
    before = P.select().count()
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await open_products(pilot)
        await pilot.press("f2")
        await pilot.pause()
        await type_text(pilot, "X1")
        await pilot.press("enter")
        await type_text(pilot, "Nada")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProductsScreen)
    assert P.select().count() == before


async def test_a_cashier_needs_a_managers_pin_and_the_approval_is_recorded(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "Luis", "2345")
        assert isinstance(app.screen, SaleScreen)

        # without approval an unknown barcode stays an error message
        await type_text(pilot, NEW_CODE)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert f"No product with barcode or SKU “{NEW_CODE}”." in screen_text(pilot)
        await pilot.press("escape")

        await open_products(pilot)
        assert isinstance(app.screen, ManagerPinDialog)
        assert "A manager must approve changing the products" in screen_text(pilot)
        await type_text(pilot, "9999")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinDialog)
        assert "That is not a manager's PIN." in screen_text(pilot)
        assert not models.Approval.select().exists()
        await type_text(pilot, "1234")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProductsScreen)

        # approved: the second time no PIN is asked, and an unknown barcode offers to add it
        await pilot.press("escape")
        await pilot.pause()
        await open_products(pilot)
        assert isinstance(app.screen, ProductsScreen)
        await pilot.press("escape")
        await pilot.pause()
        await type_text(pilot, NEW_CODE)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)

    approval = models.Approval.get()
    assert (approval.action, approval.manager.name, approval.cashier.name, approval.till, approval.session_id) == (
        "products", "Ana", "Luis", "T1", open_till.id)


async def test_the_approval_ends_when_the_cashier_logs_out(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "Luis", "2345")
        await open_products(pilot)
        await type_text(pilot, "1234")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProductsScreen)
        app.show_login()
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        await login(pilot, "Luis", "2345")
        await open_products(pilot)
        assert isinstance(app.screen, ManagerPinDialog)


async def test_an_unknown_barcode_becomes_a_product_on_the_sale(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await type_text(pilot, f"2*{NEW_CODE}")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert f"No product has the barcode {NEW_CODE}. Add it as a" in screen_text(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProductFormScreen)
        assert NEW_CODE in screen_text(pilot)  # filled in
        await type_text(pilot, "Q1")
        await pilot.press("enter")
        await type_text(pilot, "Queso fresco")
        await pilot.press("enter", "enter", "enter")  # past the barcode and the category
        await type_text(pilot, "3,10")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
        text = screen_text(pilot)
        assert "Queso fresco" in text and "TOTAL 6,20" in text

    product = P.get(P.sku == "Q1")
    assert product.barcode == NEW_CODE
    line = models.OrderLine.get()
    assert (line.sku, line.quantity, line.unit_price_minor) == ("Q1", 2, 310)


async def test_a_typo_is_no_barcode_and_stays_an_error_for_a_manager(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await type_text(pilot, "8412345999990")  # wrong check digit: a misread, not a new product
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert "No product with barcode or SKU" in screen_text(pilot)


async def test_product_search_shows_the_stock_on_hand(open_till):
    receive("P001", "12")
    receive("P001", "-3")
    P.update(track_stock=False).where(P.sku == "P023").execute()
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, ProductSearchScreen)
        assert "On hand" in screen_text(pilot)
        await type_text(pilot, "leche")
        await settle(pilot)
        milk = next(line for line in screen_text(pilot).splitlines() if "Leche entera 1 L" in line)
        assert milk.rstrip().endswith(" 9") and len(milk.rstrip()) <= 80
        await pilot.press(*["backspace"] * 5)
        await type_text(pilot, "cava")
        await settle(pilot)
        cava = next(line for line in screen_text(pilot).splitlines() if "Cava brut nature" in line)
        assert cava.rstrip().endswith("—")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen) and "TOTAL 6,50" in screen_text(pilot)


async def test_the_new_store_form_takes_a_tax_id_checked_for_the_country_and_an_address(database):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await type_text(pilot, "Tienda Sol")
        await pilot.press("enter", "enter", "enter")  # Spain and euros, as offered
        await type_text(pilot, "B1234")
        await pilot.press("enter")
        await type_text(pilot, "Calle Mayor 1, Madrid")
        await pilot.press("enter")
        await type_text(pilot, "Rosa")
        await pilot.press("enter")
        await type_text(pilot, "1234")
        await pilot.press("enter")
        await pilot.pause()
        assert "is not a valid Spanish NIF/NIE/CIF" in screen_text(pilot)
        assert not models.Store.select().exists() and not models.Cashier.select().exists()
        await erase(pilot)  # the tax ID has the focus
        await type_text(pilot, "B58378431")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
    store = models.Store.get()
    assert (store.name, store.tax_id, store.address) == ("Tienda Sol", "B58378431", "Calle Mayor 1, Madrid")
