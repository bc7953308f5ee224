"""Approvals, parking, cash and closing at the till, by keyboard at 80×24 (and on a big screen)."""

from __future__ import annotations

import pytest

from pos_tui import models
from pos_tui.app import PosApp
from pos_tui.screens.dialogs import ManagerPinDialog
from pos_tui.screens.login import LoginScreen
from pos_tui.screens.sale import SaleScreen
from pos_tui.screens.session import SessionSalesScreen, ZReportScreen
from pos_tui.services import sales
from pos_tui.services.payments import Tender
from tests.test_tui_flow import login
from tests.tui_helpers import screen_text, type_text


async def scan(pilot, *codes):
    for code in codes:
        await type_text(pilot, code)
        await pilot.press("enter")
    await pilot.pause()


async def test_a_big_discount_waits_for_a_managers_pin(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "Luis", "2345")
        await scan(pilot, "P021")  # 4,50
        await pilot.press("f9", "d")
        await pilot.pause()
        await type_text(pilot, "50")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinDialog)
        assert "discount above the limit" in screen_text(pilot)
        await type_text(pilot, "2345")  # Luis is not a manager
        await pilot.press("enter")
        await pilot.pause()
        assert "not a manager's PIN" in screen_text(pilot)
        await type_text(pilot, "1234")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert "TOTAL 2,25" in screen_text(pilot)
    approval = models.Approval.get()
    assert (approval.action, approval.manager.name, approval.cashier.name) == ("discount", "Ana", "Luis")


async def test_a_small_discount_needs_no_one(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "Luis", "2345")
        await scan(pilot, "P021")
        await pilot.press("f9", "d")
        await type_text(pilot, "10")
        await pilot.press("enter")
        await pilot.pause()
        assert "TOTAL 4,05" in screen_text(pilot)
    assert models.Approval.select().count() == 0


async def test_park_recall_and_void(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await scan(pilot, "P021")
        await pilot.press("f9", "k")
        await pilot.pause()
        assert "Sale parked" in screen_text(pilot) and "TOTAL 0,00" in screen_text(pilot)
        await scan(pilot, "P001")
        await pilot.press("f9", "v")
        await pilot.pause()
        await pilot.press("enter")  # yes, void it
        await pilot.pause()
        assert "Sale voided" in screen_text(pilot)
        await pilot.press("f9", "r")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(pilot)
        assert "Parked sale recalled" in text and "Cerveza" in text and "TOTAL 4,50" in text
    states = sorted(o.state for o in models.Order.select())
    assert states == ["cancelled", "draft"]


async def test_cash_out_then_close_by_counting_notes_with_a_manager(open_till):
    """A 100,00 float, one cash sale of 4,50, 20,00 taken out; counted 70,00: 14,50 short, more
    than the 5,00 a cashier may leave unexplained."""
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "Luis", "2345")
        await scan(pilot, "P021")
        await pilot.press("f10", "f10")  # pay exactly, in cash
        await pilot.pause()
        await pilot.press("enter")
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("f2", "f2")  # cash, switched to "out"
        await pilot.pause()
        assert "Cash out" in screen_text(pilot)
        await type_text(pilot, "20")
        await pilot.press("enter")
        await type_text(pilot, "Window cleaner")
        await pilot.press("enter")
        await pilot.pause()
        assert "should now hold 84,50" in screen_text(pilot)

        await pilot.press("f9")
        await pilot.pause()
        await pilot.press("f2")  # count notes and coins
        await pilot.pause()
        await pilot.press("enter", "enter")  # no 200 or 100 notes
        await type_text(pilot, "1")  # one 50
        await pilot.press("enter")
        await type_text(pilot, "1")  # one 20
        await pilot.pause()
        assert "Total: 70,00" in screen_text(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("ctrl+s")  # close
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinDialog)
        assert "cash differs by -14,50" in screen_text(pilot)
        await type_text(pilot, "1234")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ZReportScreen)
        assert "14,50 € short" in screen_text(pilot)
        await pilot.press("end")  # the rest of the report
        await pilot.pause()
        assert "Window cleaner" in screen_text(pilot)
    session = models.PosSession.get()
    assert (session.expected_cash_minor, session.counted_cash_minor) == (8_450, 7_000)
    assert '"5000": 1' in session.cash_count
    assert models.Approval.get().action == "cash_difference"


async def test_closing_with_a_sale_in_progress_offers_to_park_it(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await scan(pilot, "P001")
        await pilot.press("f5", "f9")
        await pilot.pause()
        await type_text(pilot, "100")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "A sale is in progress" in screen_text(pilot)
        await pilot.press("escape")  # back: nothing closed
        await pilot.pause()
        assert models.PosSession.get().closed_at is None
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("k")  # park it, and the session closes
        await pilot.pause()
        assert isinstance(app.screen, ZReportScreen)
    assert models.PosSession.get().closed_at is not None
    assert models.Order.get().state == "parked"


async def test_void_a_paid_sale_from_the_session(open_till, ana):
    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, "P021")
    sales.checkout(sale.uuid, [Tender("cash", 450)])
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "Luis", "2345")
        await pilot.press("f5", "f6")
        await pilot.pause()
        assert isinstance(app.screen, SessionSalesScreen)
        assert "T1-000001" in screen_text(pilot)
        await pilot.press("f8", "enter")
        await pilot.pause()
        await type_text(pilot, "1234")
        await pilot.press("enter")
        await pilot.pause()
        assert "voided" in screen_text(pilot)
    assert models.Order.get(models.Order.number == "T1-000001").state == "voided"


async def test_wrong_pins_make_the_login_wait(shop):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(4):
            await login(pilot, "Luis", "0000")
        assert isinstance(app.screen, LoginScreen)
        assert "Too many wrong PINs" in screen_text(pilot)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_the_sale_screen_fits_small_and_big_terminals(open_till, size):
    app = PosApp(till="T1")
    async with app.run_test(size=size) as pilot:
        await login(pilot)
        await scan(pilot, "P001", "P021")
        text = screen_text(pilot)
        lines = text.splitlines()
        assert len(lines) == size[1]
        assert "TOTAL 5,45" in text
        assert "F10 Pay" in lines[-1] and "F1 Help" in lines[-1]  # the whole footer fits


async def test_on_account_over_the_limit_a_manager_approves(open_till):
    from pos_tui.services import customers

    bar = customers.create_customer({"name": "Bar El Puerto", "credit_limit": "5", "preferred_payment": "account"})
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "Luis", "2345")
        await scan(pilot, "2*P021")  # 9,00: over the 5,00 limit
        await pilot.press("f2")
        await type_text(pilot, "bar el")
        await pilot.press("enter")
        await pilot.pause()
        assert "owes 0,00 € of 5,00 €" in screen_text(pilot)
        await pilot.press("f10")
        await pilot.pause()
        assert "F5 Account" in screen_text(pilot) and "customer account" in screen_text(pilot)
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinDialog)
        assert "credit limit is 5,00" in screen_text(pilot)
        await type_text(pilot, "1234")
        await pilot.press("enter")
        await pilot.pause()
        assert "due" in screen_text(pilot)  # the receipt says when
    order = models.Order.get(models.Order.state == "paid")
    assert (order.customer_id, order.payments.get().method) == (bar.id, "account")


async def test_no_account_without_a_customer(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await scan(pilot, "P021")
        await pilot.press("f10")
        await pilot.pause()
        assert "F5 Account" not in screen_text(pilot)
