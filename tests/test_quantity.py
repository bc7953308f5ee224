"""Quantities by unit of measure: whole Units, kg and L to 3 decimals, read and written the same way
by the till, the CLI and the imports."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_tui import quantity
from pos_tui.errors import ValidationError


@pytest.mark.parametrize(("typed", "uom", "expected"), [
    ("3", "Units", Decimal("3")),
    ("0,750", "kg", Decimal("0.750")),
    ("0.75", "kg", Decimal("0.750")),
    (",5", "L", Decimal("0.500")),
    ("1.5", "m", Decimal("1.500")),
    ("250", "g", Decimal("250")),
])
def test_a_typed_quantity_is_read_in_its_units_precision(typed, uom, expected):
    value = quantity.parse(typed, uom)
    assert value == expected and value.as_tuple().exponent == -quantity.decimals(uom)


@pytest.mark.parametrize(("typed", "uom", "message"), [
    ("1.5", "Units", "whole numbers"),
    ("0,7505", "kg", "at most 3 decimals"),
    ("-1", "kg", "must not be negative"),
    ("0", "Units", "more than zero"),
    ("abc", "kg", "is not a quantity"),
    ("", "kg", "enter a quantity"),
    ("10000", "Units", "at most 9999"),
])
def test_a_wrong_quantity_names_the_field_and_the_problem(typed, uom, message):
    with pytest.raises(ValidationError) as caught:
        quantity.parse(typed, uom, "weight")
    assert list(caught.value.errors) == ["weight"] and message in caught.value.errors["weight"]


@pytest.mark.parametrize(("name", "expected"), [
    ("Units", "Units"), ("Unit(s)", "Units"), ("units", "Units"), ("", "Units"), ("kg", "kg"),
    ("Kilogram", "kg"), ("Litre(s)", "L"), ("mL", "mL"), ("gramos", "g"), ("m", "m")])
def test_units_are_read_by_their_usual_names(name, expected):
    assert quantity.unit(name) == expected


def test_an_unknown_unit_is_refused_with_the_units_there_are():
    with pytest.raises(ValidationError) as caught:
        quantity.unit("bushel")
    assert "“bushel” is not a unit of measure" in caught.value.errors["unit"]
    assert "kg" in caught.value.errors["unit"]


def test_quantities_are_written_for_people_and_for_files():
    assert quantity.format_quantity(Decimal("0.75"), "kg", "es_ES") == "0,750 kg"
    assert quantity.format_quantity(Decimal("1234.5"), "kg", "en_US") == "1,234.500 kg"
    assert quantity.format_quantity(Decimal("3"), "Units", "es_ES") == "3"
    assert quantity.format_quantity(Decimal("250"), "g", "es_ES") == "250 g"
    assert quantity.plain(Decimal("0.750")) == "0.75" and quantity.plain(Decimal("3.000")) == "3"
    assert quantity.json_value(Decimal("3.000")) == 3 and quantity.json_value(Decimal("0.750")) == "0.75"


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal("9999"), places=3))
def test_what_is_written_reads_back_the_same(value):
    assert quantity.parse(quantity.plain(value), "kg") == value
    assert quantity.parse(quantity.format_quantity(value, "kg", "es_ES").removesuffix(" kg").replace(".", ""),
                          "kg") == value
