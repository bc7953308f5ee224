"""The one tax engine with the catalog's taxes: weighed quantities, and several taxes on one line
(Spain's VAT with its equivalence surcharge), by line and by total rounding."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pos_tui.money import LINE, TOTAL, LineInput, compute_totals, line_amounts, split_tax

VAT_RE = (("IVA 21%", 2100), ("RE 5,2%", 520))


def test_a_weighed_line_rounds_the_price_once_then_takes_its_tax_out():
    # 0,750 kg × 3,20 €/kg = 2,40 € (tax included, 4 %): net = 2,40 / 1,04 = 2,3077 → 2,31; tax 0,09
    amounts = line_amounts(320, Decimal("0.750"), 400, True)
    assert (amounts.total_minor, amounts.net_minor, amounts.tax_minor) == (240, 231, 9)
    # 0,333 kg × 12,90 €/kg = 4,2957 → 4,30 €; net 4,30 / 1,04 = 4,1346 → 4,13; tax 0,17
    amounts = line_amounts(1290, Decimal("0.333"), 400, True)
    assert (amounts.total_minor, amounts.net_minor, amounts.tax_minor) == (430, 413, 17)


def test_vat_and_surcharge_are_taxed_on_the_same_base_and_shown_apart():
    # 10,00 € before tax at 21 % + 5,2 %: 2,10 + 0,52 = 2,62 of tax, 12,62 in all
    totals = compute_totals([LineInput(1000, 1, 2620, False, tax_parts=VAT_RE)])
    assert (totals.net_minor, totals.tax_minor, totals.total_minor) == (1000, 262, 1262)
    (group,) = totals.taxes
    assert (group.rate_bp, group.net_minor, group.tax_minor) == (2620, 1000, 262)
    assert [(p.name, p.rate_bp, p.tax_minor) for p in group.parts] == [("IVA 21%", 2100, 210), ("RE 5,2%", 520, 52)]


def test_a_price_with_vat_and_surcharge_included():
    # 12,62 € with 26,2 % included: net 12,62 / 1,262 = 10,00; tax 2,62 shared 21 : 5,2
    # IVA = 2,62 × 21 / 26,2 = 2,1000 → 2,10; RE = the rest, 0,52
    totals = compute_totals([LineInput(1262, 1, 2620, True, tax_parts=VAT_RE)])
    (group,) = totals.taxes
    assert (group.net_minor, group.tax_minor) == (1000, 262)
    assert [p.tax_minor for p in group.parts] == [210, 52]


def test_total_rounding_groups_lines_with_the_same_taxes():
    # three lines of 0,33 € before tax at 21 % + 5,2 %: 0,99 → tax 0,99 × 0,262 = 0,2594 → 0,26
    # (by line: 0,33 × 0,262 = 0,0865 → 0,09 each, 0,27)
    lines = [LineInput(33, 1, 2620, False, tax_parts=VAT_RE) for _ in range(3)]
    assert compute_totals(lines, TOTAL).tax_minor == 26
    assert compute_totals(lines, LINE).tax_minor == 27
    (group,) = compute_totals(lines, TOTAL).taxes
    # 0,26 × 21 / 26,2 = 0,2084 → 0,21; RE the rest, 0,05
    assert [p.tax_minor for p in group.parts] == [21, 5]


def test_a_line_with_one_tax_has_no_parts():
    totals = compute_totals([LineInput(121, 2, 2100, True), LineInput(1262, 1, 2620, True, tax_parts=VAT_RE)])
    assert [(t.rate_bp, bool(t.parts)) for t in totals.taxes] == [(2100, False), (2620, True)]


@given(st.integers(min_value=-10**9, max_value=10**9),
       st.lists(st.tuples(st.text(min_size=1, max_size=5), st.integers(min_value=0, max_value=3000)),
                min_size=2, max_size=4))
def test_the_parts_of_a_tax_always_add_up_to_it(tax_minor, parts):
    assert sum(p.tax_minor for p in split_tax(tax_minor, tuple(parts))) == tax_minor


@given(st.integers(min_value=1, max_value=100_000), st.decimals(min_value=Decimal("0.001"), max_value=Decimal("50"),
                                                                places=3),
       st.sampled_from([0, 400, 1000, 2100]), st.booleans())
def test_a_weighed_line_adds_up(price, weight, rate, included):
    amounts = line_amounts(price, weight, rate, included)
    assert amounts.net_minor + amounts.tax_minor == amounts.total_minor
    gross = Decimal(price) * weight
    assert abs((amounts.total_minor if included else amounts.net_minor) - gross) <= Decimal("0.5")
