"""The till with a receipt printer, by keys at 80×24: a network printer emulated on 127.0.0.1
prints the receipt and opens the drawer; unplugged, the sale is paid all the same and the cashier
is told; plugged in again, F12 prints what waited. Waits on conditions, never on the clock."""

from __future__ import annotations

import time

from pos_tui import models
from pos_tui.app import PosApp
from pos_tui.screens.dialogs import ManagerPinDialog
from pos_tui.screens.payment import PaymentScreen
from pos_tui.screens.receipt import ReceiptScreen
from pos_tui.screens.sale import SaleScreen
from pos_tui.services import printing
from tests.printer_emulator import PrinterEmulator
from tests.test_tui_flow import login
from tests.tui_helpers import screen_text, settle, text_of, type_text

TUNA = "8412345000133"  # Atún en aceite (3 latas), 3,75 €
PULSE = b"\x1bp\x00\x32\x32"
CUT = b"\x1dV\x01"


async def sell_in_cash(pilot, code: str = TUNA, given: str = "10") -> None:
    await type_text(pilot, code)
    await pilot.press("enter")
    await pilot.press("f10")
    await pilot.pause()
    assert isinstance(pilot.app.screen, PaymentScreen)
    await type_text(pilot, given)
    await pilot.press("f10")
    await settle(pilot)  # the print worker has finished, one way or the other
    assert isinstance(pilot.app.screen, ReceiptScreen)


async def shows(pilot, text: str, timeout: float = 5.0) -> bool:
    """Wait until `text` is on screen (a notice appears a few refreshes after it is raised)."""
    deadline = time.monotonic() + timeout
    while text not in screen_text(pilot):
        if time.monotonic() > deadline:
            print(screen_text(pilot))
            return False
        await pilot.pause(0.02)
    return True


def notices(app) -> list[str]:
    return [notification.message for notification in app._notifications]


def receipt_jobs() -> list[models.PrintJob]:
    return list(models.PrintJob.select().where(models.PrintJob.kind == "receipt").order_by(models.PrintJob.id))


async def test_print_unplug_sell_plug_in_and_print_again(open_till):
    first = PrinterEmulator().start()
    printing.set_printer("T1", "network", first.address, width=42)
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        assert isinstance(app.screen, SaleScreen)
        assert "F12 Print" in screen_text(pilot) and "^O Drawer" in screen_text(pilot)

        # 1. a cash sale: the receipt prints, with the drawer pulse
        await sell_in_cash(pilot)
        assert first.wait_for_jobs(1)
        data = first.jobs[0]
        assert b"At\xa3n en aceite" in data and b"3,75 \xd5" in data and data.endswith(CUT + PULSE)
        assert [job.state for job in receipt_jobs()] == ["done"]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert "Printer" not in text_of(pilot, "#message")

        # 2. the printer is unplugged: the sale is paid, the job waits, the cashier is told
        first.stop()
        await sell_in_cash(pilot)
        orders = list(models.Order.select().where(models.Order.state == "paid").order_by(models.Order.id))
        assert len(orders) == 2
        waiting = receipt_jobs()[1]
        assert (waiting.order_id, waiting.state) == (orders[1].id, "pending")
        assert "refused the connection" in waiting.last_error
        assert await shows(pilot, "Printer")  # the notice, over the receipt
        assert any("refused the connection" in notice and "F12 prints it" in notice for notice in notices(app))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        message = text_of(pilot, "#message")
        assert f"Sale {orders[1].number} paid." in message and "F12 prints it" in message

        # 3. plugged in again (a new address): F12 prints what waited
        with PrinterEmulator() as second:
            printing.set_printer("T1", address=second.address)
            await pilot.press("f12")
            await settle(pilot)
            assert second.wait_for_jobs(1)
            assert orders[1].number.encode() in second.jobs[0] and PULSE in second.jobs[0]
            assert [job.state for job in receipt_jobs()] == ["done", "done"]
            assert app.printer_problem == ""
            assert text_of(pilot, "#message") == f"Printed: {orders[1].number}."

            # 4. F12 again, nothing waiting: a copy of the last receipt, no drawer
            await pilot.press("f12")
            await settle(pilot)
            assert second.wait_for_jobs(2)
            assert [job.state for job in receipt_jobs()] == ["done", "done", "done"]
            assert b"*** COPY ***" in second.jobs[1] and PULSE not in second.jobs[1]

            # 5. Ctrl+O opens the drawer once a manager approves (recorded)
            await pilot.press("ctrl+o")
            await pilot.pause()
            assert isinstance(app.screen, ManagerPinDialog)
            await type_text(pilot, "1234")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, SaleScreen)
            assert second.wait_for_jobs(3)
            assert second.jobs[2] == b"\x10\x04\x04" + PULSE
            assert models.Approval.get(models.Approval.action == "drawer").till == "T1"
            assert text_of(pilot, "#message") == "Drawer opened."
    first.stop()


async def test_f12_on_the_receipt_prints_it_again(open_till):
    with PrinterEmulator() as printer:
        printing.set_printer("T1", "network", printer.address)
        app = PosApp(till="T1")
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await login(pilot)
            await sell_in_cash(pilot)
            assert "F12 Print again" in screen_text(pilot)
            await pilot.press("f12")
            await settle(pilot)
            assert printer.wait_for_jobs(2)
            assert b"*** COPY ***" in printer.jobs[1] and PULSE not in printer.jobs[1]
            assert "Printed: T1-000001." in notices(app)


async def test_without_a_printer_the_till_is_as_it_was(open_till):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        assert "Print" not in screen_text(pilot) and "Drawer" not in screen_text(pilot)
        await pilot.press("f12", "ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        await sell_in_cash(pilot)
        assert "Print" not in screen_text(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert "Printer" not in screen_text(pilot)
    assert models.PrintJob.select().count() == 0
