"""A form of labelled inputs that shows each field's error right under it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from pos_tui.errors import ValidationError
from pos_tui.i18n import _


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # a msgid, translated when shown
    value: str = ""
    password: bool = False


class Form(VerticalScroll):
    def __init__(self, fields: Iterable[Field], **kwargs) -> None:
        super().__init__(**kwargs)
        self.fields = tuple(fields)
        self.add_class("form")

    def compose(self) -> ComposeResult:
        for field in self.fields:
            with Horizontal(classes="form-row"):
                yield Label(_(field.label))
                yield Input(value=field.value, id=field.name, password=field.password, compact=True)
            yield Static("", id=f"{field.name}-error", classes="field-error")

    def input(self, name: str) -> Input:
        return self.query_one(f"#{name}", Input)

    def values(self) -> dict[str, str]:
        return {field.name: self.input(field.name).value for field in self.fields}

    def is_last(self, widget: object) -> bool:
        return widget is self.input(self.fields[-1].name)

    def error(self, name: str, message: str) -> None:
        widget = self.query_one(f"#{name}-error", Static)
        widget.update(message)
        widget.display = bool(message)

    def clear_errors(self) -> None:
        for field in self.fields:
            self.error(field.name, "")

    def show_errors(self, exc: ValidationError) -> None:
        """Each message under its field; the first bad field takes the focus."""
        self.clear_errors()
        first = None
        for name, message in exc.errors.items():
            if not self.query(f"#{name}-error"):
                continue
            self.error(name, message)
            first = first or name
        if first:
            self.input(first).focus()
