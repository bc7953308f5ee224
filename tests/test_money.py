from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_tui.errors import ValidationError
from pos_tui.money import (
    format_money,
    format_plain,
    from_minor,
    line_amounts,
    order_totals,
    parse_amount,
    parse_minor,
    to_minor,
)


@pytest.mark.parametrize("text, expected", [
    ("12", Decimal("12")), ("12.5", Decimal("12.5")), ("12,50", Decimal("12.50")),
    (" 7 ", Decimal("7")), (".5", Decimal("0.5")), ("0", Decimal("0")), ("12.500", Decimal("12.500")),
])
def test_parse_amount_accepts_what_people_type(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text, fragment", [
    ("", "enter an amount"), ("-5", "negative"), ("abc", "not an amount"), ("1.2.3", "not an amount"),
    ("1e5", "not an amount"), ("12.345", "at most 2 decimals"), ("2000000", "too large"),
    ("NaN", "not an amount"),
])
def test_parse_amount_refuses_with_the_field_named(text, fragment):
    with pytest.raises(ValidationError) as info:
        parse_amount(text, field="tendered")
    assert list(info.value.errors) == ["tendered"]
    assert fragment in info.value.errors["tendered"]


def test_zero_refused_when_not_allowed():
    with pytest.raises(ValidationError):
        parse_amount("0", allow_zero=False)


def test_minor_units_round_half_up_and_respect_the_currency():
    assert to_minor(Decimal("0.005")) == 1
    assert to_minor(Decimal("0.004")) == 0
    assert parse_minor("1500", exp=0) == 1500  # e.g. CLP has no cents
    assert from_minor(1234, 2) == Decimal("12.34")
    with pytest.raises(ValidationError):
        parse_minor("12.5", exp=0)


def test_money_is_formatted_for_the_store_locale():
    assert format_money(123456, "EUR", "es_ES") == "1.234,56\xa0€"
    assert format_money(123456, "USD", "en_US") == "$1,234.56"
    assert format_money(123456, "MXN", "es_MX") == "$1,234.56"
    assert format_plain(430, 2, "es_ES") == "4,30"
    assert format_plain(430, 2, "en_US") == "4.30"


def test_tax_included_price_splits_into_net_and_tax():
    amounts = line_amounts(121, 1, 2100, True)
    assert (amounts.net_minor, amounts.tax_minor, amounts.total_minor) == (100, 21, 121)


def test_tax_excluded_price_adds_tax_rounded_half_up():
    amounts = line_amounts(1005, 1, 1000, False)  # 10.05 + 10 % = 11.055 -> 11.06
    assert (amounts.net_minor, amounts.tax_minor, amounts.total_minor) == (1005, 101, 1106)


def test_order_totals_break_down_per_rate():
    totals = order_totals([(2100, line_amounts(121, 2, 2100, True)),
                           (400, line_amounts(104, 1, 400, True)),
                           (2100, line_amounts(100, 1, 2100, False))])
    assert totals.total_minor == 242 + 104 + 121
    assert [(t.rate_bp, t.net_minor, t.tax_minor) for t in totals.taxes] == [
        (400, 100, 4), (2100, 300, 63)]
    assert totals.net_minor + totals.tax_minor == totals.total_minor


@given(price=st.integers(0, 10_000_000), qty=st.integers(1, 9999),
       rate=st.sampled_from([0, 400, 500, 1000, 1050, 1600, 2100]), included=st.booleans())
def test_a_line_always_adds_up_to_the_cent(price, qty, rate, included):
    amounts = line_amounts(price, qty, rate, included)
    assert amounts.net_minor + amounts.tax_minor == amounts.total_minor
    assert amounts.tax_minor >= 0
    if included:
        assert amounts.total_minor == price * qty
    else:
        assert amounts.net_minor == price * qty
    # the tax is the rate applied to the net, to within half a cent of the rounded amount
    r = Decimal(rate) / 10_000
    tolerance = Decimal("0.5") * (1 + r) if included else Decimal("0.5")
    assert abs(amounts.net_minor * r - amounts.tax_minor) <= tolerance
