"""The till in a real pseudo-terminal: 16 colours when that is all the terminal has."""

from __future__ import annotations

import re

import pytest

from pos_tui import db
from pos_tui.services import cashiers, demo, sessions
from tests.pty_till import ENTER, F2, PtyTill
from tests.targets import new_store

RICH_COLOURS = re.compile(rb"\x1b\[[0-9;]*[34]8;[25];")  # 256-colour or true-colour SGR


@pytest.fixture
def shop_file(tmp_path):
    path = new_store(tmp_path, "shop")
    db.open_database(str(path))
    demo.load_demo()
    sessions.open_session("T1", cashiers.find_cashier("Ana").id, 0)
    db.close_database()
    return path


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_sixteen_colours_only_when_the_terminal_has_sixteen(shop_file, size):
    till = PtyTill(shop_file, size=size, env={"TERM": "xterm", "TEXTUAL_COLOR_SYSTEM": "standard",
                                              "COLORTERM": ""})
    try:
        till.start()
        till.type("1234" + ENTER)
        till.wait_for_text("TOTAL")
        till.type("P001" + ENTER)
        till.wait_for_text("Leche entera")
        assert not RICH_COLOURS.search(bytes(till.output))
        assert re.search(rb"\x1b\[[0-9;]*(3[0-7]|9[0-7]|4[0-7]|10[0-7])[;m]", bytes(till.output))
    finally:
        till.close()


def test_a_capable_terminal_gets_its_colours(shop_file):
    till = PtyTill(shop_file, env={"TERM": "xterm-256color", "COLORTERM": "truecolor"})
    try:
        till.start()
        assert RICH_COLOURS.search(bytes(till.output))
    finally:
        till.close()


def test_a_scanner_burst_is_read_whole(shop_file):
    """A barcode scanner (or a fast typist over SSH) sends the code and Enter in one burst: the
    till must add the product, and a customer name typed with Enter at once picks that customer."""
    till = PtyTill(shop_file)
    try:
        till.start()
        till.type("1234" + ENTER)  # the PIN and Enter together
        till.wait_for_text("TOTAL")
        for code in ("8412345000010", "3*P002", "8412345000010"):
            till.type(code + ENTER, pause=0.05)
        till.type(F2, pause=0.5)  # the customer picker opens
        till.type("ximena" + ENTER)  # typed and picked before the search could answer
        till.wait_for_text("Customer set: Ximena")
    finally:
        till.close()
    db.open_database(str(shop_file))
    from pos_tui import models

    order = models.Order.get(models.Order.state == "draft")
    assert [(line.sku, line.quantity) for line in order.lines.order_by(models.OrderLine.id)] == [
        ("P001", 2), ("P002", 3)]
    assert order.customer.name == "Ximena Hernández Ávila"
