import pytest
from typer.testing import CliRunner

from pos_tui import db
from pos_tui.cli import app
from tests.cli_helpers import cli_runner


@pytest.fixture
def run(db_path, monkeypatch):
    return cli_runner(db_path, monkeypatch)


def test_db_init_creates_the_schema(run, db_path):
    result = run("db", "init")
    assert result.exit_code == 0, result.output
    assert "schema version 2" in result.output
    db.open_database(str(db_path))
    assert set(db.database.get_tables()) >= {"store", "customer", "sale_order", "invoice"}


def test_demo_then_a_session_from_the_command_line(run):
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "43 products" in result.output and "Ana" in result.output and "1234" in result.output
    assert "no open session" in run("session", "status").output

    opened = run("session", "open", "--cashier", "Ana", "--float", "150,00")
    assert opened.exit_code == 0, opened.output
    assert "150,00" in opened.output

    status = run("session", "status")
    assert "Ana" in status.output and "T1" in status.output

    closed = run("session", "close", "--counted", "149.50")
    assert closed.exit_code == 0, closed.output
    assert "Z REPORT" in closed.output and "-0,50" in closed.output


def test_the_till_name_comes_from_the_option(run):
    run("demo")
    assert run("--till", "T7", "session", "open", "--cashier", "Luis").exit_code == 0
    assert "T7" in run("--till", "T7", "session", "status").output
    assert "no open session" in run("session", "status").output


@pytest.mark.parametrize("args, fragment", [
    (["session", "open", "--cashier", "Nobody"], "no active cashier"),
    (["session", "open", "--cashier", "Ana", "--float", "lots"], "not an amount"),
    (["session", "open", "--cashier", "Ana", "--float", "-3"], "negative"),
    (["session", "close", "--counted", "10"], "no open session"),
    (["demo"], "already has a store"),
])
def test_bad_arguments_give_a_message_and_a_failing_status(run, args, fragment):
    run("demo")
    result = run(*args)
    assert result.exit_code != 0
    assert fragment in result.output


def test_commands_needing_a_store_say_so(run):
    result = run("session", "status")
    assert result.exit_code != 0
    assert "no store" in result.output


def test_missing_option_is_reported(run):
    result = run("session", "open")
    assert result.exit_code == 2
    assert "--cashier" in result.output


def test_help_lists_every_command(run):
    result = run("--help")
    for command in ("demo", "session", "db"):
        assert command in result.output
    session_help = run("session", "--help").output
    for command in ("open", "close", "status"):
        assert command in session_help


def test_env_var_database_url(tmp_path, monkeypatch):
    target = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv("POS_DATABASE_URL", f"sqlite:///{target}")
    result = CliRunner().invoke(app, ["db", "init"])
    db.close_database()
    assert result.exit_code == 0, result.output
    assert target.exists()


def test_cashiers_from_the_command_line(run):
    run("demo")
    assert run("cashier", "add", "Marta", "--pin", "4455").exit_code == 0
    assert run("cashier", "add", "Marta", "--pin", "4455").exit_code == 1  # the name is taken
    bad = run("cashier", "add", "Pepe", "--pin", "12", "--role", "boss")
    assert bad.exit_code == 1 and "pin:" in bad.output and "role:" in bad.output
    listed = run("cashier", "list")
    assert "Marta" in listed.output and "manager" in listed.output
    assert run("cashier", "reset-pin", "Marta", "--pin", "9999").exit_code == 0
    from pos_tui.services import cashiers
    assert run("cashier", "disable", "Marta").exit_code == 0
    assert "Marta" not in run("cashier", "list").output
    assert "Marta" in run("cashier", "list", "--all").output
    assert run("cashier", "disable", "Ana").exit_code == 1  # the last manager stays
    assert run("cashier", "enable", "Marta").exit_code == 0
    db.open_database(run.db_path)
    assert cashiers.authenticate("Marta", "9999").name == "Marta"


def test_cash_moves_close_by_count_with_a_manager_and_the_report(run):
    import json

    run("demo")
    run("session", "open", "--cashier", "Luis", "--float", "100")
    assert run("session", "cash-in", "--amount", "20", "--reason", "Change").exit_code == 0
    out = run("session", "cash-out", "--amount", "5", "--reason", "Window cleaner")
    assert out.exit_code == 0 and "115,00" in out.output
    assert run("session", "cash-out", "--amount", "5", "--reason", " ").exit_code == 1
    # 50 x 2 = 100: 15 short, above the 5.00 limit: a manager must approve
    refused = run("session", "close", "--cash-count", "50:2")
    assert refused.exit_code == 1 and "manager" in refused.output
    assert run("session", "close", "--cash-count", "50:2", "--manager-pin", "2345").exit_code == 1
    closed = run("session", "close", "--cash-count", "50:2", "--manager-pin", "1234", "--cashier", "Luis")
    assert closed.exit_code == 0, closed.output
    assert "-15,00" in closed.output and "Window cleaner" in closed.output
    report = json.loads(run("session", "report", "1", "--format", "json").output)
    assert report["session"]["counted_cash_minor"] == 10_000
    assert report["approvals"] == 1 and report["currency"] == "EUR"
    assert [m["reason"] for m in report["cash_moves"]] == ["Change", "Window cleaner"]
    listed = run("session", "list")
    assert "Luis" in listed.output and "-15,00" in listed.output
    assert run("session", "report", "99").exit_code == 1


@pytest.mark.parametrize("count", ["50", "50:x", "abc:2", ""])
def test_a_bad_cash_count_is_refused(run, count):
    run("demo")
    run("session", "open", "--cashier", "Luis")
    result = run("session", "close", "--cash-count", count)
    assert result.exit_code != 0
