"""Receipts on an ESC/POS printer: the bytes (python-escpos's dummy printer), a network printer
emulated on 127.0.0.1 (working, refusing, stalling, out of paper), the queue that never loses a
sale, the drawer, and `pos printer …`."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from pos_tui import db, models
from pos_tui.errors import StateError, ValidationError
from pos_tui.services import approvals, cashiers, printing, refunds, sales, sessions
from pos_tui.services.payments import Tender
from pos_tui.services.receipts import Receipt, ReceiptLine, ReceiptPayment
from tests.cli_helpers import cli_runner
from tests.printer_emulator import NO_PAPER, STALL, PrinterEmulator, closed_port

TUNA, BREAD = "8412345000133", "P002"  # Atún en aceite (3 latas) 3,75 € · Pan de barra 0,80 €
INIT, CP858 = b"\x1b@", b"\x1bt\x13"
CUT = b"\x1dV\x01"  # partial cut
PULSE = b"\x1bp\x00\x32\x32"  # drawer kick on pin 2
CODE128 = b"\x1dkI"  # GS k 73: CODE128, then the length and the data


def sell(ana, *codes: str, tenders=None, customer_id=None) -> Receipt:
    sale = sales.current_sale("T1", ana.id)
    for code in codes:
        sales.add_code(sale.id, code)
    if customer_id is not None:
        sales.set_customer(sale.id, customer_id)
    total = sales.get_sale(sale.id).total_minor
    return sales.checkout(sale.uuid, tenders or [Tender("cash", total + 1000)], cashier_id=ana.id)


def job_of(order_id: int) -> models.PrintJob:
    return models.PrintJob.get(models.PrintJob.order == order_id)


def dummy_bytes(receipt: Receipt, width: int = 42, code_page: str = "", **extras) -> bytes:
    printer = printing.PrinterInfo("T1", "network", "127.0.0.1:9100", width, code_page, True)
    payload = printing.receipt_payload(receipt, open_drawer=True, extras=extras or None)
    return printing.escpos_bytes(printing.layout_receipt(payload, width), printer, open_drawer=True)


@pytest.fixture
def printer():
    with PrinterEmulator() as emulator:
        yield emulator


# The bytes -----------------------------------------------------------------------------------------


def test_the_receipt_bytes_hold_the_store_the_lines_the_total_the_invoice_and_the_barcode(open_till, ana):
    receipt = sell(ana, TUNA, f"2*{BREAD}", tenders=[Tender("cash", 2000)])
    out = dummy_bytes(receipt)
    assert out.startswith(INIT + CP858)
    text = out.decode("cp858")
    for fragment in ("Ultramarinos La Esquina", "Calle Mayor 1, 28013 Madrid", "NIF: B85743219",
                     "Atún en aceite (3 latas)", "Pan de barra", "TOTAL", "5,35 €", "Cash", "20,00 €",
                     "Change", "14,65 €", "Cashier", "Ana", "Till", receipt.number, "Thank you!"):
        assert fragment in text, fragment
    # a simplified invoice, as the law in Spain names it, with its T… number
    assert receipt.invoice_kind == "simplified" and receipt.invoice_number.startswith("T")
    assert f"Factura simplificada          {receipt.invoice_number}".encode() in out
    # taxes per rate
    assert "VAT 4 % on" in text and "VAT 10 % on" in text
    # the order number as a CODE128 barcode (code set B), for the refund search
    number = receipt.number.encode()
    assert CODE128 + bytes([len(number) + 2]) + b"{B" + number in out
    # cut, then the drawer pulse
    assert out.index(CUT) < out.index(PULSE)


def test_accents_and_the_euro_sign_in_code_page_858():
    receipt = Receipt(1, "T1-000009", models.now(), "T1", "Ana", "Señora Núñez",
                      (ReceiptLine("Atún", 1, 1250, 1250),), 1033, 217, 1250, (),
                      (ReceiptPayment("card", 1250, 1250, 0),))
    out = dummy_bytes(receipt, width=32)
    assert CP858 in out
    assert b"At\xa3n" in out  # ú = A3
    assert b"Se\xa4ora N\xa3\xa4ez" in out  # ñ = A4
    assert b"12,50 \xd5" in out  # € = D5 in PC858, and the no-break space as a plain space
    assert "?" not in out.decode("cp858")
    # another code page when the printer wants it: WPC1252 (ESC t 16)
    out_1252 = dummy_bytes(receipt, width=32, code_page="CP1252")
    assert b"\x1bt\x10" in out_1252 and b"At\xfan" in out_1252 and b"12,50 \x80" in out_1252


def test_letters_a_code_page_lacks_become_their_nearest_letter():
    receipt = Receipt(1, "T1-000010", models.now(), "T1", "Łukasz", None,
                      (ReceiptLine("Żubrówka", 1, 100, 100),), 83, 17, 100, (), (ReceiptPayment("card", 100, 100, 0),))
    text = dummy_bytes(receipt).decode("cp858")
    assert "Lukasz" in text and "Zubrówka" in text


@pytest.mark.parametrize("width", printing.WIDTHS)
def test_every_line_fits_the_paper(open_till, ana, width):
    customer = models.Customer.select().first()
    receipt = sell(ana, TUNA, "P001", "P003", "P004", customer_id=customer.id)
    rows = printing.layout_receipt(printing.receipt_payload(receipt), width)
    assert all(len(text) <= width for style, text in rows if style != "barcode")
    text = printing.preview(rows)
    assert customer.name in text  # the customer's name
    # nothing is cut off: the legal title and its number are both whole, even at 32 characters
    assert "Factura simplificada" in text and receipt.invoice_number in text


def test_the_legal_titles_of_a_full_invoice_and_of_a_refund(open_till, ana):
    customer = models.Customer.select().where(models.Customer.tax_id != "").first()
    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, TUNA)
    sales.set_customer(sale.id, customer.id)
    sales.set_invoice(sale.id, True)
    receipt = sales.checkout(sale.uuid, [Tender("card", 375)], cashier_id=ana.id)
    assert receipt.invoice_number.startswith("F")
    text = printing.preview(printing.layout_receipt(printing.receipt_payload(receipt), 48))
    assert f"Factura{' ' * (48 - 8 - len(receipt.invoice_number))} {receipt.invoice_number}" in text

    refundable = refunds.refundable(receipt.order_id)
    refund = refunds.refund(receipt.order_id, {refundable.lines[0].line_id: 1}, "T1", cashier_id=ana.id)
    assert refund.invoice_number.startswith("R")
    text = printing.preview(printing.layout_receipt(printing.receipt_payload(refund), 48))
    assert "Factura rectificativa" in text and refund.invoice_number in text and "Refund of" in text
    assert "|" not in text  # no barcode on a refund: only a sale's number opens a refund


def test_outside_spain_the_titles_are_the_tills_words(open_till, ana):
    receipt = sell(ana, TUNA)
    payload = printing.receipt_payload(receipt)
    payload["store"]["country"] = "PT"
    text = printing.preview(printing.layout_receipt(payload, 42))
    assert "Simplified invoice" in text and "Factura" not in text and "NIF" not in text and "Tax ID" in text


def test_loyalty_fields_print_when_present(open_till, ana):
    receipt = sell(ana, TUNA)
    payload = printing.receipt_payload(receipt, extras={"points_earned": 3, "points_balance": 140})
    text = printing.preview(printing.layout_receipt(payload, 32))
    assert "Points earned" in text and "140" in text
    with pytest.raises(ValueError):
        printing.receipt_payload(receipt, extras={"favourite_colour": "blue"})


def test_the_printed_number_scanned_in_the_sale_input_opens_its_refund(open_till, ana):
    receipt = sell(ana, TUNA)
    out = dummy_bytes(receipt)
    number = out.split(b"{B", 1)[1][:len(receipt.number)].decode()
    draft = sales.current_sale("T1", ana.id)
    assert sales.scan(draft.id, number).refund_order_id == receipt.order_id
    assert sales.scan(draft.id, number.lower()).refund_order_id == receipt.order_id  # typed


# The queue: the sale first, the paper after ----------------------------------------------------


def test_no_printer_no_job(open_till, ana):
    receipt = sell(ana, TUNA)
    assert printing.enqueue_receipt(receipt) is None
    assert models.PrintJob.select().count() == 0


def test_a_cash_sale_prints_on_the_network_printer_and_opens_the_drawer(open_till, ana, printer):
    printing.set_printer("T1", "network", printer.address, width=32)
    receipt = sell(ana, TUNA, f"2*{BREAD}", tenders=[Tender("cash", 2000)])
    job_id = printing.enqueue_receipt(receipt)
    assert printing.enqueue_receipt(receipt) == job_id  # once per sale (a checkout retried, a double call)
    result = printing.drain("T1")
    assert result.ok and result.printed == (job_id,) and result.numbers == (receipt.number,)
    assert printer.wait_for_jobs(1)
    data = printer.jobs[0]
    assert data.startswith(b"\x10\x04\x04")  # asked for the paper first
    assert b"Ultramarinos La Esquina" in data and b"At\xa3n en aceite" in data and b"5,35 \xd5" in data
    assert receipt.invoice_number.encode() in data and CODE128 in data
    assert data.endswith(CUT + PULSE)
    job = models.PrintJob.get_by_id(job_id)
    assert (job.state, job.attempts, job.last_error) == ("done", 1, "") and job.printed_at is not None


def test_a_card_sale_does_not_open_the_drawer(open_till, ana, printer):
    printing.set_printer("T1", "network", printer.address)
    receipt = sell(ana, TUNA, tenders=[Tender("card", 375, card_last4="4242")])
    printing.enqueue_receipt(receipt)
    assert printing.drain("T1").ok
    data = printer.received
    assert b"****4242" in data and PULSE not in data and CUT in data


def test_the_sale_commits_when_the_printer_is_off_then_a_retry_prints_it(open_till, ana):
    printing.set_printer("T1", "network", f"127.0.0.1:{closed_port()}")
    receipt = sell(ana, TUNA)
    job_id = printing.enqueue_receipt(receipt)
    started = time.monotonic()
    result = printing.drain("T1")
    assert time.monotonic() - started < 2
    assert not result.ok and result.failed_job == job_id and result.pending == 1
    assert "refused the connection" in result.error
    assert models.Order.get_by_id(receipt.order_id).state == "paid"  # the sale is there
    job = models.PrintJob.get_by_id(job_id)
    assert (job.state, job.attempts) == ("pending", 1) and "refused" in job.last_error
    assert [j.id for j in printing.list_jobs("T1")] == [job_id]

    with PrinterEmulator() as printer:
        printing.set_printer("T1", address=printer.address)
        result = printing.drain("T1")
        assert result.ok and result.printed == (job_id,)
        assert printer.wait_for_jobs(1)
        assert receipt.number.encode() in printer.jobs[0] and PULSE in printer.jobs[0]
    job = models.PrintJob.get_by_id(job_id)
    assert (job.state, job.attempts, job.last_error) == ("done", 2, "")
    assert printing.list_jobs("T1") == []


def test_a_printer_that_stalls_gives_up_within_the_timeout(open_till, ana):
    with PrinterEmulator(STALL) as printer:
        printing.set_printer("T1", "network", printer.address)
        receipt = sell(ana, TUNA)
        job_id = printing.enqueue_receipt(receipt)
        started = time.monotonic()
        result = printing.drain("T1", timeout=0.5)
        assert time.monotonic() - started < 3
        assert printer.connections == 1
    assert "does not answer" in result.error
    assert models.PrintJob.get_by_id(job_id).state == "pending"
    assert models.Order.get_by_id(receipt.order_id).state == "paid"


def test_out_of_paper_prints_nothing_and_keeps_the_job(open_till, ana):
    with PrinterEmulator(NO_PAPER) as printer:
        printing.set_printer("T1", "network", printer.address)
        job_id = printing.enqueue_receipt(sell(ana, TUNA))
        result = printing.drain("T1")
        assert printer.wait_for_jobs(1)
        assert printer.jobs == [b"\x10\x04\x04"]  # only the question
    assert "out of paper" in result.error
    assert models.PrintJob.get_by_id(job_id).state == "pending"


def test_the_queue_stops_at_the_first_failure_and_prints_in_order(open_till, ana):
    printing.set_printer("T1", "network", f"127.0.0.1:{closed_port()}")
    first, second = (printing.enqueue_receipt(sell(ana, TUNA)) for _ in range(2))
    result = printing.drain("T1")
    assert result.failed_job == first and result.pending == 2
    assert models.PrintJob.get_by_id(second).attempts == 0  # not tried: the printer is away
    with PrinterEmulator() as printer:
        printing.set_printer("T1", address=printer.address)
        assert printing.drain("T1").printed == (first, second)


def test_a_late_cash_receipt_no_longer_opens_the_drawer(open_till, ana, printer):
    printing.set_printer("T1", "network", printer.address)
    job_id = printing.enqueue_receipt(sell(ana, TUNA))
    models.PrintJob.update(created_at=models.now() - printing.DRAWER_WINDOW - timedelta(seconds=1)).where(
        models.PrintJob.id == job_id).execute()
    assert printing.drain("T1").ok
    assert CUT in printer.received and PULSE not in printer.received


def test_print_again_prints_a_copy_without_opening_the_drawer(open_till, ana, printer):
    printing.set_printer("T1", "network", printer.address)
    assert printing.print_again("T1").job_ids == ()  # nothing sold yet
    receipt = sell(ana, TUNA)
    first = printing.enqueue_receipt(receipt)
    again = printing.print_again("T1")
    assert again.job_ids == (first,) and again.waiting == 1  # what waits goes first
    printing.drain("T1")
    again = printing.print_again("T1")
    assert again.waiting == 0 and again.number == receipt.number and again.job_ids != (first,)
    assert printing.drain("T1", again.job_ids).ok
    assert printer.wait_for_jobs(2)
    copy = printer.jobs[1]
    assert b"*** COPY ***" in copy and PULSE not in copy and receipt.number.encode() in copy


def test_the_file_printer_appends(open_till, ana, tmp_path):
    target = tmp_path / "lp0"
    printing.set_printer("T1", "file", str(target))
    printing.enqueue_receipt(sell(ana, TUNA))
    printing.enqueue_receipt(sell(ana, BREAD))
    assert printing.drain("T1").ok
    data = target.read_bytes()
    assert data.count(CUT) == 2 and b"Pan de barra" in data
    printing.set_printer("T1", address=str(tmp_path / "missing" / "lp0"))
    printing.enqueue_receipt(sell(ana, BREAD))
    assert "no such file" in printing.drain("T1").error


def test_usb_and_serial_printers_say_what_they_need(open_till, ana):
    printing.set_printer("T1", "usb", "04b8:0202")
    printing.enqueue_receipt(sell(ana, TUNA))
    assert "USB" in printing.drain("T1").error
    printing.set_printer("T1", "serial", "/dev/ttyNOPE:19200")
    error = printing.drain("T1").error
    assert "serial" in error.lower()


# The drawer on demand -------------------------------------------------------------------------------


def test_opening_the_drawer_needs_a_manager_and_is_recorded(open_till, ana, printer):
    with pytest.raises(StateError):
        printing.open_drawer("T1", ana.id, "1234")  # no printer
    printing.set_printer("T1", "network", printer.address)
    with pytest.raises(approvals.ApprovalNeeded) as asked:
        printing.open_drawer("T1", ana.id)
    assert asked.value.action == "drawer"
    with pytest.raises(approvals.WrongManagerPin):
        printing.open_drawer("T1", ana.id, "2345")  # Luis is no manager
    assert models.PrintJob.select().count() == 0
    job_id = printing.open_drawer("T1", ana.id, "1234")
    approval = models.Approval.get(models.Approval.action == "drawer")
    assert approval.till == "T1" and approval.session_id == open_till.id
    assert printing.drain("T1").printed == (job_id,)
    assert printer.wait_for_jobs(1)
    assert printer.jobs[0] == b"\x10\x04\x04" + PULSE


def test_a_drawer_pulse_that_cannot_be_sent_is_never_sent_later(open_till, ana):
    printing.set_printer("T1", "network", f"127.0.0.1:{closed_port()}")
    job_id = printing.open_drawer("T1", ana.id, "1234")
    assert not printing.drain("T1").ok
    assert models.PrintJob.get_by_id(job_id).state == "failed"
    assert printing.requeue([job_id]) == 0
    assert [j.state for j in printing.list_jobs("T1")] == ["failed"]


def test_printer_without_a_drawer(open_till, ana, printer):
    printing.set_printer("T1", "network", printer.address, drawer=False)
    with pytest.raises(StateError):
        printing.open_drawer("T1", ana.id, "1234")
    printing.enqueue_receipt(sell(ana, TUNA))
    printing.drain("T1")
    assert PULSE not in printer.received


# Settings -------------------------------------------------------------------------------------------


def test_settings_are_checked_all_at_once(shop):
    with pytest.raises(ValidationError) as bad:
        printing.set_printer("T1", "bluetooth", "", width=40, code_page="KLINGON")
    assert set(bad.value.errors) == {"kind", "width", "code_page"}
    with pytest.raises(ValidationError) as bad:
        printing.set_printer("T1", "network", "printer.local:99999")
    assert "address" in bad.value.errors
    with pytest.raises(ValidationError) as bad:
        printing.set_printer("T1", "usb", "epson")
    assert "address" in bad.value.errors
    assert printing.get_printer("T1") is None

    info = printing.set_printer("T1", "NETWORK", " 192.168.1.50 ", code_page="cp1252")
    assert (info.kind, info.address, info.width, info.code_page, info.drawer) == (
        "network", "192.168.1.50", 42, "CP1252", True)
    assert printing.parse_address("network", info.address) == ("192.168.1.50", 9100)
    info = printing.set_printer("T1", width=32)  # the rest is kept
    assert (info.address, info.width, info.code_page) == ("192.168.1.50", 32, "CP1252")
    A = models.AuditLog
    entry = A.select().where(A.entity == "printer").order_by(A.id.desc()).get()
    assert json.loads(entry.changes) == {"width": [42, 32]}
    assert printing.remove_printer("T1") and printing.get_printer("T1") is None


def test_a_queued_receipt_still_prints_when_the_receipt_gains_fields(open_till, ana):
    receipt = sell(ana, TUNA)
    payload = printing.receipt_payload(replace(receipt))
    payload["receipt"]["some_future_field"] = 1
    payload["receipt"]["lines"][0]["another"] = "x"
    assert "Atún" in printing.preview(printing.layout_receipt(payload, 42))


# The command line -----------------------------------------------------------------------------------


@pytest.fixture
def cli(db_path, monkeypatch):
    return cli_runner(db_path, monkeypatch, columns=160)


def test_pos_printer_set_show_test_queue_retry(cli, printer):
    assert cli("demo").exit_code == 0
    shown = cli("printer", "show")
    assert shown.exit_code == 1 and "has no printer" in shown.output

    bad = cli("printer", "set", "--kind", "network", "--address", "x:0", "--width", "40")
    assert bad.exit_code == 1 and "width" in bad.output and "address" in bad.output

    done = cli("--till", "T2", "printer", "set", "--kind", "network", "--address", printer.address, "--width", "32")
    assert done.exit_code == 0, done.output
    assert "T2" in done.output and "CP858 (default)" in done.output
    assert cli("printer", "show").exit_code == 1  # T1 has none
    shown = cli("printer", "show", "--till", "T2", "--format", "json")
    assert json.loads(shown.output)[0]["address"] == printer.address

    tested = cli("printer", "test", "--till", "T2")
    assert tested.exit_code == 0, tested.output
    assert "Test page sent" in tested.output
    assert printer.wait_for_jobs(1)
    page = printer.jobs[0]
    assert b"At\xa3n, Se\xa4ora" in page and b"12,50 \xd5" in page and CODE128 in page and CUT in page
    assert PULSE not in page

    port = closed_port()
    assert cli("printer", "set", "--till", "T2", "--address", f"127.0.0.1:{port}").exit_code == 0
    failed = cli("printer", "test", "--till", "T2")
    assert failed.exit_code == 1 and "refused the connection" in failed.output and str(port) in failed.output

    # a sale made while the printer is away waits in the queue; retry prints it once it is back
    db.open_database(cli.db_path)
    ana = cashiers.authenticate("Ana", "1234")
    sessions.open_session("T2", ana.id, 0)
    sale = sales.current_sale("T2", ana.id)
    sales.add_code(sale.id, TUNA)
    receipt = sales.checkout(sale.uuid, [Tender("cash", 500)], cashier_id=ana.id)
    printing.enqueue_receipt(receipt)
    printing.drain("T2")
    db.close_database()
    queue = cli("printer", "queue", "--till", "T2")
    assert queue.exit_code == 0 and receipt.number in queue.output and "pending" in queue.output
    assert "refused" in queue.output
    assert "Nothing waits" in cli("printer", "queue").output  # T1's queue
    still = cli("printer", "retry", "--till", "T2")
    assert still.exit_code == 1 and "1 still waiting" in still.output

    assert cli("printer", "set", "--till", "T2", "--address", printer.address).exit_code == 0
    retried = cli("printer", "retry", "--till", "T2")
    assert retried.exit_code == 0, retried.output
    assert f"Printed 1: {receipt.number}" in retried.output
    assert printer.wait_for_jobs(2) and PULSE in printer.jobs[1]
    assert "Nothing waits" in cli("printer", "queue", "--till", "T2").output
    listed = json.loads(cli("printer", "queue", "--till", "T2", "--all", "--format", "json").output)
    assert [(job["number"], job["state"], job["attempts"]) for job in listed] == [(receipt.number, "done", 3)]
    assert cli("printer", "remove", "--till", "T2").exit_code == 0
    assert cli("printer", "remove", "--till", "T2").exit_code == 1
