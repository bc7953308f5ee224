"""The stock ledger: moves written in the transaction of what causes them (checkout, refund, void,
receipt, adjustment, count), never twice; untracked products without moves; selling below zero
allowed and flagged, or refused; the report's figures; `pos db check` agreeing with the ledger and
catching a broken one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pos_tui import models
from pos_tui.errors import NotFound, ValidationError
from pos_tui.services import backup, events, refunds, sales, stock, store
from pos_tui.services.payments import Tender

MILK, BREAD, APPLES = "P001", "P002", "P041"  # Units, Units, kg


@pytest.fixture
def sale(open_till, ana):
    return sales.current_sale("T1", ana.id)


def pid(ref: str) -> int:
    return models.Product.get(models.Product.sku == ref).id


def have(ref: str) -> Decimal:
    return stock.on_hand([pid(ref)])[pid(ref)]


def moves_of(ref: str) -> list[tuple[str, Decimal]]:
    M = models.StockMove
    return [(m.kind, Decimal(m.quantity)) for m in M.select().where(M.product == pid(ref)).order_by(M.id)]


def pay(sale_id: int, ana) -> int:
    view = sales.get_sale(sale_id)
    return sales.checkout(view.uuid, [Tender("card", view.total_minor)], cashier_id=ana.id).order_id


def sell(ana, *items: tuple[str, object]) -> int:
    view = sales.current_sale("T1", ana.id)
    for ref, qty in items:
        sales.add_product(view.id, pid(ref), Decimal(str(qty)))
    return pay(view.id, ana)


def test_a_checkout_moves_each_tracked_line_out_once(sale, ana):
    stock.receive(MILK, "10")
    sales.add_product(sale.id, pid(MILK), 3)
    sales.add_product(sale.id, pid(APPLES), Decimal("0.750"))
    order_id = pay(sale.id, ana)
    assert have(MILK) == 7 and have(APPLES) == Decimal("-0.750")
    M = models.StockMove
    moved = list(M.select().where(M.order == order_id).order_by(M.id))
    assert [(m.kind, Decimal(m.quantity), m.cashier_id, m.till) for m in moved] == [
        ("sale", Decimal(-3), ana.id, "T1"), ("sale", Decimal("-0.750"), ana.id, "T1")]
    # Retried: nothing paid twice, nothing moved twice.
    sales.checkout(sales.get_sale(sale.id).uuid, [Tender("card", 10_000)])
    assert M.select().where(M.order == order_id).count() == 2
    # Each move is on the change feed.
    told = [e for e in events.after(0) if e.kind == stock.STOCK_MOVED]
    assert [(e.payload["reference"], e.payload["kind"], e.payload["quantity"]) for e in told] == [
        (MILK, "receipt", "10"), (MILK, "sale", "-3"), (APPLES, "sale", "-0.75")]


def test_a_failed_checkout_leaves_no_move(sale, ana, monkeypatch):
    sales.add_product(sale.id, pid(MILK), 2)

    def broken(order_id):
        raise RuntimeError("the disk is gone")

    monkeypatch.setattr(sales, "get_receipt", broken)  # after the moves, inside the transaction
    with pytest.raises(RuntimeError):
        pay(sale.id, ana)
    assert models.StockMove.select().count() == 0
    assert models.Order.get_by_id(sale.id).state == "draft" and models.Payment.select().count() == 0
    assert [e for e in events.after(0) if e.kind in (stock.STOCK_MOVED, events.SALE_PAID)] == []


def test_refund_and_void_put_stock_back(sale, ana):
    stock.receive(MILK, "10")
    first = sell(ana, (MILK, 4), (BREAD, 1))
    back = refunds.refund(first, {refunds.refundable(first).lines[0].line_id: 1}, "T1", ana.id)
    assert have(MILK) == 7
    M = models.StockMove
    assert [(m.kind, Decimal(m.quantity)) for m in M.select().where(M.order == back.order_id)] == [
        ("refund", Decimal(1))]
    second = sell(ana, (MILK, 2))
    assert have(MILK) == 5
    sales.void_paid(second, ana.id, "1234")
    assert have(MILK) == 7
    assert moves_of(MILK)[-2:] == [("sale", Decimal(-2)), ("void", Decimal(2))]
    assert stock.check_ledger() == []


def test_products_not_tracked_have_no_moves(sale, ana):
    models.Product.update(track_stock=False).where(models.Product.sku == BREAD).execute()
    sell(ana, (BREAD, 2), (MILK, 1))
    assert moves_of(BREAD) == [] and moves_of(MILK) == [("sale", Decimal(-1))]
    with pytest.raises(ValidationError) as info:
        stock.receive(BREAD, "3")
    assert "not tracked in stock" in info.value.errors["reference"]
    assert BREAD not in [line.sku for line in stock.report().lines]


def test_selling_below_zero_is_allowed_and_flagged_by_default(sale, ana):
    stock.receive(MILK, "1")
    sell(ana, (MILK, 3))
    line = next(line for line in stock.report().lines if line.sku == MILK)
    assert line.on_hand == -2 and line.below_zero and line.low
    assert [x.sku for x in stock.report(low=True).lines] == [MILK]


def test_a_store_that_refuses_negative_stock_says_what_is_on_hand(sale, ana):
    store.update_settings(negative_stock="refuse")
    assert store.get_settings().allow_negative_stock is False
    stock.receive(MILK, "2")
    sale, line_id = sales.add_product(sale.id, pid(MILK), 2)
    with pytest.raises(ValidationError) as info:
        sales.add_product(sale.id, pid(MILK), 1)  # the same line raised past what is there
    message = info.value.errors["quantity"]
    assert "only 2 of Leche entera 1 L (P001) on hand" in message
    with pytest.raises(ValidationError):
        sales.set_quantity(sale.id, line_id, 5)
    assert sales.set_quantity(sale.id, line_id, 1).lines[0].quantity == 1  # lowering is always fine
    with pytest.raises(ValidationError) as info:
        sales.add_product(sale.id, pid(APPLES), Decimal("0.5"))
    assert "only 0 kg of Manzanas golden" in info.value.errors["quantity"]
    # Checked again at checkout: someone else sold the last one meanwhile.
    stock.adjust(MILK, "-2", reason="broken")
    with pytest.raises(ValidationError) as info:
        pay(sale.id, ana)
    assert "only 0 of Leche entera 1 L" in info.value.errors["quantity"]
    assert models.Order.get_by_id(sale.id).state == "draft"
    assert [k for k, _q in moves_of(MILK)] == ["receipt", "adjustment"]
    with pytest.raises(ValidationError) as info:
        store.update_settings(negative_stock="sometimes")
    assert "allow, refuse" in info.value.errors["negative_stock"]


def test_receive_and_adjust_follow_the_unit_and_name_the_field(shop, ana):
    move = stock.receive(APPLES, "2,500", cost="1,10", reason="Frutas García", cashier="Ana")
    assert (move.quantity, move.balance, move.unit_cost_minor, move.cashier, move.reason) == (
        Decimal("2.500"), Decimal("2.500"), 110, "Ana", "Frutas García")
    assert stock.adjust(APPLES, "-0,125", reason="bruised").balance == Decimal("2.375")
    assert stock.adjust(MILK, "+3", reason="found").balance == 3
    for call, field in ((lambda: stock.receive(MILK, "1,5"), "quantity"),
                        (lambda: stock.receive(MILK, "0"), "quantity"),
                        (lambda: stock.receive(APPLES, "1,2345"), "quantity"),
                        (lambda: stock.receive(MILK, "2", cost="abc"), "cost"),
                        (lambda: stock.receive(MILK, "2", cashier="Nobody"), "cashier"),
                        (lambda: stock.adjust(MILK, "-2", reason=""), "reason"),
                        (lambda: stock.adjust(MILK, "-2", reason="bad\x1b[31m"), "reason")):
        with pytest.raises(ValidationError) as info:
            call()
        assert field in info.value.errors
    with pytest.raises(NotFound):
        stock.receive("NOPE", "1")
    assert moves_of(MILK) == [("adjustment", Decimal(3))]


def test_a_count_writes_the_differences_and_refuses_bad_rows(shop, tmp_path):
    stock.receive(MILK, "10")
    stock.receive(APPLES, "2.5")
    good = tmp_path / "count.csv"
    good.write_text("reference,counted\nP001,8\np041,\"2,600\"\nP002,0\n")
    preview = stock.preview_count(good)
    assert [(c.sku, c.on_hand, c.counted, c.difference) for c in preview.changes] == [
        (MILK, 10, 8, -2), (APPLES, Decimal("2.5"), Decimal("2.6"), Decimal("0.1"))]
    assert not preview.applied and models.StockMove.select().count() == 2
    applied = stock.apply_count(good, cashier="Ana")
    assert applied.applied and have(MILK) == 8 and have(APPLES) == Decimal("2.6") and have(BREAD) == 0
    assert moves_of(MILK)[-1] == ("count", Decimal(-2))
    assert stock.preview_count(good).changes == ()  # counted again: nothing left to change
    bad = tmp_path / "bad.csv"
    bad.write_text("reference,counted\nP001,1.5\nNOPE,2\nP002,3\nP002,4\nP041,-1\n")
    with pytest.raises(ValidationError) as info:
        stock.apply_count(bad)
    assert set(info.value.errors) == {"row 2, counted", "row 3, reference", "row 5, reference", "row 6, counted"}
    assert models.StockMove.select().count() == 4
    (tmp_path / "nohead.csv").write_text("ref,qty\nP001,1\n")
    with pytest.raises(ValidationError) as info:
        stock.preview_count(tmp_path / "nohead.csv")
    assert "counted" in info.value.errors["file"]


def test_the_report_figures_by_hand(sale, ana):
    P = models.Product
    P.update(cost_minor=60, reorder_point=5).where(P.sku == MILK).execute()
    P.update(cost_minor=150, reorder_point=Decimal("1.5")).where(P.sku == APPLES).execute()
    P.update(cost_minor=33).where(P.sku == BREAD).execute()
    stock.receive(MILK, "12")
    stock.receive(APPLES, "3.333")
    sell(ana, (MILK, 7), (APPLES, Decimal("1.900")), (BREAD, 2))
    lines = {line.sku: line for line in stock.report().lines}
    milk, apples, bread = lines[MILK], lines[APPLES], lines[BREAD]
    assert (milk.on_hand, milk.value_minor, milk.low, milk.below_zero) == (5, 300, True, False)  # 5 × 0,60
    # 1,433 kg × 1,50 = 2,1495 → 2,15
    assert (apples.on_hand, apples.value_minor, apples.low) == (Decimal("1.433"), 215, True)
    assert (bread.on_hand, bread.value_minor, bread.below_zero) == (-2, -66, True)
    report = stock.report()
    assert report.value_minor == sum(line.value_minor for line in report.lines)
    assert report.below_zero == 1 and report.low == 3
    assert {line.sku for line in stock.report(low=True).lines} == {MILK, APPLES, BREAD}
    category = milk.category.split(" / ")[0]
    assert all(line.category.startswith(category) for line in stock.report(category=category).lines)
    assert MILK in [line.sku for line in stock.report(category=milk.category).lines]
    assert stock.report(category="No such").lines == []


def test_db_check_agrees_and_catches_a_broken_ledger(sale, ana):
    stock.receive(MILK, "5")
    order_id = sell(ana, (MILK, 2), (BREAD, 1))
    assert all(f.ok for f in backup.check())
    M, L, P = models.StockMove, models.OrderLine, models.Product
    line = L.get((L.order == order_id) & (L.sku == MILK))
    M.update(quantity=-1).where(M.line == line.id).execute()  # a move with the wrong quantity
    M.delete().where((M.order == order_id) & (M.product == pid(BREAD))).execute()  # a move lost
    P.update(track_stock=False).where(P.sku == "P003").execute()
    M.create(product=pid("P003"), kind="adjustment", quantity=1, reason="?")  # a service that moved
    P.update(tax_rate_bp=999).where(P.sku == "P004").execute()
    found = {f.check: f.problems for f in backup.check()}
    order = models.Order.get_by_id(order_id).number
    assert found["stock"] == [
        f"{order} line {line.id} (P001): the sale move is -1, the line says 2",
        f"{order} line {line.id + 1} (P002): no sale move in the stock ledger",
        "P003: not tracked in stock, yet 1 moves in the ledger"]
    assert found["product_taxes"] == ["P004: its stored rate is not the sum of its taxes"]


def test_an_upgraded_database_gets_the_moves_of_its_past_sales(sale, ana):
    first = sell(ana, (MILK, 3), (APPLES, "0.5"))
    refunds.refund(first, {refunds.refundable(first).lines[0].line_id: 1}, "T1", ana.id)
    voided = sell(ana, (MILK, 1))
    sales.void_paid(voided, ana.id, "1234")
    expected = sorted(moves_of(MILK)), moves_of(APPLES)
    models.StockMove.delete().execute()  # as a schema-1 database had none
    assert stock.check_ledger() != []
    assert stock.backfill_ledger() == 5 and stock.backfill_ledger() == 0
    assert (sorted(moves_of(MILK)), moves_of(APPLES)) == expected and stock.check_ledger() == []
