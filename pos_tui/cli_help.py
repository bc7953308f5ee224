"""The `pos` command's help in the chosen language.

Typer builds its help from docstrings and `help=` strings when the modules are imported, in
English. `PosGroup`, the root command, chooses the language from the arguments and the
environment before anything is parsed (so `pos --help` and `pos --lang es customers add --help`
both come out right), then translates every command's and option's help, and Typer's own words
("Options", "Usage:", "[default: …]"), with the catalogs. `help_messages` lists those English
strings for the catalog (`python -m pos_tui.i18n_catalog extract`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator

from typer import rich_utils
from typer._click import exceptions as click_errors
from typer._click.core import Command
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup

from pos_tui import i18n
from pos_tui.i18n import N_, _

#: Typer's own words, as the constants of `typer.rich_utils` that hold them.
TYPER_WORDS = {
    "DEPRECATED_STRING": N_("(deprecated) "),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}
#: Words Typer translates itself with gettext, at run time (plain help and its errors).
TYPER_GETTEXT = (N_("(dynamic)"), N_("default: {default}"), N_("required"), N_("env var: {var}"),
                 N_("Missing command."), N_("No such command {name!r}."))
USAGE = N_("Usage: ")
HELP_OPTION = N_("Show this message and exit.")
OPTIONS_METAVAR = N_("[OPTIONS]")
COMMAND_METAVAR = N_("COMMAND [ARGS]...")
#: The errors Click and Typer write in English, as patterns: the text they make is matched against
#: each (a {name} stands for any text) and written again with the translation; a {reason} is
#: itself translated the same way.
ERRORS = (
    N_("No such option: {name} (Possible options: {options})"),
    N_("No such option: {name}"),
    N_("Missing argument {name}."),
    N_("Missing option {name}."),
    N_("Missing parameter {name}."),
    N_("Invalid value for {name}: {reason}"),
    N_("Invalid value: {reason}"),
    N_("Got unexpected extra argument(s) ({args})"),
    N_("Got unexpected extra argument ({args})"),
    N_("Option {name} requires an argument."),
    N_("Option {name} does not take a value."),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be greater than or equal to {n}"),
    N_("Input should be less than or equal to {n}"),
    N_("Value error, {value} is not one of {choices}."),
)


def _pattern(message: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", message)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}$", re.DOTALL)


_ERROR_PATTERNS = [(_pattern(message), message) for message in ERRORS]


def translate_error(text: str) -> str:
    """An error Click or Typer wrote in English, in the current language (as it was when no
    pattern matches)."""
    for pattern, message in _ERROR_PATTERNS:
        found = pattern.match(text)
        if found:
            values = found.groupdict()
            if "reason" in values:
                values["reason"] = translate_error(values["reason"])
            return _(message).format(**values)
    return text


def _translating(method):
    def format_message(self) -> str:
        return translate_error(method(self))

    format_message._pos_translating = True
    return format_message


for _cls in vars(click_errors).values():
    if isinstance(_cls, type) and "format_message" in vars(_cls) and not hasattr(
            vars(_cls)["format_message"], "_pos_translating"):
        _cls.format_message = _translating(vars(_cls)["format_message"])

#: Options of the root command that take a value (the language is looked for before the command).
_ROOT_VALUES = ("--db", "--till", "--lang")


def _translate_typer_words() -> None:
    import typer.core

    for name, message in TYPER_WORDS.items():
        setattr(rich_utils, name, _(message))
    typer.core._ = _  # its gettext calls, to our catalogs


_write_usage = HelpFormatter.write_usage


def _usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
    _write_usage(self, prog, args, _(USAGE) if prefix is None else prefix)


HelpFormatter.write_usage = _usage  # "Usage: " in the chosen language

_get_help_option = Command.get_help_option


def _help_option(self, ctx):
    option = _get_help_option(self, ctx)
    if option is not None:
        option.help = _(HELP_OPTION)
    return option


Command.get_help_option = _help_option  # --help's own help, made by Click when asked for


def lang_option(args: list[str]) -> str | None:
    """The value of `--lang` among the root command's options (before the subcommand)."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--lang":
            return args[i + 1] if i + 1 < len(args) else None
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if arg in _ROOT_VALUES:
            i += 2
        elif arg.startswith("-") and arg != "--":
            i += 1
        else:
            return None
    return None


def _commands(command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


_TEXTS = ("help", "short_help", "epilog")


def _english(obj, attr: str) -> str | None:
    """The English text of `obj.attr`, kept aside the first time it is translated."""
    key = f"_pos_en_{attr}"
    if key not in obj.__dict__:
        obj.__dict__[key] = getattr(obj, attr, None)
    return obj.__dict__[key]


def translate(command) -> None:
    """Every help text of `command` and its subcommands, in the current language."""
    for _path, cmd in _commands(command):
        for attr in _TEXTS:
            text = _english(cmd, attr)
            if text:
                setattr(cmd, attr, _(text))
        if not _english(cmd, "short_help") and cmd.help:
            # The list of commands shows the first paragraph: as one line, not cut where the
            # docstring's lines end.
            cmd.short_help = " ".join(cmd.help.split("\n\n")[0].split())
        if _english(cmd, "options_metavar") == OPTIONS_METAVAR:
            cmd.options_metavar = _(OPTIONS_METAVAR)
        if _english(cmd, "subcommand_metavar") == COMMAND_METAVAR:
            cmd.subcommand_metavar = _(COMMAND_METAVAR)
        for param in cmd.params:
            text = _english(param, "help")
            if text:
                param.help = _(text)


def _where(cmd) -> tuple[str, int]:
    callback = getattr(cmd, "callback", None)
    try:
        callback = inspect.unwrap(callback)
        return inspect.getsourcefile(callback) or "pos_tui/cli.py", inspect.getsourcelines(callback)[1]
    except (TypeError, OSError):
        return "pos_tui/cli.py", 0


def help_messages(command) -> Iterator[tuple[str, int, str, str]]:
    """(file, line, English text, what it is) of every help text of `command` and its subcommands."""
    for path, cmd in _commands(command):
        filename, line = _where(cmd)
        name = " ".join(("pos", *path))
        for attr in _TEXTS:
            text = _english(cmd, attr)
            if text:
                yield filename, line, text, f"{name}: {attr}"
        for param in cmd.params:
            text = _english(param, "help")
            if text:
                yield filename, line, text, f"{name} {param.opts[0] if param.opts else param.name}"


class PosGroup(TyperGroup):
    """The root `pos` command: the language first, then Typer as usual."""

    def make_context(self, info_name, args, parent=None, **extra):
        if parent is None:
            i18n.set_language(i18n.choose_language(lang_option(list(args))))
            _translate_typer_words()
            translate(self)
        return super().make_context(info_name, args, parent=parent, **extra)
