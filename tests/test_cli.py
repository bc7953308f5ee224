import pytest
from typer.testing import CliRunner

from pos_tui import db
from pos_tui.cli import app


@pytest.fixture
def run(db_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("POS_DATABASE_URL", raising=False)
    monkeypatch.delenv("POS_TILL", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        result = runner.invoke(app, ["--db", str(db_path), *args])
        db.close_database()
        return result

    return invoke


def test_db_init_creates_the_schema(run, db_path):
    result = run("db", "init")
    assert result.exit_code == 0, result.output
    assert "schema version 1" in result.output
    assert db_path.exists()


def test_demo_then_a_session_from_the_command_line(run):
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "40 products" in result.output and "Ana" in result.output and "1234" in result.output
    assert "no open session" in run("session", "status").output

    opened = run("session", "open", "--cashier", "Ana", "--float", "150,00")
    assert opened.exit_code == 0, opened.output
    assert "150,00" in opened.output

    status = run("session", "status")
    assert "Ana" in status.output and "T1" in status.output

    closed = run("session", "close", "--counted", "149.50")
    assert closed.exit_code == 0, closed.output
    assert "Expected cash" in closed.output and "-0,50" in closed.output


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
