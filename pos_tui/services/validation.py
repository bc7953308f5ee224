"""Field validators shared by the till's forms, the CLI and CSV import.

Each returns the cleaned value or raises `ValidationError` naming the field and the problem.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import phonenumbers
from babel import Locale
from babel.numbers import list_currencies
from email_validator import EmailNotValidError, validate_email
from stdnum import exceptions as stdnum_errors
from stdnum import luhn
from stdnum.ar import cuit as ar_cuit
from stdnum.br import cnpj as br_cnpj
from stdnum.br import cpf as br_cpf
from stdnum.cl import rut as cl_rut
from stdnum.co import nit as co_nit
from stdnum.es import nif as es_nif
from stdnum.eu import vat as eu_vat
from stdnum.it import codicefiscale as it_codicefiscale
from stdnum.mx import rfc as mx_rfc
from stdnum.pe import ruc as pe_ruc
from stdnum.ua import edrpou as ua_edrpou
from stdnum.ua import rntrc as ua_rntrc
from stdnum.util import clean as stdnum_clean
from stdnum.util import get_cc_module, get_module_name

from pos_tui.errors import ValidationError
from pos_tui.i18n import N_, _

# CLDR's territories, less its groupings and placeholders (EU, UN, ZZ, …), are the countries.
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}
_COUNTRIES = frozenset(code for code in Locale("en").territories
                       if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES)
_CURRENCIES = frozenset(list_currencies())


#: Unicode's control characters (category Cc: U+0000–U+001F and U+007F–U+009F), found in one pass.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def text(value: object, field: str, *, max_length: int, required: bool = False, code: bool = False) -> str:
    """Trimmed single-line text: bounded length, no control characters, and never a full card
    number. `code`: an identifier (barcode, SKU, loyalty card) that may be a long run of digits."""
    cleaned = "" if value is None else str(value).strip()
    if required and not cleaned:
        raise ValidationError(field, _("is required"))
    if _CONTROL.search(cleaned):
        raise ValidationError(field, _("must not contain control characters"))
    if len(cleaned) > max_length:
        raise ValidationError(field, _("is too long (at most {n} characters)").format(n=max_length))
    if not code and contains_card_number(cleaned):
        raise ValidationError(field, _("must not contain a card number"))
    return cleaned


#: What a yes or a no may be typed or read as (a form, the CLI, a file in English or Spanish).
_TRUE = {"1", "true", "yes", "y", "si", "sí", "x", "on"}
_FALSE = {"", "0", "false", "no", "n", "off"}


def boolean(value: object, field: str) -> bool:
    """A yes or a no: `yes`/`no`, `true`/`false`, `sí`, `1`/`0`…; empty is no."""
    if isinstance(value, bool):
        return value
    text = ("" if value is None else str(value)).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(field, _("answer yes or no"))


def country(value: object, field: str = "country", *, required: bool = True) -> str:
    """An ISO 3166 alpha-2 country code, upper case."""
    code = text(value, field, max_length=2, required=required).upper()
    if code and code not in _COUNTRIES:
        raise ValidationError(field, _("“{code}” is not a country code (e.g. ES, MX, US)").format(code=code))
    return code


def currency(value: object, field: str = "currency") -> str:
    """An ISO 4217 currency code, upper case."""
    code = text(value, field, max_length=3, required=True).upper()
    if code not in _CURRENCIES:
        raise ValidationError(field, _("“{code}” is not a currency code (e.g. EUR, MXN, USD)")
                              .format(code=code))
    return code


def pin(value: object, field: str = "pin") -> str:
    """A cashier PIN: 4 to 8 digits."""
    raw = "" if value is None else str(value)
    if not (raw.isascii() and raw.isdigit() and 4 <= len(raw) <= 8):
        raise ValidationError(field, _("must be 4 to 8 digits"))
    return raw


class Checker:
    """Validate several fields and report every failing one at once.

    `value = check(validation.text, raw, "name", max_length=120)`; then `check.done()` raises
    one `ValidationError` holding all the field messages, if any.
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def __call__(self, validator, *args, **kwargs):
        try:
            return validator(*args, **kwargs)
        except ValidationError as exc:
            self.errors.update(exc.errors)
            return None

    def done(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


# --- Customer identifiers -------------------------------------------------------------------------

@dataclass(frozen=True)
class TaxId:
    """A tax ID as stored (`compact`) and as shown (`formatted`).

    `known` is False when no rule could check it (the text was kept as typed); `warning` then says
    so, and it also carries softer doubts about a number that was accepted.
    """

    compact: str
    formatted: str
    country: str
    known: bool
    warning: str


@dataclass(frozen=True)
class Phone:
    """A phone number as the cashier typed it and in E.164 form (+34612345678)."""

    typed: str
    e164: str


@dataclass(frozen=True)
class _TaxRule:
    kind: str  # what the number is called, marked with N_; shown through `_kind`
    modules: tuple  # python-stdnum modules, tried in order; the first that accepts the number wins
    name: str = ""  # stdnum's short name of the number, for the generic rules


# Where the country's own stdnum "vat" module is not what a customer hands over at a till.
# es.nif alone already covers DNI, NIE, CIF and the K/L/M numbers (it dispatches to es.dni, es.nie
# and es.cif), so Spain needs no combination; Italy's codicefiscale takes both the personal code and
# the 11-digit company number, whereas it.iva ("vat") takes only the latter.
_TAX_RULES: dict[str, _TaxRule] = {
    "ES": _TaxRule(N_("Spanish NIF/NIE/CIF"), (es_nif,)),
    "MX": _TaxRule(N_("Mexican RFC"), (mx_rfc,)),
    "CO": _TaxRule(N_("Colombian NIT"), (co_nit,)),
    "AR": _TaxRule(N_("Argentine CUIT"), (ar_cuit,)),
    "CL": _TaxRule(N_("Chilean RUT"), (cl_rut,)),
    "PE": _TaxRule(N_("Peruvian RUC"), (pe_ruc,)),
    "IT": _TaxRule(N_("Italian codice fiscale or partita IVA"), (it_codicefiscale,)),
    "BR": _TaxRule(N_("Brazilian CPF or CNPJ"), (br_cpf, br_cnpj)),
    "UA": _TaxRule(N_("Ukrainian RNTRC or EDRPOU"), (ua_rntrc, ua_edrpou)),
}
# Other countries: the first of these that stdnum has for the country. In stdnum's own listing every
# country package has a "vat" module (a file or an alias) except US and ZA ("tin"), Moldova ("idno"),
# Liechtenstein ("peid"), Ukraine (above) and CU, MU, MY, PK, which only hold identity-card numbers.
_TAX_MODULE_NAMES = ("vat", "tin", "idno", "peid")

# Prefixes of EU VAT numbers (Greece uses EL, Northern Ireland XI), and the country each stands for.
_EU_VAT_PREFIXES = {cc.upper(): cc.upper() for cc in eu_vat.MEMBER_STATES} | {"EL": "GR", "XI": "GB"}
_TAX_SEPARATORS = " .-"
_TAX_ID_MAX = 40

# How far a number got before stdnum refused it: the furthest refusal is the one worth telling.
_REFUSAL_RANK = ((stdnum_errors.InvalidChecksum, 3), (stdnum_errors.InvalidComponent, 2),
                 (stdnum_errors.InvalidLength, 0), (stdnum_errors.InvalidFormat, 1))


def _rank(exc: Exception) -> int:
    for cls, rank in _REFUSAL_RANK:
        if isinstance(exc, cls):
            return rank
    return 1  # a crash inside stdnum on odd input counts as a bad format


def _refusal(exc: Exception | None, kind: str) -> str:
    if isinstance(exc, stdnum_errors.InvalidChecksum):
        return _("is not a valid {kind}: the check digit does not match (a typo?)").format(kind=kind)
    if isinstance(exc, stdnum_errors.InvalidLength):
        return _("is not a valid {kind}: wrong number of characters").format(kind=kind)
    if isinstance(exc, stdnum_errors.InvalidComponent):
        return _("is not a valid {kind}: part of it cannot exist (a date, a code…)").format(kind=kind)
    if isinstance(exc, stdnum_errors.InvalidFormat):
        return _("is not a valid {kind}: letters or digits in the wrong place").format(kind=kind)
    return _("is not a valid {kind}").format(kind=kind)


def _try_modules(number: str, modules) -> tuple[object | None, Exception | None]:
    """The first module accepting `number`, or None and the most telling refusal."""
    best: Exception | None = None
    for module in modules:
        try:
            module.validate(number)
            return module, None
        except (ValueError, IndexError, KeyError, TypeError) as exc:  # stdnum's errors are ValueErrors
            if best is None or _rank(exc) > _rank(best):
                best = exc
    return None, best


@functools.cache
def _tax_rule(country_code: str) -> _TaxRule | None:
    if country_code not in _COUNTRIES:
        return None
    if country_code in _TAX_RULES:
        return _TAX_RULES[country_code]
    for name in _TAX_MODULE_NAMES:
        module = get_cc_module(country_code, name)
        if module is not None and hasattr(module, "validate"):
            # "TIN (U.S. Taxpayer Identification Number)" → "tax ID for US (TIN)"
            short = get_module_name(module).split(" (")[0].strip()
            return _TaxRule(N_("tax ID for {country} ({name})"), (module,), short)
    return None


def _kind(rule: _TaxRule, country_code: str) -> str:
    return _(rule.kind).format(country=country_code, name=rule.name)


def _shown(module, compact: str) -> str:
    formatter = getattr(module, "format", None)
    if formatter is None:
        return compact
    try:
        return formatter(compact)
    except (ValueError, IndexError, KeyError, TypeError):
        return compact


def tax_id(value: object, country: object, field: str = "tax_id") -> TaxId:
    """A customer's tax ID, checked with python-stdnum for the store's `country`.

    EU VAT numbers typed with their country prefix (DE136695976) are checked as such whatever the
    country. A country with no rule keeps the text (upper case) with `known=False` and a warning.
    """
    cc = "" if country is None else str(country).strip().upper()
    typed = text(value, field, max_length=_TAX_ID_MAX, code=True)
    if not typed:
        return TaxId("", "", cc, True, "")
    number = stdnum_clean(typed, _TAX_SEPARATORS).upper()
    rule = _tax_rule(cc)

    prefix = number[:2]
    eu_error: Exception | None = None
    if prefix in _EU_VAT_PREFIXES and len(number) > 2:
        module, eu_error = _try_modules(number, (eu_vat,))
        if module is not None:
            compact = eu_vat.compact(number)
            return TaxId(compact, compact, _EU_VAT_PREFIXES[prefix], True, "")

    if rule is None:
        if eu_error is not None:
            warning = _("tax ID not checked: no rule for country {cc}, and it is not a valid EU VAT "
                        "number").format(cc=cc or "?")
        elif cc:
            warning = _("tax ID not checked: no rule for country {cc}").format(cc=cc)
        else:
            warning = _("tax ID not checked: no country set for the store")
        kept = typed.upper()
        if contains_card_number(kept):  # unchecked text: it must not hide a card number
            raise ValidationError(field, _("must not contain a card number"))
        if len(kept) > _TAX_ID_MAX:
            raise ValidationError(field, _("is too long (at most {n} characters)").format(n=_TAX_ID_MAX))
        return TaxId(kept, kept, cc, False, warning)

    module, error = _try_modules(number, rule.modules)
    if module is None:
        if eu_error is not None and _EU_VAT_PREFIXES[prefix] != cc:
            raise ValidationError(field, _("is not a valid {kind} nor a valid EU VAT number ({prefix})")
                                  .format(kind=_kind(rule, cc), prefix=prefix))
        raise ValidationError(field, _refusal(error, _kind(rule, cc)))
    compact = module.compact(number)
    warning = ""
    if module is mx_rfc and not mx_rfc.is_valid(compact, validate_check_digits=True):
        # stdnum skips the RFC check digits by default: about 1.5% of RFCs in use fail them.
        warning = _("the RFC check digits do not match: please double-check it")
    return TaxId(compact, _shown(module, compact), cc, True, warning)


def phone(value: object, region: object, field: str = "phone") -> Phone:
    """A phone number valid for `region` (the store's country), or for any country with + or 00."""
    typed = text(value, field, max_length=40, code=True)
    if not typed:
        return Phone("", "")
    code = "" if region is None else str(region).strip().upper()
    default = code if code in phonenumbers.SUPPORTED_REGIONS else None
    raw = "+" + typed[2:] if typed.startswith("00") else typed
    try:
        number = phonenumbers.parse(raw, default)
    except phonenumbers.NumberParseException:
        number = None
    except (ValueError, IndexError, KeyError, TypeError):  # odd input phonenumbers did not expect
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return Phone(typed, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if number is None and raw.startswith("+"):
        raise ValidationError(field, _("is not a valid phone number: check the country code after +"))
    if number is not None and number.country_code:
        where = phonenumbers.region_code_for_country_code(number.country_code)
        dial = number.country_code
    elif default:
        where, dial = default, phonenumbers.country_code_for_region(default)
    else:
        raise ValidationError(field, _("is not a valid phone number: type it with its country code, "
                                       "e.g. +34 612 345 678"))
    if where in ("001", phonenumbers.UNKNOWN_REGION):
        raise ValidationError(field, _("is not a valid phone number (+{dial})").format(dial=dial))
    raise ValidationError(field, _("is not a valid phone number for {country} (+{dial})")
                          .format(country=where, dial=dial))


def phone_digits(value: object) -> str:
    """Only the digits of `value` (any script's digits, as 0-9): what phone search compares."""
    raw = "" if value is None else str(value)
    return "".join(str(unicodedata.decimal(ch)) for ch in raw if ch.isdecimal())


# The library's reasons, by what they mention, in words a cashier reads at a glance.
# The first clue found wins, so the more specific ones come first.
_EMAIL_REASONS = (
    ("too long", N_("it is too long")),
    ("should have a period", N_("the part after the @ is not a real domain (e.g. example.com)")),
    ("top-level domain", N_("the part after the @ is not a real domain (e.g. example.com)")),
    ("special-use or reserved", N_("the part after the @ is not a real domain (e.g. example.com)")),
    ("must have an @", N_("it needs one @ with a name before it and a domain after it")),
    ("something before the @", N_("it needs one @ with a name before it and a domain after it")),
    ("something after the @", N_("it needs one @ with a name before it and a domain after it")),
    ("at-sign", N_("it needs a plain @ sign")),
    ("period", N_("a dot is misplaced")),
    ("hyphen", N_("a dash is misplaced")),
    ("invalid character", N_("it contains characters an email address cannot have")),
    ("unsafe character", N_("it contains characters an email address cannot have")),
    ("Internationalized characters", N_("it contains characters an email address cannot have")),
    ("not valid ASCII", N_("it contains characters an email address cannot have")),
    ("display name", N_("type only the address, e.g. ana@example.com")),
    ("angle bracket", N_("type only the address, e.g. ana@example.com")),
)


def email(value: object, field: str = "email") -> str:
    """An email address in the normalized form email-validator gives (domain in lower case)."""
    typed = text(value, field, max_length=320)
    if not typed:
        return ""
    try:
        return validate_email(typed, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        reason = str(exc)
    except (ValueError, IndexError, KeyError, TypeError, UnicodeError):  # odd input the library missed
        reason = ""
    for clue, message in _EMAIL_REASONS:
        if clue in reason:
            raise ValidationError(field, _("is not a valid email address: {reason}")
                                  .format(reason=_(message)))
    raise ValidationError(field, _("is not a valid email address"))


_DECIMAL_RE = re.compile(r"([0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)", re.ASCII)


def percent(value: object, field: str, maximum: int | Decimal = 100) -> int:
    """A percentage in basis points: "5" → 500, "12,5" → 1250; empty → 0. At most 2 decimals."""
    raw = text(value, field, max_length=20, code=True).removesuffix("%").strip()
    if not raw:
        return 0
    if raw.startswith("-") and _DECIMAL_RE.fullmatch(raw[1:].strip()):
        raise ValidationError(field, _("must not be negative"))
    if not _DECIMAL_RE.fullmatch(raw):
        raise ValidationError(field, _("must be a number, e.g. 5 or 12,5"))
    amount = Decimal(raw.replace(",", "."))
    points = amount * 100
    if points != points.to_integral_value():
        raise ValidationError(field, _("must have at most 2 decimals"))
    if amount > Decimal(maximum):
        raise ValidationError(field, _("must be at most {n} %").format(n=maximum))
    return int(points)


_WHOLE_RE = re.compile(r"-?[0-9]{1,18}", re.ASCII)


def whole_number(value: object, field: str, minimum: int = 0, maximum: int = 2_147_483_647) -> int:
    """A whole number within [minimum, maximum] (payment terms in days, …); empty → 0."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raw = text(value, field, max_length=20, code=True)
        if not raw:
            return 0
        if not _WHOLE_RE.fullmatch(raw):
            raise ValidationError(field, _("must be a whole number, e.g. 30"))
        number = int(raw)
    if number < minimum:
        if minimum == 0:
            raise ValidationError(field, _("must not be negative"))
        raise ValidationError(field, _("must be at least {n}").format(n=minimum))
    if number > maximum:
        raise ValidationError(field, _("must be at most {n}").format(n=maximum))
    return number


# Digits with single spaces or dashes between them; a run is as long as it goes.
_DIGIT_RUN_RE = re.compile(r"[0-9](?:[ -]?[0-9])*", re.ASCII)


def contains_card_number(value: object) -> bool:
    """True when the text holds a run of 13–19 digits (spaces or dashes between them allowed) that
    passes the Luhn check: a payment card number, which must not be kept in free text."""
    raw = unicodedata.normalize("NFKC", "" if value is None else str(value))
    for match in _DIGIT_RUN_RE.finditer(raw):
        digits = match.group().replace(" ", "").replace("-", "")
        if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
            return True
    return False


_ALLOWED_IN_FREE_TEXT = {"\n", "\t"}


def free_text(value: object, field: str, max_length: int, *, required: bool = False) -> str:
    """Trimmed text over several lines (newlines and tabs kept, other control characters refused),
    bounded length, and never a payment card number."""
    cleaned = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not cleaned:
        raise ValidationError(field, _("is required"))
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_IN_FREE_TEXT for ch in cleaned):
        raise ValidationError(field, _("must not contain control characters"))
    if len(cleaned) > max_length:
        raise ValidationError(field, _("is too long (at most {n} characters)").format(n=max_length))
    if contains_card_number(cleaned):
        raise ValidationError(field, _("must not contain a card number"))
    return cleaned
