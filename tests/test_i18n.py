"""Spanish and English: complete catalogs, the choice of language, the CLI's help, amounts and
dates per locale, receipts in the customer's language, and the till driven in Spanish."""

from __future__ import annotations

from datetime import datetime

import pytest
from typer.testing import CliRunner

from pos_tui import db, i18n, i18n_catalog, l10n, models
from pos_tui.cli import app
from pos_tui.i18n import _
from pos_tui.money import format_money, format_plain, parse_amount, parse_minor
from pos_tui.services import customers, receipts, sales
from pos_tui.services.payments import Tender
from tests.tui_helpers import screen_text, settle, type_text

# Catalogs -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template():
    return i18n_catalog.extract()


def test_every_message_in_the_code_has_a_spanish_translation(template):
    """Extracts every message of the source (the `_`/`N_`/`ngettext` calls and the CLI's help) and
    fails on any the Spanish catalog lacks, leaves empty or fuzzy, and on a stale `.mo`. Fix with
    `python -m pos_tui.i18n_catalog update`, translate, and run it again."""
    problems = i18n_catalog.problems("es", template)
    assert not problems, "\n".join(problems[:40]) + (f"\n… {len(problems) - 40} more" if len(problems) > 40 else "")


def test_the_extractor_finds_code_strings_and_cli_help(template):
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    assert "New customer" in ids  # keys.py, N_
    assert "Customer: {name}" in ids  # a screen, _
    assert "{n} item" in ids  # ngettext
    assert "Print where the database is." in ids  # a command's docstring
    assert "Full name, or the company's name." in ids  # an option's help=
    assert "Usage: " in ids and "Options" in ids  # Typer's own words
    assert len(ids) > 900


def test_the_compiled_catalogs_match_their_po_files():
    for language in i18n_catalog.LANGUAGES:
        assert i18n_catalog.mo_path(language).read_bytes() == i18n_catalog.mo_bytes(language), language


def test_placeholders_are_the_same_in_english_and_spanish():
    catalog = i18n_catalog.read_catalog("es")
    for message in catalog:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        spanish = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in spanish:
            assert i18n_catalog.placeholders(text) in (i18n_catalog.placeholders(english[0]),
                                                       i18n_catalog.placeholders(english[-1])), (english, text)


def test_key_names_are_kept_in_spanish():
    for message in i18n_catalog.read_catalog("es"):
        if not message.id or isinstance(message.id, tuple):
            continue
        for key in ("F1", "F2", "F5", "F9", "F10", "F12", "Esc", "Enter", "Ctrl+"):
            if key in message.id:
                assert key in message.string, (message.id, message.string)


def test_the_reference_guides_words():
    with i18n.in_language("es"):
        assert _("Session") == "Sesión"
        assert _("Customers") == "Clientes"
        assert _("New customer") == "Nuevo cliente"
        assert _("Save") == "Guardar"
        assert _("Invoice") == "Factura"
        assert _("Points") == "Puntos"
        assert "Punto de Venta" in _("pos-tui: a point of sale for the terminal. Without a command, opens the till.")


def test_the_mo_files_ship_with_the_package():
    import tomllib

    config = tomllib.loads((i18n_catalog.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "locale/*/LC_MESSAGES/*.mo" in config["tool"]["setuptools"]["package-data"]["pos_tui"]
    for language in i18n.LANGUAGES:
        assert (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "pos_tui.mo").exists()


# The choice of language -------------------------------------------------------------------------------


@pytest.mark.parametrize(("option", "environ", "expected"), [
    ("es", {"POS_LANG": "en", "LANG": "en_US.UTF-8"}, "es"),  # --lang first
    (None, {"POS_LANG": "es", "LANG": "en_US.UTF-8"}, "es"),  # then POS_LANG
    ("en", {"POS_LANG": "es"}, "en"),
    (None, {"LANG": "es_ES.UTF-8"}, "es"),  # then the locale
    (None, {"LC_MESSAGES": "es_MX.UTF-8", "LANG": "en_US.UTF-8"}, "es"),
    (None, {"LC_ALL": "C.UTF-8", "LANG": "es_ES.UTF-8"}, "en"),  # LC_ALL wins, and C is no language
    (None, {"LANG": "fr_FR.UTF-8"}, "en"),  # a language we do not have: English
    (None, {}, "en"),
])
def test_language_order(option, environ, expected):
    assert i18n.choose_language(option, environ) == expected


def test_in_language_is_only_for_the_block():
    i18n.set_language("es")
    with i18n.in_language("en"):
        assert _("Save") == "Save"
    with i18n.in_language("ca"):  # a language the till does not speak keeps the current one
        assert _("Save") == "Guardar"
    assert _("Save") == "Guardar"


# The CLI's help -----------------------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch, db_path):
    monkeypatch.setenv("COLUMNS", "120")
    for name in ("POS_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "POS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str, env: dict | None = None):
        result = runner.invoke(app, list(args), env=env or {})
        db.close_database()
        return result

    return invoke


def test_cli_help_in_spanish_with_pos_lang(cli):
    result = cli("--help", env={"POS_LANG": "es"})
    assert result.exit_code == 0, result.output
    assert "Uso:" in result.output and "Opciones" in result.output and "Órdenes" in result.output
    assert "Punto de Venta" in result.output
    assert "Clientes: listar, buscar" in result.output
    assert "Options" not in result.output

    sub = cli("customers", "--help", env={"POS_LANG": "es"})
    assert "Lista los clientes por nombre" in sub.output, sub.output
    add = cli("customers", "add", "--help", env={"POS_LANG": "es"})
    assert "Nombre completo, o el nombre de la empresa." in add.output, add.output
    assert "Muestra esta ayuda y termina." in add.output


def test_cli_help_in_spanish_with_lang_option(cli):
    result = cli("--lang", "es", "session", "open", "--help", env={"POS_LANG": "en"})
    assert result.exit_code == 0, result.output
    assert "Abre una sesión en la caja" in result.output
    assert "[obligatorio]" in result.output or "obligatorio" in result.output


def test_cli_help_in_english_by_default_and_with_lang_en(cli):
    assert "Lists" not in cli("--help").output
    assert "Usage:" in cli("--help").output
    english = cli("--lang", "en", "--help", env={"POS_LANG": "es", "LANG": "es_ES.UTF-8"})
    assert "a point of sale for the terminal" in english.output


def test_cli_language_from_the_locale(cli):
    assert "Uso:" in cli("--help", env={"LANG": "es_ES.UTF-8"}).output
    assert "Usage:" in cli("--help", env={"LC_ALL": "C", "LANG": "es_ES.UTF-8"}).output


def test_cli_refuses_a_language_it_does_not_speak(cli, db_path):
    result = cli("--db", str(db_path), "--lang", "fr", "db", "path")
    assert result.exit_code == 2
    assert "fr" in result.output


def test_cli_messages_and_amounts_in_spanish(cli, db_path):
    target = ["--db", str(db_path), "--lang", "es"]
    loaded = cli(*target, "demo")
    assert "Tienda de demostración" in loaded.output, loaded.output
    opened = cli(*target, "session", "open", "--cashier", "Ana", "--float", "150,5")
    assert opened.exit_code == 0, opened.output
    assert "abierta" in opened.output
    status = cli(*target, "session", "status")
    assert "150,50 €" in plain(status.output), status.output


# Money, numbers and dates per locale ------------------------------------------------------------------


def plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(("currency", "locale", "expected"), [
    ("EUR", "es_ES", "1.234,56 €"),
    ("MXN", "es_MX", "$1,234.56"),
    ("USD", "en_US", "$1,234.56"),
])
def test_money_formatting_per_locale(currency, locale, expected):
    assert plain(format_money(123456, currency, locale)) == expected


@pytest.mark.parametrize(("country", "language", "locale"), [
    ("ES", "es", "es_ES"), ("ES", "en", "en_ES"), ("MX", "es", "es_MX"), ("MX", "en", "es_MX"),
    ("US", "en", "en_US"), ("US", "es", "es_US"), ("", "es", "es_ES"), ("", "en", "en_US"),
])
def test_the_store_locale_follows_its_country_and_the_language(country, language, locale):
    assert l10n.locale_for(country, language) == locale


@pytest.mark.parametrize("locale", ["es_ES", "en_ES"])
def test_spain_writes_amounts_with_a_decimal_comma_in_either_language(locale):
    assert plain(format_money(123456, "EUR", locale)) == "1.234,56 €"


@pytest.mark.parametrize("typed", ["12,50", "12.50", "12,5", " 12,50 ", ",5"])
def test_amount_inputs_take_a_comma_or_a_dot(typed):
    assert parse_amount(typed) in (parse_amount("12.50"), parse_amount("0.5"))


def test_parse_minor_with_a_comma_and_per_currency_exponent():
    assert parse_minor("1234,56") == 123456
    assert parse_minor("1234.56") == 123456
    assert parse_minor("4,3") == 430
    assert parse_minor("500", exp=0) == 500


def test_a_bad_amount_is_refused_in_spanish():
    from pos_tui.errors import ValidationError

    with i18n.in_language("es"), pytest.raises(ValidationError) as refused:
        parse_amount("12,5,0")
    assert "no es un importe" in str(refused.value.errors)


def test_plain_amounts_use_the_locales_separator():
    assert format_plain(430, 2, "es_ES") == "4,30"
    assert format_plain(430, 2, "es_MX") == "4.30"
    assert format_plain(430, 2, "en_US") == "4.30"


def test_dates_and_numbers_per_locale():
    moment = datetime(2026, 3, 4, 15, 6)
    assert l10n.format_datetime(moment, "es_ES") == "4/3/2026 15:06"
    assert plain(l10n.format_datetime(moment, "en_US")) == "3/4/2026 3:06 PM"
    assert l10n.format_date(moment, "es_MX") == "4/3/2026"
    assert l10n.format_number(1234567, "es_ES") == "1.234.567"
    assert l10n.format_number(1234567, "en_US") == "1,234,567"


def test_the_store_money_follows_the_language(shop):
    from pos_tui.services import store

    info = store.get_store()
    i18n.set_language("es")
    assert plain(info.money(123456)) == "1.234,56 €"
    i18n.set_language("en")
    assert plain(info.money(123456)) == "1.234,56 €"  # en_ES keeps Spain's way of writing it


# Receipts and invoices in the customer's language -----------------------------------------------------


def _paid_sale(open_till, ana, language: str) -> int:
    customer = customers.create_customer({"name": "Kate Brown", "phone": "612 345 111", "language": language})
    sale = sales.current_sale("T1", ana.id)
    sales.add_code(sale.id, "8412345000010")
    sales.set_customer(sale.id, customer.id)
    return sales.checkout(sale.uuid, [Tender("cash", 500)]).order_id


def test_the_receipt_is_in_the_customers_language(open_till, ana):
    i18n.set_language("es")
    receipt = receipts.get_receipt(_paid_sale(open_till, ana, "en"))
    text = receipts.render_text(receipt, "Shop", lambda minor: str(minor))
    assert "Thank you!" in text and "Cashier" in text
    assert _("Save") == "Guardar"  # the till stays in Spanish


def test_the_receipt_is_in_the_tills_language_without_one(open_till, ana):
    i18n.set_language("es")
    receipt = receipts.get_receipt(_paid_sale(open_till, ana, ""))
    text = receipts.render_text(receipt, "Tienda", lambda minor: str(minor))
    assert "¡Gracias!" in text and "Cajero" in text


def test_the_printed_receipt_is_in_the_customers_language(open_till, ana):
    from pos_tui.services import printing

    receipt = receipts.get_receipt(_paid_sale(open_till, ana, "es"))
    payload = printing.receipt_payload(receipt)
    assert payload["language"] == "es"
    printed = plain(printing.preview(printing.layout_receipt(payload, 42)))
    assert "¡Gracias!" in printed and "Efectivo" in printed and "0,95 €" in printed
    english = printing.preview(printing.layout_receipt({**payload, "language": "en"}, 42))
    assert "Thank you!" in english


# The till in Spanish ----------------------------------------------------------------------------------


async def test_the_main_flow_in_spanish(shop):
    from pos_tui.app import PosApp
    from pos_tui.screens.customer_form import CustomerFormScreen
    from pos_tui.screens.customer_picker import CustomerPickerScreen
    from pos_tui.screens.receipt import ReceiptScreen
    from pos_tui.screens.sale import SaleScreen
    from tests.test_tui_flow import login

    app = PosApp(till="T1", language="es")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = screen_text(pilot)
        assert "Idioma: Español" in screen and "Entrar" in screen and "Cajero" in screen
        await login(pilot)
        assert "Abrir sesión" in screen_text(pilot)
        await type_text(pilot, "100")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert "Sin cliente" in screen_text(pilot)

        await type_text(pilot, "8412345000010")
        await pilot.press("enter")
        await pilot.pause()
        assert "Leche entera" in screen_text(pilot) and "0,95 €" in screen_text(pilot)

        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, CustomerPickerScreen)
        picker = screen_text(pilot)
        assert "Cliente" in picker and "Nuevo cliente" in picker and "Teléfono" in picker
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, CustomerFormScreen)
        form = screen_text(pilot)
        assert "Nuevo cliente" in form and "Guardar" in form and "Nombre *" in form
        await type_text(pilot, "Marta Villa")
        await pilot.press("tab", "tab", "tab")
        await type_text(pilot, "612 345 678")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        sale = screen_text(pilot)
        assert "Cliente: Marta Villa" in sale
        assert "Cobrar" in sale and "Factura" in sale

        await pilot.press("f10")
        await pilot.pause()
        assert "Efectivo" in screen_text(pilot)
        app.screen.query_one("#amount").value = ""  # it offers what is due; the customer hands 5,50
        await type_text(pilot, "5,5")
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        receipt = screen_text(pilot)
        assert "Cambio: 4,55 €" in receipt and "Ticket" in receipt and "Marta Villa" in receipt

    customer = models.Customer.get(models.Customer.name == "Marta Villa")
    order = models.Order.get(models.Order.customer == customer.id)
    assert order.state == "paid"


async def test_f2_at_login_switches_the_language(shop):
    from pos_tui.app import PosApp

    app = PosApp(till="T1", language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Log in" in screen_text(pilot) and "F2 Español" in screen_text(pilot)
        await pilot.press("f2")
        await pilot.pause()
        screen = screen_text(pilot)
        assert "Entrar" in screen and "Idioma: Español" in screen and "F2 English" in screen
        await pilot.press("f1")
        await pilot.pause()
        assert "Teclas" in screen_text(pilot) and "Ayuda" in screen_text(pilot)
        await pilot.press("escape")
        await pilot.press("f2")
        await pilot.pause()
        assert "Log in" in screen_text(pilot)


def test_cli_usage_errors_in_spanish(cli, db_path):
    wrong = cli("--db", str(db_path), "--lang", "es", "customers", "list", "--limit", "abc")
    assert wrong.exit_code == 2
    assert "Valor no válido para '--limit': debe ser un número entero" in " ".join(wrong.output.split())
    assert "No existe la opción --bogus" in cli("--lang", "es", "customers", "list", "--bogus").output
    assert "No such option: --bogus" in cli("--lang", "en", "customers", "list", "--bogus").output


def test_todo_and_fill_round_trip_a_translation(tmp_path, monkeypatch):
    """`todo` lists what is empty or fuzzy; `fill` writes it, clears the mark and compiles."""
    import shutil

    from pos_tui import i18n_catalog

    shutil.copy(i18n_catalog.po_path("es"), tmp_path / "es.po")
    monkeypatch.setattr(i18n_catalog, "po_path", lambda language: tmp_path / f"{language}.po")
    monkeypatch.setattr(i18n_catalog, "mo_path", lambda language: tmp_path / f"{language}.mo")
    catalog = i18n_catalog.read_catalog("es")
    message = catalog["Points redeemed"]
    message.string = ""
    (tmp_path / "es.po").write_bytes(i18n_catalog._po_text(catalog))

    assert i18n_catalog.todo("es") == {"Points redeemed": ""}
    assert i18n_catalog.fill({"Points redeemed": "Puntos canjeados"}, "es") == 1
    assert i18n_catalog.todo("es") == {}
    assert i18n_catalog.read_catalog("es")["Points redeemed"].string == "Puntos canjeados"
    assert (tmp_path / "es.mo").read_bytes() == i18n_catalog.mo_bytes("es")
    with pytest.raises(SystemExit, match="not in the es catalog"):
        i18n_catalog.fill({"No such message anywhere": "x"}, "es")
