"""`pos loyalty …`: the loyalty programme's rules, a customer's points, the nightly chores (expire,
check the cached balances) and the reports on customers and points.

`--format json` prints plain values for scripts: times in ISO 8601 (UTC), amounts in integer minor
units (`…_minor`) beside the store's `currency` and `currency_exponent`. `--format csv` (reports)
writes amounts as decimal numbers with a point (`12.50`) beside a `currency` column, and text cells
that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return)
with a `'` in front.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Annotated

import typer
from babel.numbers import format_decimal, get_decimal_symbol
from rich import box
from rich.cells import cell_len
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from pos_tui import cli_common, db, l10n
from pos_tui.cli_common import Format, console, err, fail, open_db, require_store
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import _, ngettext
from pos_tui.l10n import format_number as count
from pos_tui.money import format_plain
from pos_tui.services import cashiers, customers, loyalty
from pos_tui.services import loyalty_reports as reports
from pos_tui.services.store import StoreInfo

loyalty_app = typer.Typer(help="Loyalty points: the rules, a customer's points, expiry, checks, reports.",
                          no_args_is_help=True)
config_app = typer.Typer(help="The loyalty programme's rules: show them, or set a new version.",
                         no_args_is_help=True)
loyalty_app.add_typer(config_app, name="config")

FormatOpt = Annotated[Format, typer.Option("--format", help="table for people, json for scripts.")]
CustomerArg = Annotated[int, typer.Argument(metavar="CUSTOMER_ID", show_default=False,
                                            help="The customer's id (see `pos customers search`).")]


class ReportKind(str, Enum):
    top_spend = "top-spend"
    top_points = "top-points"
    liability = "liability"
    points_monthly = "points-monthly"
    rfm = "rfm"
    inactive = "inactive"
    new_customers = "new-customers"


class ReportFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


# Small helpers --------------------------------------------------------------------------------------


def _invalid(errors: dict[str, str]) -> None:
    """One line per bad option on stderr, exit status 1 (nothing was written)."""
    for name, message in errors.items():
        err.print(f"[bold red]{escape(name)}:[/] {escape(message)}", highlight=False)
    raise typer.Exit(1)


def _call(action, *args, options: dict[str, str] | None = None, **kwargs):
    """A service call; its refusal printed with the command line's option names, exit 1."""
    try:
        return action(*args, **kwargs)
    except ValidationError as exc:
        names = options or {}
        _invalid({names.get(key, key): message for key, message in exc.errors.items()})
    except PosError as exc:
        fail(escape(exc.message))


def _parse_day(text: str, option: str, errors: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[option] = _("“{text}” is not a date: use YYYY-MM-DD, e.g. 2026-03-31").format(text=text)
        return None


def _utc_start(day: date) -> datetime:
    """The start of a local calendar day, as stored timestamps are (naive UTC)."""
    return datetime.combine(day, time.min).astimezone().astimezone(timezone.utc).replace(tzinfo=None)


def _local_today() -> date:
    return db.local_time(db.now()).date()


def _day(value: datetime | None) -> str:
    return l10n.format_date(db.local_time(value)) if value else ""


def _when(value: datetime | None) -> str:
    return l10n.format_datetime(db.local_time(value)) if value else ""


def _money_header(shop: StoreInfo) -> dict:
    return {"currency": shop.currency, "currency_exponent": shop.exponent}


def _number(value: Decimal, locale: str) -> str:
    """A decimal as typed back: `1,25` in Spain, no trailing zeros."""
    text = f"{value.normalize():f}"
    return text.replace(".", get_decimal_symbol(locale))


def _interactive() -> bool:
    return sys.stdin.isatty()


BLOCKS = "▏▎▍▌▋▊▉█"  # 1/8 … 8/8 of a character cell
BAR_WIDTH = 20
MIN_BAR_WIDTH = 6


def bar(value: int, largest: int, width: int = BAR_WIDTH) -> str:
    """A bar of block characters, `width` cells for `largest`, in eighths of a cell (`█▌`):
    empty for nothing, at least a sliver for any positive value."""
    if value <= 0 or largest <= 0:
        return ""
    eighths = max(1, (value * width * 8 + largest // 2) // largest)
    full, part = divmod(min(eighths, width * 8), 8)
    return "█" * full + (BLOCKS[part - 1] if part else "")


def safe_cell(value):
    """A CSV cell a spreadsheet will not run: a `'` before text starting with = + - @, a tab or
    a carriage return. Numbers stay numbers."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


# pos loyalty config -----------------------------------------------------------------------------------


def _rules_doc(rules: loyalty.Rules, shop: StoreInfo) -> dict:
    return {**_money_header(shop), "version": rules.id, **dataclasses.asdict(rules)}


def _print_rules(rules: loyalty.Rules, shop: StoreInfo) -> None:
    exp = shop.exponent
    table = Table(show_header=False, box=None)
    table.add_row(_("Rules"), _("version {id}, from {when}").format(id=rules.id, when=_when(rules.valid_from))
                  if rules.id else _("the defaults (never set)"))
    table.add_row(_("Enabled"), _("yes") if rules.enabled else _("no"))
    table.add_row(_("Points per unit"), _("{points} per {currency} spent").format(
        points=_number(Decimal(rules.points_per_unit_milli).scaleb(-3), shop.locale), currency=shop.currency))
    table.add_row(_("Minimum sale"), shop.money(rules.min_order_minor))
    table.add_row(_("Point value"), f"{_number(Decimal(rules.point_value_milli).scaleb(-exp - 3), shop.locale)} "
                                    f"{shop.currency}")
    table.add_row(_("Points expire"), ngettext("after {n} day", "after {n} days", rules.expiry_days).format(
        n=rules.expiry_days) if rules.expiry_days else _("never"))
    table.add_row(_("Excluded categories"), Text(", ".join(rules.excluded_categories) or "—"))
    table.add_row(_("Excluded SKUs"), Text(", ".join(rules.excluded_skus) or "—"))
    console.print(table)
    tiers = Table(_("Tier"), _("From a year's spend of"), _("Points ×"), _("Discount"), box=box.SIMPLE_HEAD)
    for tier in rules.tiers:
        tiers.add_row(Text(tier.name), shop.money(tier.min_spend_minor),
                      _number(Decimal(tier.multiplier_bp).scaleb(-4), shop.locale),
                      f"{_number(Decimal(tier.discount_bp).scaleb(-2), shop.locale)} %")
    console.print(tiers)


@config_app.command("show")
def config_show(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """The rules in force: points per unit spent, minimum sale, point value, expiry, tiers, exclusions."""
    open_db(ctx)
    shop = require_store()
    rules = loyalty.current_rules()
    if fmt is Format.json:
        cli_common.echo_json(_rules_doc(rules, shop))
        return
    _print_rules(rules, shop)


#: set_rules' keys -> the options that give them.
RULE_OPTIONS = {"enabled": "--enabled", "points_per_unit": "--points-per-unit", "min_order": "--min-order",
                "point_value": "--point-value", "expiry_days": "--expiry-days", "tiers": "--tiers",
                "excluded_categories": "--excluded-categories", "excluded_skus": "--excluded-skus"}


def _opt(flag: str, help_text: str, metavar: str | None = None):
    return Annotated[str | None, typer.Option(flag, help=help_text, metavar=metavar, show_default=False)]


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    enabled: _opt("--enabled", "Earn points at all: yes or no.", "yes|no") = None,
    points_per_unit: _opt("--points-per-unit", "Points per currency unit spent, e.g. 1 or 1,5.") = None,
    min_order: _opt("--min-order", "Smaller sales earn nothing, e.g. 10 or 10,00.") = None,
    point_value: _opt("--point-value", "What a point is worth when redeemed, e.g. 0,01.") = None,
    expiry_days: _opt("--expiry-days", "Each earning's points expire after this many days (0: never).") = None,
    tiers: _opt("--tiers", "name:min spend in a year:multiplier:discount %, comma-separated, the first from 0, "
                           "e.g. 'Bronze:0:1:0,Silver:500:1.25:0,Gold:1500:1.5:5'.") = None,
    excluded_categories: _opt("--excluded-categories", "Categories that earn no points, e.g. 'Tabaco,Loterías' "
                                                       "('' for none).") = None,
    excluded_skus: _opt("--excluded-skus", "Products that earn no points, e.g. 'P001,P002' ('' for none).") = None,
    cashier: _opt("--cashier", "Who changes the rules (recorded with them).", "NAME") = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Set a new version of the rules, changing only the settings given; it applies from now on
    (points already earned keep theirs). Every bad value is reported at once and nothing is saved."""
    open_db(ctx)
    shop = require_store()
    given = {"enabled": enabled, "points_per_unit": points_per_unit, "min_order": min_order,
             "point_value": point_value, "expiry_days": expiry_days, "tiers": tiers,
             "excluded_categories": excluded_categories, "excluded_skus": excluded_skus}
    changes = {key: value for key, value in given.items() if value is not None}
    if not changes:
        fail(_("give at least one setting to change (see --help)"), 2)
    who = None
    if cashier is not None:
        who = cashiers.find_cashier(cashier)
        if who is None:
            _invalid({"--cashier": _("no cashier called “{name}”").format(name=cashier)})
    rules = _call(loyalty.set_rules, who.id if who else None, options=RULE_OPTIONS, **changes)
    if fmt is Format.json:
        cli_common.echo_json(_rules_doc(rules, shop))
        return
    console.print(_("Rules version {id} applies from now on.").format(id=rules.id))
    _print_rules(rules, shop)


# pos loyalty check / expire / adjust / show ----------------------------------------------------------------


@loyalty_app.command("check")
def check_cmd(
    ctx: typer.Context,
    fix: Annotated[bool, typer.Option("--fix", help="Set each wrong cached balance to its ledger's.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Check every customer's cached points balance against their ledger. Exit status 1 when some
    differ (and --fix was not given)."""
    open_db(ctx)
    require_store()
    differences = _call(loyalty.check, fix)
    if fmt is Format.json:
        cli_common.echo_json({"fixed": fix, "differences": [dataclasses.asdict(d) for d in differences]})
    elif not differences:
        console.print(_("Every cached balance matches its ledger."))
    else:
        table = Table(_("ID"), _("Customer"), _("Cached"), _("Ledger"), _("Difference"), box=box.SIMPLE_HEAD)
        for d in differences:
            table.add_row(str(d.customer_id), Text(d.name), str(d.cached), str(d.ledger), f"{d.cached - d.ledger:+d}")
        console.print(table)
        if fix:
            console.print(ngettext("Mended {n} balance.", "Mended {n} balances.", len(differences))
                          .format(n=len(differences)))
        else:
            console.print(ngettext("{n} balance differs from its ledger: run with --fix to mend it.",
                                   "{n} balances differ from their ledger: run with --fix to mend them.",
                                   len(differences)).format(n=len(differences)))
    if differences and not fix:
        raise typer.Exit(1)


@loyalty_app.command("expire")
def expire_cmd(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATE", show_default=False,
        help="Expire what expired up to the end of this day (YYYY-MM-DD, not after today; default: now).")] = None,
) -> None:
    """Expire the points past their date, earning by earning. Safe to run twice: what already
    expired is not expired again."""
    open_db(ctx)
    require_store()
    at = None
    if as_of is not None:
        errors: dict[str, str] = {}
        day = _parse_day(as_of, "--as-of", errors)
        if day is not None and day > _local_today():
            errors["--as-of"] = _("{day} is in the future: points expire only once their day has come").format(
                day=day.isoformat())
        if errors:
            _invalid(errors)
        at = min(db.now(), _utc_start(day + timedelta(days=1)) - timedelta(microseconds=1))
    points = _call(loyalty.expire, at)
    console.print(ngettext("{n} point expired.", "{n} points expired.", points).format(n=count(points)))


@loyalty_app.command("adjust", context_settings={"ignore_unknown_options": True})
def adjust_cmd(
    ctx: typer.Context,
    customer_id: CustomerArg,
    points: Annotated[int, typer.Argument(metavar="POINTS", show_default=False,
                                          help="Points to add, or to take with a minus: 50, -30.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the ledger).")],
    manager: Annotated[str, typer.Option("--manager", metavar="NAME", help="The manager who approves.")],
    manager_pin: Annotated[str | None, typer.Option(
        "--manager-pin", envvar="POS_MANAGER_PIN", show_default=False,
        help="The manager's PIN (asked without echo when missing on a terminal).")] = None,
) -> None:
    """A manager adds points to a customer, or takes some (never more than the balance), with the reason."""
    open_db(ctx)
    require_store()
    if manager_pin is None:
        if not _interactive():
            fail(_("give the manager's PIN: --manager-pin or POS_MANAGER_PIN"), 2)
        manager_pin = typer.prompt(_("Manager's PIN"), hide_input=True)
    who = _call(cashiers.authenticate, manager, manager_pin)
    if who.role != "manager":
        fail(_("{name} is not a manager.").format(name=escape(who.name)))
    balance = _call(loyalty.adjust, customer_id, points, reason, who.id,
                    options={"points": "POINTS", "reason": "--reason"})
    console.print(_("{points:+d} points for customer {id}, approved by {manager}. Balance: {balance}.").format(
        points=points, id=customer_id, manager=escape(who.name), balance=count(balance)), highlight=False)


@loyalty_app.command("show")
def show_cmd(
    ctx: typer.Context,
    customer_id: CustomerArg,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Ledger entries shown, newest first.")] = 50,
    fmt: FormatOpt = Format.table,
) -> None:
    """A customer's points: balance and what it is worth, tier, points expiring in the next 30
    days, and the ledger, newest first."""
    open_db(ctx)
    shop = require_store()
    info = _call(customers.get_customer, customer_id)
    status = loyalty.status(customer_id)
    lines = loyalty.ledger(customer_id, limit)
    if fmt is Format.json:
        cli_common.echo_json({**_money_header(shop), "customer_id": info.id, "name": info.name,
                              **dataclasses.asdict(status), "ledger": [dataclasses.asdict(line) for line in lines]})
        return
    table = Table(show_header=False, box=None)
    table.add_row(_("Customer"), Text(f"{info.name} ({info.id})"))
    table.add_row(_("Balance"), _("{points} points, worth {value}").format(points=count(status.balance),
                                                                          value=shop.money(status.value_minor)))
    table.add_row(_("Tier"), Text(status.tier) + (Text(" " + _("({discount} % off)").format(
        discount=_number(Decimal(status.tier_discount_bp).scaleb(-2), shop.locale))) if status.tier_discount_bp
        else Text("")))
    table.add_row(_("Expiring in 30 days"), count(status.expiring_30_days))
    if not status.enabled:
        table.add_row(_("Programme"), _("disabled: sales earn no points"))
    console.print(table)
    if not lines:
        console.print(_("No points yet."))
        return
    ledger = Table(_("When"), _("What"), _("Points"), _("Sale"), _("Expires"), _("By"), _("Reason"),
                   box=box.SIMPLE_HEAD)
    for column in ledger.columns[:5]:  # the reason wraps instead
        column.no_wrap = True
    for line in lines:
        ledger.add_row(_when(line.at), _(loyalty.KIND_LABELS.get(line.kind, line.kind)),
                       Text(f"{line.points:+,}", style="green" if line.points > 0 else "red"),
                       line.order_number or "", _day(line.expires_at), Text(line.cashier or ""), Text(line.reason))
    console.print(ledger)


# pos loyalty report --------------------------------------------------------------------------------------

TEXT, INT, MONEY, DAY = "text", "int", "money", "day"


@dataclass(frozen=True)
class Column:
    key: str  # the key in JSON and the CSV header (money: without `_minor` in CSV)
    label: str
    kind: str = TEXT
    bar: bool = False  # a bar chart beside it, sized to the column's largest value
    shown: Callable[[object], str] | None = None  # the table's text, when not the plain value
    optional: bool = False  # left out of the table when the terminal is too narrow for it


@dataclass
class View:
    title: str
    columns: list[Column]
    rows: list[dict]
    extra: dict = field(default_factory=dict)  # more JSON: totals, as_of…
    totals: dict | None = None  # a footer row in the table
    note: str = ""


def _as_of_text(moment: datetime) -> str:
    return _when(moment)


def _view(kind: ReportKind, since: datetime | None, until: datetime | None, limit: int | None,
          days: int) -> View:
    """Run the report and describe how to print it."""
    name, customer_id = Column("name", _("Customer")), Column("customer_id", _("ID"), INT)
    if kind is ReportKind.top_spend:
        rows = reports.top_spend(since, until, limit or 20)
        return View(_("Top customers by spend"), [
            customer_id, name, Column("purchases", _("Purchases"), INT), Column("spend_minor", _("Spend"), MONEY, True),
            Column("last_purchase", _("Last purchase"), DAY, optional=True)], [dataclasses.asdict(r) for r in rows])
    if kind is ReportKind.top_points:
        rows = reports.top_points(until, limit or 20)
        return View(_("Top customers by points balance"), [
            customer_id, name, Column("points", _("Points"), INT, True), Column("value_minor", _("Worth"), MONEY)],
            [dataclasses.asdict(r) for r in rows])
    if kind is ReportKind.liability:
        owed = reports.liability(until)
        overdue = any(r.month is not None and r.month < owed.as_of.strftime("%Y-%m") for r in owed.rows)
        return View(_("Points owed, by the month they expire, as of {when}").format(when=_as_of_text(owed.as_of)), [
            Column("month", _("Expires"), shown=lambda m: m or _("never")), Column("points", _("Points"), INT),
            Column("value_minor", _("Worth"), MONEY, True), Column("earnings", _("Earnings"), INT, optional=True),
            Column("customers", _("Customers"), INT)], [dataclasses.asdict(r) for r in owed.rows],
            {"as_of": owed.as_of, "point_value_milli": owed.point_value_milli, "total_points": owed.points,
             "total_value_minor": owed.value_minor},
            {"month": _("Total"), "points": owed.points, "value_minor": owed.value_minor},
            _("Past months: points past their date, still owed until `pos loyalty expire` runs.") if overdue else "")
    if kind is ReportKind.points_monthly:
        rows = reports.points_monthly(since, until)
        return View(_("Points per month"), [
            Column("month", _("Month")), Column("issued", _("Issued"), INT, True),
            Column("redeemed", _("Redeemed"), INT), Column("expired", _("Expired"), INT),
            Column("taken_back", _("Taken back"), INT), Column("net", _("Net"), INT)],
            [dataclasses.asdict(r) for r in rows],
            totals={"month": _("Total"), **{key: sum(getattr(r, key) for r in rows)
                                            for key in ("issued", "redeemed", "expired", "taken_back", "net")}},
            note=_("Issued: earned, given back by refunds, added by managers. Taken back: by refunds "
                   "or managers. Net: how much the balances grew."))
    if kind is ReportKind.rfm:
        result = reports.rfm(since, until)
        return View(_("RFM segments as of {when}").format(when=_as_of_text(result.as_of)), [
            Column("label", _("Segment")), Column("rule", _("Scores"), optional=True),
            Column("customers", _("Customers"), INT, True),
            Column("purchases", _("Purchases"), INT), Column("spend_minor", _("Spend"), MONEY),
            Column("avg_recency_days", _("Days (avg.)"), INT)],
            [dataclasses.asdict(s) for s in result.segments],
            {"as_of": result.as_of, "total_customers": result.customers, "total_spend_minor": result.spend_minor},
            {"label": _("Total"), "customers": result.customers, "spend_minor": result.spend_minor,
             "purchases": sum(s.purchases for s in result.segments)},
            _("R, F, M: recency, frequency, spend, each scored 1–5 by quintiles (5: the best fifth; equal "
              "values score alike). Days: since the last purchase, on average."))
    if kind is ReportKind.inactive:
        result = reports.inactive(days, until, limit or 20)

        def days_since(row) -> int | None:
            return (result.as_of - row.last_purchase).days if row.last_purchase else None

        return View(ngettext("Customers with no purchase in {n} day ({total} in all, the biggest spenders first)",
                             "Customers with no purchase in {n} days ({total} in all, the biggest spenders first)",
                             days).format(n=days, total=count(result.total)), [
            customer_id, name, Column("last_purchase", _("Last purchase"), DAY, shown=lambda v: _day(v) or _("never")),
            Column("days_since", _("Days"), INT, shown=lambda v: "" if v is None else count(v)),
            Column("purchases", _("Purchases"), INT), Column("spend_minor", _("Spend"), MONEY, True)],
            [{**dataclasses.asdict(r), "days_since": days_since(r)} for r in result.rows],
            {"as_of": result.as_of, "days": result.days, "total": result.total})
    rows = reports.new_customers(since, until)
    return View(_("New customers per month"), [
        Column("month", _("Month")), Column("customers", _("New customers"), INT, True),
        Column("bought", _("Have bought"), INT)], [dataclasses.asdict(r) for r in rows],
        totals={"month": _("Total"), "customers": sum(r.customers for r in rows),
                "bought": sum(r.bought for r in rows)})


def _print_table(view: View, shop: StoreInfo) -> None:
    """The report as a Rich table, a bar beside the charted column. It fits the terminal: the
    bars shrink first (down to MIN_BAR_WIDTH), then customer names are cut with an ellipsis;
    numbers are never cut."""

    def text(column: Column, value) -> str | Text:
        if column.shown is not None:
            return column.shown(value)
        if value is None:
            return ""
        if column.kind == MONEY:
            return shop.money(value)
        if column.kind == INT:
            return format_decimal(value, locale=shop.locale)
        if column.kind == DAY:
            return _day(value)
        return Text(str(value))

    cells = [[text(column, row[column.key]) for column in view.columns] for row in view.rows]
    footers = []
    for column in view.columns:
        total = view.totals.get(column.key, "") if view.totals is not None else ""
        footers.append(text(column, total) if column.kind != TEXT and total != "" else str(total))
    widths = [max([cell_len(str(column.label)), cell_len(str(footers[i]))]
                  + [cell_len(str(row[i])) for row in cells]) for i, column in enumerate(view.columns)]
    largest = {c.key: max([r[c.key] or 0 for r in view.rows], default=0) for c in view.columns if c.bar}
    names = [i for i, column in enumerate(view.columns) if column.key == "name"]
    name_natural = widths[names[0]] if names else 0
    name_least = min(name_natural, 12)

    def build(shown: list[int], bar_width: int, name_width: int) -> Table:
        table = Table(title=view.title, title_justify="left", box=box.SIMPLE_HEAD,
                      show_footer=view.totals is not None)
        for i in shown:
            column = view.columns[i]
            if column.key == "name":  # the one column cut (with an ellipsis) when the terminal is narrow
                table.add_column(column.label, no_wrap=True, overflow="ellipsis", width=name_width,
                                 footer=footers[i])
            else:
                table.add_column(column.label, justify="right" if column.kind in (INT, MONEY) else "left",
                                 no_wrap=True, width=widths[i], footer=footers[i])
            if column.bar:
                table.add_column("", no_wrap=True, style="cyan", width=bar_width)
        for row, line_cells in zip(view.rows, cells, strict=True):
            line = []
            for i in shown:
                column = view.columns[i]
                line.append(line_cells[i])
                if column.bar:
                    line.append(bar(row[column.key] or 0, largest[column.key], bar_width))
            table.add_row(*line)
        return table

    # Fit the terminal: cut the names down to 24 characters, shrink the bars (down to
    # MIN_BAR_WIDTH), cut the names down to 12, then leave out the optional columns (they stay in
    # CSV and JSON), the last first.
    wide = console.options.update_width(10_000)  # what the table wants, not clamped to the terminal
    shown = list(range(len(view.columns)))
    while True:
        bar_width, name_width = BAR_WIDTH, name_natural
        excess = Measurement.get(console, wide, build(shown, bar_width, name_width)).maximum - console.width
        for floor in (max(name_least, 24), None, name_least):  # names to 24, bars, names to 12
            if excess <= 0:
                break
            if floor is None and largest:
                cut = min(excess, BAR_WIDTH - MIN_BAR_WIDTH)
                bar_width, excess = bar_width - cut, excess - cut
            elif floor is not None and names:
                cut = max(0, min(excess, name_width - floor))
                name_width, excess = name_width - cut, excess - cut
        optional = [i for i in shown if view.columns[i].optional]
        if excess <= 0 or not optional:
            break
        shown.remove(optional[-1])
    table = build(shown, bar_width, name_width)
    console.print(table)
    if not view.rows:
        console.print(_("Nothing to report."))
    if view.note:
        console.print(view.note, highlight=False)


def _csv(view: View, shop: StoreInfo) -> str:
    has_money = any(c.kind == MONEY for c in view.columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key.removesuffix("_minor") if c.kind == MONEY else c.key for c in view.columns]
                    + (["currency"] if has_money else []))

    def cell(column: Column, value):
        if value is None:
            return ""
        if column.kind == MONEY:
            return format_plain(value, shop.exponent, "en")  # 12.50: a number for any spreadsheet
        if column.kind == DAY:
            return _day(value)
        return safe_cell(value)

    for row in view.rows:
        writer.writerow([cell(c, row[c.key]) for c in view.columns] + ([shop.currency] if has_money else []))
    return out.getvalue()


#: Which reports take which range options.
_RANGE = {ReportKind.top_spend, ReportKind.points_monthly, ReportKind.rfm, ReportKind.new_customers}
_LISTS = {ReportKind.top_spend, ReportKind.top_points, ReportKind.inactive}


@loyalty_app.command("report")
def report_cmd(
    ctx: typer.Context,
    kind: Annotated[ReportKind, typer.Argument(metavar="KIND", show_default=False, help=(
        "top-spend: customers by spend in the range · top-points: by points balance · liability: points "
        "owed and their worth, by expiry month · points-monthly: points issued, redeemed, expired · "
        "rfm: recency/frequency/spend segments · inactive: no purchase in --days · new-customers: per month."))],
    since: Annotated[str | None, typer.Option("--since", metavar="DATE", show_default=False,
                                              help="From this day (YYYY-MM-DD), for top-spend, points-monthly, "
                                                   "rfm and new-customers.")] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="DATE", show_default=False,
                                              help="Up to this day, included (YYYY-MM-DD); the other reports are "
                                                   "as of its end. Default: now.")] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="table for people, csv for a spreadsheet, "
                                                               "json for scripts.")] = ReportFormat.table,
    limit: Annotated[int | None, typer.Option("--limit", show_default=False,
                                              help="Rows of top-spend, top-points, inactive (default 20).")] = None,
    days: Annotated[int | None, typer.Option("--days", show_default=False,
                                             help="inactive: no purchase in this many days (default 90).")] = None,
) -> None:
    """Reports on customers and loyalty points, as a table with bars, CSV or JSON. Months are
    calendar months in UTC."""
    open_db(ctx)
    shop = require_store()
    errors: dict[str, str] = {}
    first = last = None
    if since is not None:
        if kind not in _RANGE:
            errors["--since"] = _("{kind} is as of --until: it takes no --since").format(kind=kind.value)
        else:
            day = _parse_day(since, "--since", errors)
            first = _utc_start(day) if day else None
    if until is not None:
        day = _parse_day(until, "--until", errors)
        last = _utc_start(day + timedelta(days=1)) if day else None  # the whole day
    if first is not None and last is not None and first >= last:
        errors["--until"] = _("is before --since")
    if limit is not None and kind not in _LISTS:
        errors["--limit"] = _("only top-spend, top-points and inactive take --limit")
    elif limit is not None and limit < 1:
        errors["--limit"] = _("must be 1 or more")
    if days is not None and kind is not ReportKind.inactive:
        errors["--days"] = _("only inactive takes --days")
    elif days is not None and days < 1:
        errors["--days"] = _("must be 1 or more")
    if errors:
        _invalid(errors)
    view = _call(_view, kind, first, last, limit, days or 90,
                 options={"limit": "--limit", "days": "--days"})
    if fmt is ReportFormat.json:
        cli_common.echo_json({"report": kind.value, **_money_header(shop), "since": first, "until": last,
                              **view.extra, "rows": view.rows})
    elif fmt is ReportFormat.csv:
        typer.echo(_csv(view, shop), nl=False)
    else:
        _print_table(view, shop)
