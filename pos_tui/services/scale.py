"""Scale barcodes: the EAN-13 labels a scale prints, read with Odoo's default nomenclature.

Two rules, as Odoo's "Default Nomenclature" has them:

- `21.....{NNDDD}` "Weighted Barcodes 3 Decimals": `21` + five digits of the product + the weight
  in kg, two whole digits and three decimals, + the check digit. `2100001007508` is 0,750 kg of the
  product whose barcode is `2100001000004`.
- `23.....{NNNDD}` "Price Barcodes 2 Decimals": `23` + five digits of the product + the price,
  three whole digits and two decimals, + the check digit. `2300001004372` is a 4,37 label.

The product is found as Odoo finds it: the scanned code with the value's digits set to zero and
the check digit computed again (`2100001007508` → `210000100000` + `4`) is the product's barcode.
The prefix stays: a product sold with price labels has a `23…00000c` barcode, one sold with
weight labels a `21…00000c` one (the demo's P041–P043). An exact barcode or reference is looked up
first (`sales.scan`), so a product's own `21…00000c` code asks for the weight instead.
A code whose check digit is wrong matches no rule (Odoo reads it as an unknown code): here the
cashier is told so, and scans again.

What a scanned code puts on the sale:

- a weight: a line of that weight at the product's price per kg (0,750 kg × 3,20 €/kg = 2,40 €);
  the product must be sold in a unit with decimals (kg), a weight means nothing for Units;
- a price: Odoo adds quantity 1 at the barcode's price, and so do we for a product counted in
  Units (a pre-packed tray of variable price: one tray, at its label's price). For a product sold
  by weight, one "kg" at the label's price would be false on the receipt and in the stock, so the
  line gets the weight the price buys at the product's price per kg, to the gram
  (4,37 € at 2,49 €/kg = 1,755 kg): of the grams next to price ÷ price per kg, the nearest whose
  amount is the label's to the cent. When the price per kg is above 10 € a gram is worth more than
  a cent and the label's exact amount may not be reachable: the line is then the nearest gram's
  amount (at most a cent from the label).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from stdnum import ean

from pos_tui import quantity
from pos_tui.errors import NotFound, ValidationError
from pos_tui.i18n import _
from pos_tui.services import catalog

WEIGHT, PRICE = "weight", "price"


@dataclass(frozen=True)
class Rule:
    """One rule of the nomenclature: a prefix, then the product's digits, then the value's."""

    kind: str
    prefix: str
    value_start: int  # where the value's digits start in the 13 digits
    whole: int  # digits before the decimal point
    decimals: int


#: Odoo's default nomenclature: `21.....{NNDDD}` (weight, kg) and `23.....{NNNDD}` (price).
RULES = (Rule(WEIGHT, "21", 7, 2, 3), Rule(PRICE, "23", 7, 3, 2))


@dataclass(frozen=True)
class ScaleCode:
    code: str
    kind: str  # WEIGHT or PRICE
    value: Decimal  # kg (3 decimals) or money in the store's currency (2 decimals)
    base_code: str  # the product's barcode: the value's digits zero, the check digit computed again


def rule_for(code: str) -> Rule | None:
    """The rule a 13-digit code falls under by its prefix, or None (not a scale code)."""
    code = (code or "").strip()
    if len(code) != 13 or not code.isdigit():
        return None
    return next((rule for rule in RULES if code.startswith(rule.prefix)), None)


def parse(code: str) -> ScaleCode | None:
    """The weight or price a scale code carries, or None when `code` is not one. A scale code with
    a wrong check digit is refused (`ValidationError` on "code"): it was misread."""
    code = (code or "").strip()
    rule = rule_for(code)
    if rule is None:
        return None
    expected = ean.calc_check_digit(code[:12])
    if code[12] != expected:
        raise ValidationError("code", _("the check digit of {code} is wrong (it should be {digit}): "
                                        "scan the label again").format(code=code, digit=expected))
    end = rule.value_start + rule.whole + rule.decimals
    digits = code[rule.value_start:end]
    value = Decimal(f"{digits[:rule.whole]}.{digits[rule.whole:]}")
    base = code[:rule.value_start] + "0" * (end - rule.value_start) + code[end:12]
    return ScaleCode(code, rule.kind, value, base + ean.calc_check_digit(base))


@dataclass(frozen=True)
class ScaleLine:
    """What a scale code asks the sale for: the product, the quantity, and a price of its own
    (for a price label on a product counted in Units), else None for the catalog's price."""

    product: catalog.ProductInfo
    scanned: ScaleCode
    quantity: Decimal
    unit_price_minor: int | None


def resolve(code: str, exponent: int = 2) -> ScaleLine | None:
    """The line a scale code makes, or None when `code` is not a scale code. Refused: a wrong
    check digit, no product with the code's base barcode, a weight for a product counted whole,
    a zero weight or price. `exponent`: the currency's decimals (a price label has two)."""
    scanned = parse(code)
    if scanned is None:
        return None
    product = catalog.find_by_code(scanned.base_code)
    if product is None:
        raise NotFound(_("No product with the scale barcode {code} (its product's barcode would be "
                         "{base}).").format(code=scanned.code, base=scanned.base_code))
    if scanned.value <= 0:
        raise ValidationError("code", _("the label {code} carries no weight or price").format(code=scanned.code))
    places = quantity.decimals(product.uom)
    if scanned.kind == WEIGHT:
        if places == 0:
            raise ValidationError("code", _("{name} is counted in {unit}, not weighed: {code} is a weight "
                                            "label").format(name=product.name, unit=_(product.uom),
                                                            code=scanned.code))
        return ScaleLine(product, scanned, quantity.check(scanned.value, product.uom), None)
    label_minor = int((scanned.value * (Decimal(10) ** exponent)).to_integral_value(ROUND_HALF_UP))
    if places == 0 or not product.by_weight or product.price_minor <= 0:
        return ScaleLine(product, scanned, Decimal(1), label_minor)
    return ScaleLine(product, scanned, weight_for_price(label_minor, product.price_minor, product.uom), None)


def amount_minor(qty: Decimal, unit_price_minor: int) -> int:
    """A quantity at a unit price, to the minor unit, half up (as the tax engine rounds a line)."""
    return int((Decimal(qty) * unit_price_minor).to_integral_value(ROUND_HALF_UP))


def weight_for_price(label_minor: int, unit_price_minor: int, uom: str = quantity.KG) -> Decimal:
    """The weight a label's price buys at `unit_price_minor` per unit, at the unit's precision: of the
    steps next to price ÷ price per unit, the nearest whose amount is the label's exactly, else the
    nearest step. 437 at 249 → 1,755 (1,755 × 2,49 = 4,36995 → 4,37)."""
    step = Decimal(1).scaleb(-quantity.decimals(uom))
    first = quantity.quantize(Decimal(label_minor) / unit_price_minor, uom)
    for offset in (0, -1, 1, -2, 2, -3, 3):
        candidate = first + offset * step
        if candidate > 0 and amount_minor(candidate, unit_price_minor) == label_minor:
            return candidate
    return max(first, step)
