"""Validators for customer identifiers: tax IDs, phones, emails, percentages, free text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos_tui.errors import ValidationError
from pos_tui.services import validation
from pos_tui.services.validation import Phone, TaxId


def refused(func, *args, **kwargs) -> tuple[str, str]:
    """The (field, message) a validator refuses with; the test fails if it accepts."""
    with pytest.raises(ValidationError) as info:
        func(*args, **kwargs)
    ((field, message),) = info.value.errors.items()
    return field, message


# Tax IDs: valid numbers per country, (typed, compact, formatted) ---------------------------------

VALID_TAX_IDS = {
    "ES": [
        ("54362315K", "54362315K", "54362315K"),          # DNI
        ("12345678z", "12345678Z", "12345678Z"),          # DNI, lower-case letter
        ("54.362.315-K", "54362315K", "54362315K"),       # DNI with dots and dash
        ("X-5253868-R", "X5253868R", "X5253868R"),        # NIE
        ("Y1234567X", "Y1234567X", "Y1234567X"),          # NIE
        ("B64717838", "B64717838", "B64717838"),          # CIF, company
        ("A28015865", "A28015865", "A28015865"),          # CIF, company
        ("Q2826000H", "Q2826000H", "Q2826000H"),          # CIF with a letter control
        ("K1234567L", "K1234567L", "K1234567L"),          # NIF K (Spanish under 14)
    ],
    "MX": [
        ("GODE 561231 GR8", "GODE561231GR8", "GODE 561231 GR8"),  # person
        ("MAB-930714-8T4", "MAB9307148T4", "MAB 930714 8T4"),     # company
    ],
    "CO": [
        ("213.123.432-1", "2131234321", "213.123.432-1"),
        ("899999068-1", "8999990681", "899.999.068-1"),
    ],
    "AR": [
        ("20-05536168-2", "20055361682", "20-05536168-2"),
        ("20267565393", "20267565393", "20-26756539-3"),
        ("30500010912", "30500010912", "30-50001091-2"),
    ],
    "CL": [
        ("76086428-5", "760864285", "76.086.428-5"),
        ("12.531.909-2", "125319092", "12.531.909-2"),
    ],
    "PE": [
        ("20512333797", "20512333797", "20512333797"),  # stdnum has no format() for RUC
        ("10054148289", "10054148289", "10054148289"),
    ],
}

INVALID_TAX_IDS = {
    # (typed, words the message must contain)
    "ES": [("54362315L", "check digit"), ("B64717839", "check digit"), ("X5253868A", "check digit"),
           ("5436231K", "number of characters")],
    "MX": [("GODE561331GR8", "cannot exist"),       # month 13
           ("GODE56123", "number of characters")],
    "CO": [("2131234325", "check digit"), ("1234567", "number of characters")],
    "AR": [("20267565392", "check digit"), ("2026756539", "number of characters")],
    "CL": [("12531909-3", "check digit"), ("1234", "number of characters")],
    "PE": [("20512333798", "check digit"), ("2051233379", "number of characters")],
}

KINDS = {"ES": "Spanish NIF/NIE/CIF", "MX": "Mexican RFC", "CO": "Colombian NIT",
         "AR": "Argentine CUIT", "CL": "Chilean RUT", "PE": "Peruvian RUC"}


@pytest.mark.parametrize(("country", "typed", "compact", "formatted"),
                         [(cc, *case) for cc, cases in VALID_TAX_IDS.items() for case in cases])
def test_tax_id_accepts_real_numbers(country, typed, compact, formatted):
    assert validation.tax_id(typed, country) == TaxId(compact, formatted, country, True, "")


@pytest.mark.parametrize(("country", "typed", "words"),
                         [(cc, *case) for cc, cases in INVALID_TAX_IDS.items() for case in cases])
def test_tax_id_refuses_bad_numbers_naming_the_kind(country, typed, words):
    field, message = refused(validation.tax_id, typed, country, "vat_number")
    assert field == "vat_number"
    assert f"is not a valid {KINDS[country]}" in message
    assert words in message


def test_tax_id_country_is_case_insensitive():
    assert validation.tax_id("54362315K", "es").country == "ES"


def test_mexican_rfc_with_wrong_check_digits_is_kept_with_a_warning():
    # stdnum does not check RFC check digits by default (many RFCs in use fail them)
    tax = validation.tax_id("VACE-460910-SX6", "MX")
    assert (tax.compact, tax.formatted, tax.known) == ("VACE460910SX6", "VACE 460910 SX6", True)
    assert "check digits" in tax.warning


def test_empty_tax_id():
    assert validation.tax_id("", "ES") == TaxId("", "", "ES", True, "")
    assert validation.tax_id(None, "MX") == TaxId("", "", "MX", True, "")
    assert validation.tax_id("   ", "") == TaxId("", "", "", True, "")


@pytest.mark.parametrize("store_country", ["ES", "MX", "DE", "AQ", ""])
@pytest.mark.parametrize(("typed", "compact", "country"), [
    ("DE136695976", "DE136695976", "DE"),
    ("DE 136 695 976", "DE136695976", "DE"),
    ("ESB46020376", "ESB46020376", "ES"),
    ("FR 40 303 265 045", "FR40303265045", "FR"),
    ("EL094259216", "EL094259216", "GR"),
])
def test_eu_vat_with_prefix_whatever_the_country(store_country, typed, compact, country):
    assert validation.tax_id(typed, store_country) == TaxId(compact, compact, country, True, "")


def test_bad_eu_vat_number_is_refused_where_a_rule_exists():
    field, message = refused(validation.tax_id, "DE136695975", "ES")
    assert field == "tax_id"
    assert "Spanish NIF/NIE/CIF" in message and "EU VAT number (DE)" in message
    # its own country's prefix: its own country's refusal, with the reason
    _, message = refused(validation.tax_id, "ESB46020377", "ES")
    assert "Spanish NIF/NIE/CIF" in message and "check digit" in message


def test_other_countries_stdnum_knows_are_checked_generically():
    us = validation.tax_id("123 45 6789", "US")  # found as stdnum.us.tin
    assert us == TaxId("123456789", "123-45-6789", "US", True, "")
    _, message = refused(validation.tax_id, "1234", "DE")
    assert "tax ID for DE" in message and "number of characters" in message
    # Italy and Brazil take personal as well as company numbers
    assert validation.tax_id("RCCMNL83S18D969H", "IT").compact == "RCCMNL83S18D969H"
    assert validation.tax_id("00743110157", "IT").compact == "00743110157"
    assert validation.tax_id("390.533.447-05", "BR").formatted == "390.533.447-05"
    assert validation.tax_id("16.727.230/0001-97", "BR").compact == "16727230000197"
    _, message = refused(validation.tax_id, "390.533.447-06", "BR")
    assert "check digit" in message


def test_unknown_country_keeps_the_text_with_a_visible_warning():
    tax = validation.tax_id("  ab-123/x ", "AQ")
    assert (tax.compact, tax.formatted, tax.country, tax.known) == ("AB-123/X", "AB-123/X", "AQ", False)
    assert "not checked" in tax.warning and "AQ" in tax.warning
    no_country = validation.tax_id("12345", "")
    assert not no_country.known and no_country.compact == "12345" and "not checked" in no_country.warning
    nowhere = validation.tax_id("12345", "XX")
    assert not nowhere.known and "XX" in nowhere.warning


def test_unknown_country_still_refuses_control_characters_and_long_text():
    assert refused(validation.tax_id, "12\x0045", "AQ")[1] == "must not contain control characters"
    assert "too long" in refused(validation.tax_id, "9" * 41, "AQ")[1]


# Phones ------------------------------------------------------------------------------------------

def test_spanish_mobile_in_a_spanish_store():
    assert validation.phone(" 612 345 678 ", "ES") == Phone("612 345 678", "+34612345678")


@pytest.mark.parametrize("typed", ["+52 55 1234 5678", "0052 55 1234 5678"])
def test_foreign_number_with_its_country_code(typed):
    assert validation.phone(typed, "ES") == Phone(typed, "+525512345678")
    assert validation.phone(typed, "US").e164 == "+525512345678"  # 00 works even where it dials 011


def test_invalid_phone_is_refused_naming_the_field_and_country():
    field, message = refused(validation.phone, "12345", "ES", "mobile")
    assert field == "mobile"
    assert "not a valid phone number" in message and "+34" in message
    _, message = refused(validation.phone, "+52 55 1234", "ES")
    assert "+52" in message and "MX" in message
    _, message = refused(validation.phone, "612345678", "")
    assert "country code" in message


def test_empty_phone_and_digits():
    assert validation.phone("", "ES") == Phone("", "")
    assert validation.phone(None, "ES") == Phone("", "")
    assert validation.phone_digits("+34 (612) 345-678") == "34612345678"
    assert validation.phone_digits("") == ""


# Emails ------------------------------------------------------------------------------------------

def test_email_is_normalized():
    assert validation.email("  Ana.Garcia@Example.COM ") == "Ana.Garcia@example.com"
    assert validation.email("") == ""
    assert validation.email(None) == ""


@pytest.mark.parametrize(("typed", "words"), [
    ("ana", "@"),
    ("ana@", "@"),
    ("@example.com", "@"),
    ("ana@example", "domain"),
    ("ana..garcia@example.com", "dot"),
    ("ana garcia@example.com", "characters"),
])
def test_email_refused_with_a_short_reason(typed, words):
    field, message = refused(validation.email, typed, "contact")
    assert field == "contact"
    assert message.startswith("is not a valid email address")
    assert words in message
    assert "The email address" not in message  # not the library's long sentence


# Percent and whole numbers -----------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "points"), [
    ("5", 500), ("12,5", 1250), ("12.5", 1250), ("0", 0), ("", 0), (None, 0), ("  7.25 ", 725),
    ("100", 10000), ("0,01", 1), ("5 %", 500), (3, 300), ("12.50", 1250),
])
def test_percent_in_basis_points(typed, points):
    assert validation.percent(typed, "discount") == points


@pytest.mark.parametrize(("typed", "words"), [
    ("-5", "negative"), ("100.01", "at most 100"), ("1,234", "2 decimals"), ("abc", "number"),
    ("1e2", "number"), ("5,5,5", "number"), ("nan", "number"), ("Infinity", "number"),
])
def test_percent_refusals(typed, words):
    field, message = refused(validation.percent, typed, "discount")
    assert field == "discount" and words in message


def test_percent_maximum():
    assert validation.percent("30", "discount", maximum=30) == 3000
    assert "at most 30" in refused(validation.percent, "30.5", "discount", maximum=30)[1]


@pytest.mark.parametrize(("typed", "number"),
                         [("30", 30), (" 0 ", 0), ("", 0), (None, 0), ("007", 7), (45, 45)])
def test_whole_number(typed, number):
    assert validation.whole_number(typed, "terms", maximum=365) == number


@pytest.mark.parametrize(("typed", "words"), [
    ("-1", "negative"), ("366", "at most 365"), ("3.5", "whole number"), ("30 days", "whole number"),
    ("9" * 40, "too long"), (True, "whole number"),
])
def test_whole_number_refusals(typed, words):
    field, message = refused(validation.whole_number, typed, "terms", maximum=365)
    assert field == "terms" and words in message


def test_whole_number_minimum():
    assert "at least 1" in refused(validation.whole_number, "0", "copies", minimum=1)[1]


# Card numbers and free text ----------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "found"), [
    ("4111 1111 1111 1111", True),                    # Luhn-valid, with spaces
    ("paid with 4000-0566-5566-5556 yesterday", True),  # with dashes, inside a sentence
    ("4111111111111111", True),
    ("1234 5678 9012 3456", False),                   # 16 digits, not Luhn-valid
    ("+34 612 345 678", False),                       # a phone number
    ("order 20240115 for 3 boxes", False),
    ("", False),
])
def test_contains_card_number(typed, found):
    assert validation.contains_card_number(typed) is found


def test_free_text_allows_lines_and_tabs():
    assert validation.free_text(" Deliver after 5pm\r\n\tring twice ", "notes", 100) == \
        "Deliver after 5pm\n\tring twice"
    assert validation.free_text(None, "notes", 100) == ""


def test_free_text_refusals():
    assert refused(validation.free_text, "card 4111 1111 1111 1111", "notes", 100) == \
        ("notes", "must not contain a card number")
    assert refused(validation.free_text, "bell\x07", "notes", 100) == \
        ("notes", "must not contain control characters")
    assert "too long" in refused(validation.free_text, "x" * 11, "notes", 10)[1]
    assert refused(validation.free_text, "  ", "notes", 10, required=True) == ("notes", "is required")


def test_text_still_refuses_control_characters():
    assert refused(validation.text, "a\nb", "name", max_length=10)[1] == "must not contain control characters"


# Any text: a value or a ValidationError, never another exception ---------------------------------

COUNTRIES = st.sampled_from(["ES", "MX", "CO", "AR", "CL", "PE", "IT", "BR", "US", "DE", "FR", "AQ", ""])


@settings(max_examples=300, deadline=None)
@given(value=st.text(), country=COUNTRIES)
def test_any_text_tax_id_and_phone_never_crash(value, country):
    for validator in (validation.tax_id, validation.phone):
        try:
            validator(value, country)
        except ValidationError:
            pass


@settings(max_examples=300, deadline=None)
@given(value=st.text())
def test_any_text_email_never_crashes(value):
    try:
        assert isinstance(validation.email(value), str)
    except ValidationError:
        pass
