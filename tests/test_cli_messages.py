"""A refusal quotes what it was given; the terminal must see it as text, never act on it."""

import pytest

from tests.cli_helpers import cli_runner


@pytest.fixture
def run(db_path, monkeypatch):
    return cli_runner(db_path, monkeypatch)


def test_a_refusal_quoting_escape_sequences_markup_and_bidi_shows_them_inert(run):
    assert run("demo").exit_code == 0
    result = run("products", "show", "\x1b[2J[bold]X[/bold]\u202eevil")
    assert result.exit_code == 1
    out = result.output
    assert "\x1b" not in out and "\u202e" not in out  # nothing the terminal would act on
    assert "\\x1b[2J" in out and "\\u202e" in out  # shown as escapes
    assert "[bold]X[/bold]" in out  # markup printed as it was typed, not applied


def test_a_field_refusal_is_escaped_too(run):
    assert run("demo").exit_code == 0
    result = run("products", "add", "--ref", "Z1", "--name", "ok", "--price", "1", "--taxes", "IVA 4%",
                 "--unit", "[red]kg\x07")
    assert result.exit_code == 1
    assert "\x07" not in result.output and "unit:" in result.output
