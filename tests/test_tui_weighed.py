"""Weighed goods at the till, by keyboard at 80×24: a scale's label, a weight asked for, F6 with
decimals, F3 on a weighed product, and part of a weight refunded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pos_tui import models
from pos_tui.app import PosApp
from pos_tui.screens.dialogs import AskDialog
from pos_tui.screens.receipt import ReceiptScreen
from pos_tui.screens.refund import RefundScreen
from pos_tui.screens.sale import SaleScreen
from pos_tui.services import catalog, sales
from pos_tui.services.payments import Tender
from tests.test_tui_flow import login
from tests.test_tui_tills import scan
from tests.tui_helpers import screen_text, settle, type_text

APPLES = "P041"  # Manzanas golden, by the kg, IVA 4 % included; 3,20 €/kg in these tests


@pytest.fixture
def apples(open_till, ana):
    return catalog.update_product(APPLES, {"price": "3,20"}, ana.id)


def lines_of(order_id: int) -> list[tuple[str, Decimal]]:
    L = models.OrderLine
    return [(line.sku, line.quantity) for line in L.select().where(L.order == order_id).order_by(L.id)]


def fits(pilot) -> None:
    """Nothing drawn past 80 columns or 24 rows."""
    rows = screen_text(pilot).split("\n")
    assert len(rows) <= 24 and all(len(row.rstrip()) <= 80 for row in rows)


async def test_a_scale_label_adds_its_weight(apples):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await scan(pilot, "2100001007508")  # 0,750 kg of P041
        text = screen_text(pilot)
        assert "Manzanas golden" in text and "0,750 kg" in text and "× 3,20 €/kg" in text and "2,40 €" in text
        assert "TOTAL 2,40 €" in text and "1 item" in text
        fits(pilot)
        await scan(pilot, "2100001007503")  # misread: wrong check digit
        assert "check digit" in screen_text(pilot) and "should be 8" in screen_text(pilot)
        sale_id = app.screen.sale.id
    assert lines_of(sale_id) == [(APPLES, Decimal("0.750"))]


async def test_a_weighed_product_without_a_weight_asks_it(apples):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await scan(pilot, "P041")
        assert isinstance(app.screen, AskDialog)
        assert "Weight (kg)" in screen_text(pilot) and "3,20 €/kg" in screen_text(pilot)
        await type_text(pilot, "0,7505")  # a tenth of a gram: refused, the dialog stays
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AskDialog) and "at most 3 decimals" in screen_text(pilot)
        await type_text(pilot, "0,750")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        text = screen_text(pilot)
        assert "0,750 kg" in text and "× 3,20 €/kg" in text and "TOTAL 2,40 €" in text
        assert "Added: Manzanas golden × 0,750 kg" in text
        fits(pilot)

        # `0,750*P041` typed in the input adds it at once; Esc in the weight dialog adds nothing
        await scan(pilot, "0,5*P041")
        assert "0,500 kg" in screen_text(pilot)
        await scan(pilot, "P041")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)

        # F6 on a weighed line takes decimals; on a line of Units, whole numbers only
        await pilot.press("up")  # the first line (0,750 kg): the cursor sits on the last one
        await pilot.press("f6")
        await pilot.pause()
        assert "Quantity (kg)" in screen_text(pilot) and app.screen.query_one("#answer").value == "0,750"
        await type_text(pilot, "1.25")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen) and "1,250 kg" in screen_text(pilot)
        await scan(pilot, "8412345000010")  # milk
        await pilot.press("f6")
        await pilot.pause()
        await type_text(pilot, "1,5")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AskDialog) and "whole numbers" in screen_text(pilot)
        await pilot.press("escape")
        await pilot.pause()
        sale_id = app.screen.sale.id
    assert lines_of(sale_id) == [(APPLES, Decimal("1.250")), (APPLES, Decimal("0.500")), ("P001", 1)]


async def test_f3_on_a_weighed_product_asks_the_weight(apples):
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await type_text(pilot, "manzanas")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AskDialog) and "Weight (kg)" in screen_text(pilot)
        await type_text(pilot, "1,2")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert "1,200 kg" in screen_text(pilot) and "TOTAL 3,84 €" in screen_text(pilot)  # 1,2 × 3,20
        sale_id = app.screen.sale.id
    assert lines_of(sale_id) == [(APPLES, Decimal("1.200"))]


async def test_refund_part_of_a_weight_by_keyboard(apples, ana):
    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, "2100001007508")  # 0,750 kg: 2,40
    sales.add_code(sale.id, "2*8412345000010")  # 2 × 0,95
    receipt = sales.checkout(sale.uuid, [Tender("card", 240 + 190)])
    app = PosApp(till="T1")
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await scan(pilot, receipt.number)
        assert isinstance(app.screen, RefundScreen)
        assert "0,750 kg" in screen_text(pilot)
        fits(pilot)
        await pilot.press("right")  # a weighed line: the arrow asks how much comes back
        await pilot.pause()
        assert isinstance(app.screen, AskDialog) and "at most 0,750 kg" in screen_text(pilot)
        await type_text(pilot, "0,8")  # more than was sold
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AskDialog) and "at most 0,750 kg can come back" in screen_text(pilot)
        await type_text(pilot, "0,250")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RefundScreen)
        assert "0,250 kg" in screen_text(pilot) and "about 0,80 €" in screen_text(pilot)  # 0,250 × 3,20
        await pilot.press("down", "right")  # milk: Units keep one more with →
        await pilot.pause()
        assert "about 1,75 €" in screen_text(pilot)
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ReceiptScreen)
        text = screen_text(pilot)
        assert "-0,250 kg x 3,20 €/kg" in text and "-1 x 0,95 €" in text
    back = models.Order.get(models.Order.kind == "refund")
    assert back.total_minor == -(80 + 95)
    assert sorted(lines_of(back.id)) == [("P001", -1), (APPLES, Decimal("-0.250"))]
