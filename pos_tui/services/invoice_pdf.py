"""An issued invoice as a PDF (A4), from its frozen snapshots only: editing the store or the
customer later never changes what a reprint says.

fpdf2's built-in fonts only know latin-1 (no €, no Ł), so the text is set in DejaVu Sans, shipped
inside the package (`pos_tui/fonts`, free licence) and loaded with `importlib.resources`: the same
PDF on any machine, whatever fonts it has. fpdf2 embeds only the glyphs used (a few tens of KB).
"""

from __future__ import annotations

from contextlib import ExitStack
from importlib import resources
from pathlib import Path

from pos_tui import db, l10n
from pos_tui.i18n import _, in_language
from pos_tui.money import exponent, format_money, format_rate
from pos_tui.services import fiscal, invoices
from pos_tui.services.invoices import InvoiceView
from pos_tui.services.payments import method_label

FONT = "DejaVuSans"
#: fpdf2 style -> the file in pos_tui/fonts.
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
MARGIN = 15  # mm
GREY = (90, 90, 90)


def render(invoice: InvoiceView, path: Path | str) -> Path:
    """Write `invoice` as a PDF at `path` (replacing a file there) and return the path.

    Raises `OSError` when the file cannot be written (no such folder, no permission, …)."""
    data = to_bytes(invoice)
    path = Path(path)
    path.write_bytes(data)
    return path


def to_bytes(invoice: InvoiceView) -> bytes:
    """The PDF of `invoice`, in memory, in the customer's language when set (else the till's)."""
    with in_language(invoice.language):
        return _to_bytes(invoice)


def _to_bytes(invoice: InvoiceView) -> bytes:
    from fpdf import FPDF  # fpdf2 (and Pillow) only when a PDF is made: `pos` starts faster

    class Document(FPDF):
        def footer(self) -> None:  # fpdf2 calls it on every page, with page breaks off
            self.set_y(-MARGIN)
            self.set_font(FONT, "", 8)
            self.set_text_color(*GREY)
            self.cell(0, 5, _("{number} · page {page} of {pages}").format(
                number=invoice.number, page=self.page_no(), pages=self.str_alias_nb_pages), align="C")
            self.set_text_color(0)

    with ExitStack() as stack:
        pdf = Document(orientation="portrait", unit="mm", format="A4")
        for style, name in FONT_FILES.items():
            font = stack.enter_context(resources.as_file(resources.files("pos_tui.fonts") / name))
            pdf.add_font(FONT, style, font)
        _Page(pdf, invoice).draw()
        return bytes(pdf.output())


def address_lines(block: dict) -> list[str]:
    """Street, second line, "postal code city", state, country: the ones given."""
    town = " ".join(part for part in (block.get("postal_code"), block.get("city")) if part)
    return [line for line in (block.get("street"), block.get("street2"), town, block.get("state"),
                              block.get("country")) if line]


def extra_fields(customer: dict, store_country: str) -> list[tuple[str, str]]:
    """(label, value) of the country's extra fiscal fields the customer has, in the country's order;
    a SAT-style code also gets its description (601 — General de Ley Personas Morales)."""
    country = customer.get("tax_country") or customer.get("country") or store_country
    values = customer.get("fiscal_extra") or {}
    labels = invoices.extra_labels(country)
    described = {f.key: dict(f.choices) for f in fiscal.extra_fields(country)}
    rows = []
    for key in [*labels, *(k for k in values if k not in labels)]:
        value = str(values.get(key) or "")
        if not value:
            continue
        meaning = described.get(key, {}).get(value)
        rows.append((labels.get(key, key), f"{value} — {meaning}" if meaning else value))
    return rows


def money_of(invoice: InvoiceView):
    """Formats minor units in the invoice's currency, in the locale of the language in use in the
    store's country as frozen on the invoice (es_ES: 1.234,56 €)."""
    country = invoice.store.get("country") or ""
    locale = l10n.locale_for(country) if country else invoice.store.get("locale") or "en_US"
    exp = exponent(invoice.currency)
    return lambda minor: format_money(minor, invoice.currency, locale, exp)


class _Page:
    """Draws one invoice on an FPDF document."""

    def __init__(self, pdf, invoice: InvoiceView):
        self.pdf = pdf
        self.invoice = invoice
        self.store = invoice.store
        self.money = money_of(invoice)

    # Pieces ----------------------------------------------------------------------------------

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)

    def line(self, text: str, width: float, height: float = 5, align: str = "L") -> None:
        """A block of text at the current x; the next one goes below it, at the same x."""
        from fpdf.enums import XPos, YPos

        self.pdf.multi_cell(width, height, text, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)

    def heading(self, text: str) -> None:
        self.pdf.ln(4)
        self.font(11, bold=True)
        self.line(text, 0, 7)
        self.font(9)

    # The page --------------------------------------------------------------------------------

    def draw(self) -> None:
        pdf, invoice = self.pdf, self.invoice
        pdf.set_title(f"{invoice.title} {invoice.number}")
        pdf.set_author(self.store.get("name", ""))
        pdf.set_creator("pos-tui")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=MARGIN + 5)
        pdf.add_page()
        self.header()
        self.customer()
        self.lines()
        self.taxes_and_totals()
        self.payments()

    def header(self) -> None:
        pdf, invoice, store = self.pdf, self.invoice, self.store
        top = pdf.get_y()
        half = pdf.epw / 2
        self.font(14, bold=True)
        self.line(store.get("name", ""), half, 7)
        self.font(9)
        if store.get("tax_id"):
            self.line(f"{_('Tax ID')}: {store['tax_id']}", half)
        if store.get("address"):
            self.line(store["address"], half)
        left_bottom = pdf.get_y()

        pdf.set_xy(MARGIN + half, top)
        self.font(16, bold=True)
        self.line(invoice.title, half, 8, align="R")
        self.font(10, bold=True)
        self.line(f"{_('Number')}: {invoice.number}", half, 6, align="R")
        self.font(9)
        issued = l10n.format_date(db.local_time(invoice.issued_at)) if invoice.issued_at else ""
        self.line(f"{_('Date')}: {issued}", half, align="R")
        if invoice.order_number:
            self.line(f"{_('Sale')}: {invoice.order_number}", half, align="R")
        if invoice.corrects:
            self.font(9, bold=True)
            self.line(_("corrects {number}").format(number=invoice.corrects), half, align="R")
            self.font(9)
        pdf.set_xy(MARGIN, max(left_bottom, pdf.get_y()) + 2)
        pdf.set_draw_color(*GREY)
        pdf.line(MARGIN, pdf.get_y(), MARGIN + pdf.epw, pdf.get_y())

    def customer(self) -> None:
        customer = self.invoice.customer
        if not customer:
            return
        self.heading(_("Customer"))
        self.font(10, bold=True)
        self.line(customer.get("name", ""), 0)
        self.font(9)
        if customer.get("tax_id"):
            self.line(f"{_('Tax ID')}: {customer['tax_id']}", 0)
        for text in address_lines(customer):
            self.line(text, 0)
        for label, value in extra_fields(customer, self.store.get("country", "")):
            self.line(f"{label}: {value}", 0)

    def lines(self) -> None:
        money = self.money
        self.heading(_("Lines"))
        with self.pdf.table(col_widths=(70, 24, 30, 26, 30), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
                            borders_layout="HORIZONTAL_LINES", line_height=6) as table:
            row = table.row()
            for title in (_("Product"), _("Qty"), _("Unit price"), _("Discount"), _("Total")):
                row.cell(title)
            for line in self.invoice.lines:
                row = table.row()
                row.cell(line["name"])
                row.cell(self.invoice.quantity_of(line))
                row.cell(self.invoice.unit_price_of(line, money))
                row.cell(money(line["discount_minor"]) if line.get("discount_minor") else "")
                row.cell(money(line["total_minor"]))

    def taxes_and_totals(self) -> None:
        money, invoice = self.money, self.invoice
        self.heading(_("Taxes"))
        with self.pdf.table(col_widths=(30, 40, 40), text_align=("RIGHT", "RIGHT", "RIGHT"), width=110,
                            align="LEFT", borders_layout="HORIZONTAL_LINES", line_height=6) as table:
            row = table.row()
            for title in (_("Rate"), _("Base"), _("Tax")):
                row.cell(title)
            for tax in invoice.taxes:
                for label, base, amount in invoices.tax_rows(tax):  # each tax of a group on its own row
                    row = table.row()
                    row.cell(label)
                    row.cell(money(base))
                    row.cell(money(amount))

        self.pdf.ln(4)
        rows = [(_("Net"), money(invoice.net_minor)), (_("Tax"), money(invoice.tax_minor))]
        if invoice.discount_minor:
            rows.insert(0, (_("Discounts included"), money(invoice.discount_minor)))
        width = 90
        x = MARGIN + self.pdf.epw - width
        self.font(10)
        for label, value in rows:
            self.pdf.set_x(x)
            self.pdf.cell(width - 40, 6, label)
            self.pdf.cell(40, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")
        self.font(12, bold=True)
        self.pdf.set_x(x)
        self.pdf.cell(width - 40, 8, _("Total"), border="T")
        self.pdf.cell(40, 8, money(invoice.total_minor), border="T", align="R", new_x="LMARGIN", new_y="NEXT")
        self.font(9)

    def payments(self) -> None:
        if not self.invoice.payments:
            return
        self.heading(_("Payment"))
        for payment in self.invoice.payments:
            label = method_label(payment["method"])
            if payment.get("card_last4"):
                label += f" (…{payment['card_last4']})"
            self.pdf.cell(60, 5, label)
            self.pdf.cell(30, 5, self.money(payment["amount_minor"]), align="R", new_x="LMARGIN", new_y="NEXT")
