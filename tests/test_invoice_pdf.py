"""The invoice as a PDF: real invoices made through the services, the PDF read back with pypdf."""

from importlib import resources

import pytest
from pypdf import PdfReader

from pos_tui import models
from pos_tui.db import now
from pos_tui.services import cashiers, customers, invoice_pdf, invoices, refunds, sales, sessions, store
from pos_tui.services.payments import Tender

COMPANY_TAX_ID = "B65432106"  # not the demo store's own (B85743219), so each block is told apart


@pytest.fixture
def company(shop):
    return customers.create_customer({
        "name": "Ferretería Norte S.L.", "is_company": True, "tax_id": COMPANY_TAX_ID, "street": "Calle Sol 4",
        "city": "Madrid", "postal_code": "28004"})


def invoiced(cashier_id: int, customer_id: int, *codes: str, tender: str = "card"):
    """A paid sale with a full invoice; its receipt."""
    sale = sales.current_sale("T1", cashier_id)
    for code in codes:
        sales.add_code(sale.id, code)
    sales.set_customer(sale.id, customer_id)
    sale = sales.set_invoice(sale.id, True)
    return sales.checkout(sale.uuid, [Tender(tender, sale.total_minor)], cashier_id=cashier_id)


def pdf_text(path) -> str:
    """Every page's text; babel puts a no-break space before €, read here as a plain space."""
    reader = PdfReader(path)
    return "\n".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")


def test_the_invoice_pdf_holds_the_whole_invoice(open_till, ana, company, tmp_path):
    receipt = invoiced(ana.id, company.id, "P021", "P013")  # 4,50 € at 21 % and 3,75 € at 10 %
    invoice = invoices.get_invoice(receipt.invoice_number)

    path = invoice_pdf.render(invoice, tmp_path / "invoice.pdf")

    assert path == tmp_path / "invoice.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    text = pdf_text(path)
    number = f"F{now().year}-000001"
    assert invoice.number == number
    assert "Invoice" in text and number in text and f"Sale: {receipt.number}" in text
    # The store's block, from the snapshot.
    assert "Ultramarinos La Esquina" in text and "Tax ID: B85743219" in text
    assert "Calle Mayor 1, 28013 Madrid" in text
    # The customer's fiscal block.
    assert "Ferretería Norte S.L." in text and f"Tax ID: {COMPANY_TAX_ID}" in text
    assert "Calle Sol 4" in text and "28004 Madrid" in text
    # The lines, accents and € included.
    assert "Cerveza (6 latas) 1 4,50 € 4,50 €" in text
    assert "Atún en aceite (3 latas) 1 3,75 € 3,75 €" in text
    # The tax breakdown per rate: rate, base, tax.
    assert "21 % 3,72 € 0,78 €" in text and "10 % 3,41 € 0,34 €" in text
    # Totals and payment.
    assert "Net 7,13 €" in text and "Tax 1,12 €" in text and "Total 8,25 €" in text
    assert "Card 8,25 €" in text
    assert "corrects" not in text


def test_the_text_is_set_in_the_bundled_unicode_font(open_till, ana, company, tmp_path):
    assert (resources.files("pos_tui.fonts") / "DejaVuSans.ttf").is_file()
    assert "Bitstream" in (resources.files("pos_tui.fonts") / "LICENSE").read_text(encoding="utf-8")
    receipt = invoiced(ana.id, company.id, "P013")
    path = invoice_pdf.render(invoices.get_invoice(receipt.invoice_number), tmp_path / "a.pdf")
    fonts = PdfReader(path).pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert names and all("DejaVuSans" in name for name in names)  # subsets, e.g. /ABCDEF+DejaVuSans-Bold
    assert {"/Helvetica", "/Times-Roman", "/Courier"}.isdisjoint(names)


def test_a_credit_note_says_what_it_corrects_in_negative_amounts(open_till, ana, company, tmp_path):
    receipt = invoiced(ana.id, company.id, "2*P021")
    line = refunds.refundable(receipt.order_id).lines[0]
    back = refunds.refund(receipt.order_id, {line.line_id: 1}, "T1", ana.id)
    note = invoices.get_invoice(back.invoice_number)
    assert note.kind == invoices.CREDIT_NOTE

    text = pdf_text(invoice_pdf.render(note, tmp_path / "note.pdf"))

    assert "Credit note" in text and back.invoice_number in text
    assert f"corrects {receipt.invoice_number}" in text
    assert "Cerveza (6 latas) -1 4,50 € -4,50 €" in text
    assert "21 % -3,72 € -0,78 €" in text
    assert "Total -4,50 €" in text
    assert f"Tax ID: {COMPANY_TAX_ID}" in text


def test_the_pdf_prints_what_was_issued_not_what_changed_since(open_till, ana, company, tmp_path):
    receipt = invoiced(ana.id, company.id, "P021")
    customers.update_customer(company.id, {"name": "Otro Nombre S.A.", "street": "Calle Nueva 9"},
                              allow_duplicates=True)
    store.update_settings(name="Renamed shop")

    text = pdf_text(invoice_pdf.render(invoices.get_invoice(receipt.invoice_number), tmp_path / "old.pdf"))

    assert "Ferretería Norte S.L." in text and "Calle Sol 4" in text and "Ultramarinos La Esquina" in text
    assert "Otro Nombre" not in text and "Calle Nueva" not in text and "Renamed shop" not in text


def test_a_simplified_invoice_without_a_customer_has_no_customer_block(open_till, ana, tmp_path):
    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, "P001")
    receipt = sales.checkout(sale.uuid, [Tender("cash", 95)])

    text = pdf_text(invoice_pdf.render(invoices.get_invoice(receipt.invoice_number), tmp_path / "t.pdf"))

    assert "Simplified invoice" in text and receipt.invoice_number in text
    assert "Customer" not in text
    assert "Leche entera 1 L 1 0,95 € 0,95 €" in text and "Cash 0,95 €" in text


def test_a_mexican_invoice_prints_the_cfdi_fields_with_their_labels_in_pesos(database, tmp_path):
    store.setup_store("Abarrotes Doña Rosa", "MX", "MXN", "Rosa", "4321")
    client = customers.create_customer({
        "name": "Comercial Azteca SA de CV", "is_company": True, "tax_id": "GODE561231GR8",
        "fiscal.regime": "601", "fiscal.cfdi_use": "G03", "fiscal.tax_postal_code": "03940"})
    rosa = cashiers.authenticate("Rosa", "4321")
    sessions.open_session("T1", rosa.id, 0)
    models.Product.create(sku="X1", name="Refresco de limón", price_minor=2000, tax_rate_bp=1600,
                          price_includes_tax=False)
    receipt = invoiced(rosa.id, client.id, "X1")

    text = pdf_text(invoice_pdf.render(invoices.get_invoice(receipt.invoice_number), tmp_path / "mx.pdf"))

    assert "Abarrotes Doña Rosa" in text and "Comercial Azteca SA de CV" in text and "Tax ID: GODE561231GR8" in text
    assert "Fiscal regime (SAT code): 601 — General de Ley Personas Morales" in text
    assert "CFDI use (SAT code): G03 — Gastos en general" in text
    assert "Tax postal code: 03940" in text
    assert "16 % $20.00 $3.20" in text and "Total $23.20" in text


def test_an_unwritable_path_raises_and_leaves_nothing(open_till, ana, company, tmp_path):
    receipt = invoiced(ana.id, company.id, "P021")
    with pytest.raises(OSError):
        invoice_pdf.render(invoices.get_invoice(receipt.invoice_number), tmp_path / "missing" / "x.pdf")
    assert not (tmp_path / "missing").exists()


def test_a_long_invoice_runs_over_pages_each_numbered(open_till, ana, tmp_path):
    sale = sales.current_sale("T1", ana.id)
    for n in range(1, 41):
        sales.add_code(sale.id, f"P{n:03d}")
    sale = sales.get_sale(sale.id)
    receipt = sales.checkout(sale.uuid, [Tender("card", sale.total_minor)])

    reader = PdfReader(invoice_pdf.render(invoices.get_invoice(receipt.invoice_number), tmp_path / "long.pdf"))

    pages = len(reader.pages)
    assert pages >= 2
    for index, page in enumerate(reader.pages, start=1):
        assert f"{receipt.invoice_number} · page {index} of {pages}" in page.extract_text()
    text = pdf_text(tmp_path / "long.pdf")
    assert "Cerveza (6 latas)" in text and "Atún en aceite (3 latas)" in text
    total = store.require_store().money(sale.total_minor).replace("\u00a0", " ")
    assert f"Total {total}" in text and f"Card {total}" in text
