"""The Z report of a session: what the till sold, how it was paid, what the drawer held.
Shown at closing and by `pos session report ID`; every figure is an SQL aggregate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from pos_tui import l10n, models
from pos_tui.db import local_time
from pos_tui.i18n import _
from pos_tui.money import TaxBreakdown, format_rate, split_tax
from pos_tui.services import approvals, invoices, pricing
from pos_tui.services.payments import method_label
from pos_tui.services.sessions import CashMove, MethodCount, SessionInfo, cash_moves, get_session
from pos_tui.services.taxes import part_label


@dataclass(frozen=True)
class VoidedSale:
    number: str
    total_minor: int
    voided_at: datetime | None


@dataclass(frozen=True)
class ZReport:
    session: SessionInfo
    closed_by: str | None
    sales_count: int
    sales_total_minor: int
    net_minor: int
    tax_minor: int
    discounts_minor: int
    by_method: tuple[tuple[str, int], ...]
    by_tax_rate: tuple[TaxBreakdown, ...]
    refunds_count: int
    refunds_total_minor: int
    account_payments_count: int
    account_payments_minor: int
    voided: tuple[VoidedSale, ...]
    cash_moves: tuple[CashMove, ...]
    counts: tuple[MethodCount, ...]
    invoice_numbers: tuple[str, ...]
    first_number: str | None
    last_number: str | None
    approvals: int


def z_report(session_id: int) -> ZReport:
    info = get_session(session_id)
    O, L = models.Order, models.OrderLine
    paid = (O.session == session_id) & (O.state == "paid")
    sales = (O.select(fn.COUNT(O.id), fn.COALESCE(fn.SUM(O.total_minor), 0), fn.COALESCE(fn.SUM(O.net_minor), 0),
                      fn.COALESCE(fn.SUM(O.tax_minor), 0), fn.COALESCE(fn.SUM(O.discount_minor), 0),
                      fn.MIN(O.number), fn.MAX(O.number))
             .where(paid & (O.kind == "sale")).scalar(as_tuple=True))
    count, total, net, tax, discounts, first, last = sales
    refunds_count, refunds_total = (O.select(fn.COUNT(O.id), fn.COALESCE(fn.SUM(O.total_minor), 0))
                                    .where(paid & (O.kind == "refund")).scalar(as_tuple=True))
    P = models.Payment
    received = (P.select(fn.COUNT(fn.DISTINCT(O.id)), fn.COALESCE(fn.SUM(P.amount_minor), 0)).join(O)
                .where(paid & (O.kind == "account_payment") & (P.method != "account")).scalar(as_tuple=True))
    rates = (L.select(L.tax_rate_bp, L.taxes, fn.SUM(L.net_minor), fn.SUM(L.tax_minor)).join(O).where(paid)
             .group_by(L.tax_rate_bp, L.taxes).order_by(L.tax_rate_bp, L.taxes).tuples())
    voided = (O.select(O.number, O.total_minor, O.voided_at)
              .where((O.session == session_id) & (O.state == "voided")).order_by(O.id).tuples())
    closer = models.PosSession.get_by_id(session_id).closed_by
    return ZReport(
        info, closer.name if closer else None, int(count), int(total), int(net), int(tax), int(discounts),
        tuple(sorted(info.totals_by_method.items())),
        _by_tax(rates),
        int(refunds_count), int(refunds_total), int(received[0]), int(received[1]),
        tuple(VoidedSale(*row) for row in voided), tuple(cash_moves(session_id)), info.counts,
        tuple(invoices.numbers_for_session(session_id)), first, last,
        len(approvals.list_approvals(session_id=session_id)),
    )


def _by_tax(rows) -> tuple[TaxBreakdown, ...]:
    """The lines' base and tax per rate; the lines with several taxes (VAT + surcharge) apart, their
    tax shared between those taxes as the tax engine shares it."""
    groups: dict[tuple[int, tuple], list[int]] = {}
    for rate, snapshot, net, tax in rows:
        parts = pricing.tax_parts(snapshot or "")
        bucket = groups.setdefault((rate, parts if len(parts) > 1 else ()), [0, 0])
        bucket[0] += int(net)
        bucket[1] += int(tax)
    return tuple(TaxBreakdown(rate, net, tax, split_tax(tax, parts) if parts else ())
                 for (rate, parts), (net, tax) in sorted(groups.items()))


def render_text(report: ZReport, store_name: str, money: Callable[[int], str], width: int = 48) -> str:
    """The Z report in plain text, `width` columns wide (screen and, later, the printer)."""

    def pair(left: str, right: str) -> str:
        room = width - len(right) - 1
        return f"{left[:room]:<{room}} {right}"

    s = report.session
    rule = "-" * width

    def when(moment: datetime | None) -> str:
        return l10n.format_datetime(local_time(moment)) if moment else "—"

    out = [store_name.center(width), _("Z REPORT").center(width), rule,
           pair(_("Session"), str(s.id)), pair(_("Till"), s.till), pair(_("Cashier"), s.cashier_name),
           pair(_("Opened"), when(s.opened_at)), pair(_("Closed"), when(s.closed_at))]
    if report.closed_by and report.closed_by != s.cashier_name:
        out.append(pair(_("Closed by"), report.closed_by))
    out += [rule, pair(_("Sales"), str(report.sales_count)), pair(_("Sales total"), money(report.sales_total_minor))]
    if report.first_number:
        out.append(pair(_("Numbers"), f"{report.first_number} … {report.last_number}"))
    out.append(pair(_("Discounts given"), money(report.discounts_minor)))
    out.append(pair(_("Refunds ({n})").format(n=report.refunds_count), money(report.refunds_total_minor)))
    if report.account_payments_count:
        out.append(pair(_("Paid on account ({n})").format(n=report.account_payments_count),
                        money(report.account_payments_minor)))
    for sale in report.voided:
        out.append(pair(_("Voided {number}").format(number=sale.number), money(sale.total_minor)))
    out += [rule, _("By payment method")]
    for method, amount in report.by_method:
        out.append(pair("  " + method_label(method), money(amount)))
    out += [rule, _("By tax rate (base / tax)")]
    for rate in report.by_tax_rate:
        if rate.parts:  # several taxes on one base (VAT + surcharge): each on its own line
            for part in rate.parts:
                out.append(pair(f"  {part_label(part.name, part.rate_bp)}",
                                f"{money(rate.net_minor)} / {money(part.tax_minor)}"))
            continue
        out.append(pair(f"  {format_rate(rate.rate_bp)}", f"{money(rate.net_minor)} / {money(rate.tax_minor)}"))
    out.append(pair(_("  Total tax"), money(report.tax_minor)))
    out += [rule, pair(_("Opening float"), money(s.opening_float_minor))]
    for move in report.cash_moves:
        out.append(pair(("  " + _("Cash in: {reason}") if move.amount_minor > 0 else "  " + _("Cash out: {reason}"))
                        .format(reason=move.reason), money(move.amount_minor)))
    if report.counts:
        out += [rule, pair(_("Counted"), _("expected / counted / diff"))]
        for c in report.counts:
            out.append(pair("  " + method_label(c.method), f"{money(c.expected_minor)} / {money(c.counted_minor)}"
                            f" / {money(c.difference_minor)}"))
    if report.invoice_numbers:
        out.append(rule)
        out.append(pair(_("Invoice numbers"), f"{report.invoice_numbers[0]} … {report.invoice_numbers[-1]}"
                        if len(report.invoice_numbers) > 3 else ", ".join(report.invoice_numbers)))
    if report.approvals:
        out.append(pair(_("Manager approvals"), str(report.approvals)))
    return "\n".join(out)
