import pytest
from peewee import IntegrityError

from pos_tui import models
from pos_tui.errors import StateError, ValidationError
from pos_tui.services import sales, sessions
from pos_tui.services.payments import Tender


def test_open_and_close_with_expected_counted_and_difference(open_till, ana):
    sale = sales.current_sale("T1", ana.id)
    sale, _ = sales.add_code(sale.id, "5*P001")  # 4.75
    sales.checkout(sale.uuid, [Tender("cash", 2000)])
    other = sales.current_sale("T1", ana.id)
    other, _ = sales.add_code(other.id, "P002")
    sales.checkout(other.uuid, [Tender("card", 80)])
    closed = sessions.close_session("T1", 10_400)
    assert closed.closed_at is not None
    assert closed.expected_cash_minor == 10_000 + 475
    assert closed.counted_cash_minor == 10_400
    assert closed.difference_minor == -75
    assert closed.totals_by_method == {"cash": 475, "card": 80}
    assert sessions.current_session("T1") is None


def test_one_open_session_per_till(open_till, ana):
    with pytest.raises(StateError, match="already has a session open"):
        sessions.open_session("T1", ana.id, 0)
    assert sessions.open_session("T2", ana.id, 0).till == "T2"


def test_the_database_itself_refuses_a_second_open_session(open_till, ana):
    with pytest.raises(IntegrityError):
        models.PosSession.create(till="T1", cashier=ana.id)


def test_closing_without_a_session_or_with_a_negative_count(shop, ana):
    with pytest.raises(StateError, match="no open session"):
        sessions.close_session("T1", 0)
    sessions.open_session("T1", ana.id, 0)
    with pytest.raises(ValidationError):
        sessions.close_session("T1", -1)


def test_bad_till_names_and_floats(shop, ana):
    with pytest.raises(ValidationError):
        sessions.open_session("", ana.id, 0)
    with pytest.raises(ValidationError):
        sessions.open_session("T\x07", ana.id, 0)
    with pytest.raises(ValidationError):
        sessions.open_session("T1", ana.id, -5)
    with pytest.raises(ValidationError):
        sessions.open_session("T1", 999, 0)
    assert models.PosSession.select().count() == 0
