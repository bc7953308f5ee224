"""What a country's invoices need from a customer, beyond name, tax ID and address.

Stored in the customer's `fiscal_extra` (JSON), keyed by the names below, so another country is
a new entry here, not a new column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pos_tui.errors import ValidationError
from pos_tui.i18n import N_, _


@dataclass(frozen=True)
class FiscalField:
    key: str
    label: str  # msgid
    choices: tuple[tuple[str, str], ...] = ()  # (code, description)
    pattern: str = ""  # a regular expression the value must match
    hint: str = ""  # msgid: what the pattern means

    def clean(self, value: object, field: str) -> str:
        text = ("" if value is None else str(value)).strip().upper()
        if not text:
            return ""
        if self.choices and text not in {code for code, _label in self.choices}:
            raise ValidationError(field, _("“{value}” is not one of the codes: {codes}").format(
                value=text, codes=", ".join(code for code, _label in self.choices)))
        if self.pattern and not re.fullmatch(self.pattern, text):
            raise ValidationError(field, _(self.hint) or _("has the wrong format"))
        return text


# Mexico, CFDI 4.0: the SAT's catalogues c_RegimenFiscal and c_UsoCFDI.
MX_REGIMES = (
    ("601", "General de Ley Personas Morales"), ("603", "Personas Morales con Fines no Lucrativos"),
    ("605", "Sueldos y Salarios"), ("606", "Arrendamiento"), ("607", "Enajenación o Adquisición de Bienes"),
    ("608", "Demás ingresos"), ("610", "Residentes en el Extranjero"),
    ("611", "Ingresos por Dividendos"), ("612", "Personas Físicas con Actividades Empresariales"),
    ("614", "Ingresos por intereses"), ("615", "Obtención de premios"), ("616", "Sin obligaciones fiscales"),
    ("620", "Sociedades Cooperativas de Producción"), ("621", "Incorporación Fiscal"),
    ("622", "Actividades Agrícolas, Ganaderas, Silvícolas y Pesqueras"), ("623", "Opcional para Grupos"),
    ("624", "Coordinados"), ("625", "Plataformas Tecnológicas"), ("626", "Régimen Simplificado de Confianza"),
)
MX_CFDI_USES = (
    ("G01", "Adquisición de mercancías"), ("G02", "Devoluciones, descuentos o bonificaciones"),
    ("G03", "Gastos en general"), ("I01", "Construcciones"), ("I02", "Mobiliario y equipo de oficina"),
    ("I03", "Equipo de transporte"), ("I04", "Equipo de cómputo"), ("I08", "Otra maquinaria y equipo"),
    ("D01", "Honorarios médicos"), ("D02", "Gastos médicos por incapacidad"),
    ("D03", "Gastos funerales"), ("D04", "Donativos"), ("D10", "Pagos por servicios educativos"),
    ("S01", "Sin efectos fiscales"), ("CP01", "Pagos"), ("CN01", "Nómina"),
)

EXTRA_FIELDS: dict[str, tuple[FiscalField, ...]] = {
    "MX": (
        FiscalField("regime", N_("Fiscal regime (SAT code)"), MX_REGIMES),
        FiscalField("cfdi_use", N_("CFDI use (SAT code)"), MX_CFDI_USES),
        FiscalField("tax_postal_code", N_("Tax postal code"), pattern=r"\d{5}",
                    hint=N_("must be the 5 digits of the fiscal address's postal code")),
    ),
}


def extra_fields(country: str) -> tuple[FiscalField, ...]:
    return EXTRA_FIELDS.get((country or "").upper(), ())


def all_extra_fields() -> list[tuple[str, FiscalField]]:
    """(country, field) for every country that has extra fields."""
    return [(country, field) for country, fields in EXTRA_FIELDS.items() for field in fields]


def clean_extra(country: str, data: dict[str, object]) -> dict[str, str]:
    """The extra fields of `country` from form data keyed `fiscal.<key>`; others are dropped."""
    cleaned, errors = {}, {}
    for field in extra_fields(country):
        name = f"fiscal.{field.key}"
        try:
            value = field.clean(data.get(name), name)
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        if value:
            cleaned[field.key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned
