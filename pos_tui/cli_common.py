"""What every `pos` command shares: the global options, opening the database, printing,
turning a refusal into a clear message and a non-zero exit status."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

import typer
from rich.console import Console
from rich.markup import escape

from pos_tui import db
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import _
from pos_tui.services import store
from pos_tui.services.store import StoreInfo

console = Console()
err = Console(stderr=True)


@dataclass
class Settings:
    db: str | None
    till: str


class Format(str, Enum):
    table = "table"
    json = "json"


def settings(ctx: typer.Context) -> Settings:
    return ctx.find_root().obj


#: Control characters (C0, DEL, C1) and bidi overrides, shown as escapes: a message may quote a
#: file's or a person's text, and a terminal must never act on it.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown(text: object) -> str:
    """Text quoted in a message, safe for a terminal: Rich markup escaped, control characters and
    bidi overrides written as `\\x1b`, `\\u202e`."""
    return escape(_UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text)))


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]{_('Error')}:[/] {shown(message)}", highlight=False)
    raise typer.Exit(code)


def open_db(ctx: typer.Context) -> Settings:
    """Open the database the global options chose (`--db`, `POS_DATABASE_URL`, the default)."""
    chosen = settings(ctx)
    try:
        db.open_database(chosen.db)
    except db.SchemaError as exc:
        fail(str(exc))
    except Exception as exc:  # an unreachable server, a path we cannot create, …
        fail(_("cannot open the database {target}: {error}").format(
            target=db.resolve_target(chosen.db), error=exc))
    return chosen


def run(action, *args, **kwargs):
    """Call a service; a refusal becomes a clear message (one line per bad field) and exit 1."""
    try:
        return action(*args, **kwargs)
    except PosError as exc:
        refuse(exc)


def refuse(exc: PosError) -> None:
    """Print a service's refusal and stop with exit status 1."""
    if isinstance(exc, ValidationError):
        for field, message in exc.errors.items():
            err.print(f"[bold red]{shown(field)}:[/] {shown(message)}", highlight=False)
        raise typer.Exit(1)
    fail(exc.message)


def require_store() -> StoreInfo:
    return run(store.require_store)


def iso(value: datetime | None) -> str | None:
    """A stored timestamp (naive UTC) in ISO 8601 with its offset."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def plain(value):
    """Values JSON can hold: timestamps in ISO 8601, tuples as lists."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def echo_json(document) -> None:
    typer.echo(json.dumps(plain(document), ensure_ascii=False, indent=2))
