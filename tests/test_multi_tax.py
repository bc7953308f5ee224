"""A sale of a product with two taxes (Spain's IVA 21 % and its recargo de equivalencia 5,2 %):
the one tax engine computes them, and the receipt (text and printed), the invoice (snapshot, text,
CLI, PDF) and the Z report show each on its own line with its base and amount.

The arithmetic, by hand. The store's prices include tax; rounding is per line, half up.
  Line 1: 2 × 10,00 € "Turrón" (IVA 21% + RE 5,2%, 26,2 % in all) = 20,00 €
          base = 2000 / 1,262 = 1584,786… → 15,85 €; tax = 20,00 − 15,85 = 4,15 €
          IVA share = 415 × 2100 / 2620 = 332,63… → 3,33 €; RE takes the rest: 4,15 − 3,33 = 0,82 €
  Line 2: 1 × 0,95 € P001 milk (IVA 4 %): base = 95 / 1,04 = 91,35 → 0,91 €; tax 0,04 €
  Sale: total 20,95 €, base 16,76 €, tax 4,19 €.
"""

from __future__ import annotations

from pypdf import PdfReader

from pos_tui import models
from pos_tui.services import catalog, invoice_pdf, invoices, printing, receipts, sales, zreport
from pos_tui.services.payments import Tender
from pos_tui.services.store import require_store
from tests.cli_helpers import cli_runner


def sell_turron(ana):
    catalog.add_product({"reference": "TURRON", "name": "Turrón", "price": "10,00", "taxes": "IVA 21% + RE 5,2%"},
                        ana.id)
    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, "2*TURRON")
    sales.add_code(sale.id, "P001")
    sale = sales.get_sale(sale.id)
    return sales.checkout(sale.uuid, [Tender("cash", sale.total_minor)], cashier_id=ana.id)


def plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def test_the_engine_splits_the_tax_and_every_document_shows_each(open_till, ana, tmp_path, monkeypatch):
    done = sell_turron(ana)
    order = models.Order.get_by_id(done.order_id)
    assert (order.total_minor, order.net_minor, order.tax_minor) == (2095, 1676, 419)
    line = models.OrderLine.get((models.OrderLine.order == order.id) & (models.OrderLine.sku == "TURRON"))
    assert (line.tax_rate_bp, line.net_minor, line.tax_minor) == (2620, 1585, 415)

    # The receipt: a line for each tax of the group, each on the group's base; the single tax as before.
    receipt = receipts.get_receipt(order.id)
    group = next(t for t in receipt.taxes if t.rate_bp == 2620)
    assert [(p.name, p.rate_bp, p.tax_minor) for p in group.parts] == [("IVA 21%", 2100, 333), ("RE 5,2%", 520, 82)]
    money = require_store().money
    text = plain(receipts.render_text(receipt, "Shop", money))
    assert "  IVA 21% on 15,85 €" in text and "  RE 5,2% on 15,85 €" in text
    assert [ln.split()[-2] for ln in text.splitlines() if " on 15,85 €" in ln] == ["3,33", "0,82"]
    assert "  VAT 4 % on 0,91 €" in text  # the single tax, as it always was
    assert "26,2" not in text and "26.2" not in text  # the group's sum is not a tax of its own

    # The printed receipt lays out the same lines (from the queued job's JSON).
    rows = printing.layout_receipt(printing.receipt_payload(receipt), 42)
    printed = [plain(row) for _style, row in rows]
    assert any(r.startswith("  IVA 21% on 15,85 €") and r.endswith("3,33 €") for r in printed)
    assert any(r.startswith("  RE 5,2% on 15,85 €") and r.endswith("0,82 €") for r in printed)
    assert all(len(r) <= 42 for style, r in rows if style != "barcode")

    # The invoice (a simplified invoice for this ticket): its frozen taxes carry the parts.
    invoice = invoices.get_invoice(receipt.invoice_number)
    assert {"rate_bp": 2620, "net_minor": 1585, "tax_minor": 415,
            "parts": [{"name": "IVA 21%", "rate_bp": 2100, "tax_minor": 333},
                      {"name": "RE 5,2%", "rate_bp": 520, "tax_minor": 82}]} in invoice.taxes
    assert {"rate_bp": 400, "net_minor": 91, "tax_minor": 4} in invoice.taxes
    view = plain(invoices.render_text(invoice, money))
    assert "IVA 21% on 15,85 €" in view and "RE 5,2% on 15,85 €" in view and "VAT 4 % on 0,91 €" in view
    pdf = invoice_pdf.render(invoice, tmp_path / "invoice.pdf")
    pdf_text = plain("\n".join(page.extract_text() for page in PdfReader(pdf).pages))
    assert "IVA 21%" in pdf_text and "RE 5,2%" in pdf_text and "3,33 €" in pdf_text and "0,82 €" in pdf_text

    # The Z report: each tax of the group with the group's base.
    report = zreport.z_report(open_till.id)
    group = next(t for t in report.by_tax_rate if t.rate_bp == 2620)
    assert (group.net_minor, group.tax_minor) == (1585, 415)
    assert [(p.name, p.tax_minor) for p in group.parts] == [("IVA 21%", 333), ("RE 5,2%", 82)]
    z = plain(zreport.render_text(report, "Shop", money))
    assert any(ln.startswith("  IVA 21%") and ln.endswith("15,85 € / 3,33 €") for ln in z.splitlines())
    assert any(ln.startswith("  RE 5,2%") and ln.endswith("15,85 € / 0,82 €") for ln in z.splitlines())
    assert any(ln.startswith("  4 %") and ln.endswith("0,91 € / 0,04 €") for ln in z.splitlines())
    assert report.tax_minor == 419


def test_a_refund_shows_each_tax_too(open_till, ana):
    """One of the two turrones back: −10,00 €; base −1000 / 1,262 = −792,39… → −7,92 €, tax −2,08 €;
    IVA −208 × 2100 / 2620 = −166,72… → −1,67 €, RE −0,41 €."""
    from pos_tui.services import refunds

    done = sell_turron(ana)
    line = next(line for line in refunds.refundable(done.order_id).lines if line.sku == "TURRON")
    back = refunds.refund(done.order_id, {line.line_id: 1}, "T1", ana.id)
    note = invoices.get_invoice(back.invoice_number)
    assert {"rate_bp": 2620, "net_minor": -792, "tax_minor": -208,
            "parts": [{"name": "IVA 21%", "rate_bp": 2100, "tax_minor": -167},
                      {"name": "RE 5,2%", "rate_bp": 520, "tax_minor": -41}]} in note.taxes
    group = next(t for t in zreport.z_report(open_till.id).by_tax_rate if t.rate_bp == 2620)
    # The Z report nets the sale and the refund: base 15,85 − 7,92 = 7,93 €, tax 4,15 − 2,08 = 2,07 €;
    # IVA 207 × 2100 / 2620 = 165,92… → 1,66 €, RE 2,07 − 1,66 = 0,41 €.
    assert (group.net_minor, group.tax_minor) == (793, 207)
    assert [(p.name, p.tax_minor) for p in group.parts] == [("IVA 21%", 166), ("RE 5,2%", 41)]


def test_the_cli_invoice_shows_each_tax(db_path, monkeypatch, stored):
    run = cli_runner(db_path, monkeypatch, columns=80, plain_spaces=True)
    assert run("demo").exit_code == 0

    def sale():
        from pos_tui.services import cashiers, sessions

        ana = cashiers.authenticate("Ana", "1234")
        sessions.open_session("T1", ana.id, 0)
        return receipts.get_receipt(sell_turron(ana).order_id).invoice_number

    number = stored(sale)
    shown = run("invoice", "show", number).stdout
    rows = [ln for ln in shown.splitlines() if "IVA 21%" in ln or "RE 5,2%" in ln]
    assert len(rows) == 2 and "15,85 €" in rows[0] and "3,33 €" in rows[0] and "0,82 €" in rows[1]
