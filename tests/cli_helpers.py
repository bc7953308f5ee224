"""`pos …` through Typer's CliRunner on a test's database: the one way the CLI tests call it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pos_tui import db
from pos_tui.cli import app  # imported now, before any test sets COLUMNS: Rich reads it once, at import


def cli_runner(db_path, monkeypatch, columns: int = 120, plain_spaces: bool = False):
    """A function that runs `pos --db DB ARGS…` and returns Click's result. The environment is the
    test's own (no $POS_DATABASE_URL, $POS_TILL or $POS_MANAGER_PIN from outside), the tables are
    `columns` wide, and each call closes the database as a separate process would.
    `plain_spaces`: read the no-break space before a € sign as a space."""
    monkeypatch.setenv("COLUMNS", str(columns))
    for name in ("POS_DATABASE_URL", "POS_TILL", "POS_MANAGER_PIN"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str, db_file=None, input: str | None = None, env: dict | None = None):
        db.close_database()
        result = runner.invoke(app, ["--db", str(db_file or db_path), *args], input=input, env=env)
        db.close_database()
        if plain_spaces:
            result.stdout_bytes = result.stdout_bytes.replace("\u00a0".encode(), b" ")
        return result

    invoke.db_path = str(db_path)
    return invoke


def as_json(result):
    """The JSON a command printed, once it succeeded."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
