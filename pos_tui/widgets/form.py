"""A keyboard form: labelled inputs, choices and check boxes in sections, each field's error
shown right under it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from pos_tui.errors import ValidationError
from pos_tui.i18n import _


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # a msgid, translated when shown
    value: str = ""
    password: bool = False
    kind: str = "text"  # text | select | check
    options: tuple[tuple[str, str], ...] = ()  # (value, label msgid) for a select
    placeholder: str = ""


@dataclass(frozen=True)
class Section:
    title: str  # msgid


class Tick(Checkbox):
    """A check box that shows ✓ when ticked and nothing when not: readable without colour, as on a
    16-colour terminal over SSH."""

    def validate_value(self, value: bool) -> bool:
        self.BUTTON_INNER = "✓" if value else " "
        return value


def _dom_id(name: str) -> str:
    """Field names may hold dots (`fiscal.regime`); DOM ids may not."""
    return name.replace(".", "__")


class Form(VerticalScroll):
    def __init__(self, items: Iterable[Field | Section], **kwargs) -> None:
        super().__init__(**kwargs)
        self.items = tuple(items)
        self.fields = tuple(item for item in self.items if isinstance(item, Field))
        self.add_class("form")

    def compose(self) -> ComposeResult:
        for item in self.items:
            if isinstance(item, Section):
                yield Static(_(item.title), classes="form-section")
                continue
            with Horizontal(classes="form-row", id=f"row-{_dom_id(item.name)}"):
                yield Label("" if item.kind == "check" else _(item.label))
                if item.kind == "check":
                    yield Tick(_(item.label), value=item.value in (True, "1", "yes", "true"),
                               id=_dom_id(item.name), compact=True)
                elif item.kind == "select":
                    options = [(_(label), value) for value, label in item.options]
                    yield Select(options, value=item.value or Select.NULL, allow_blank=True,
                                 id=_dom_id(item.name), compact=True, prompt=_("(none)"))
                else:
                    yield Input(value=str(item.value or ""), id=_dom_id(item.name),
                                password=item.password, compact=True,
                                placeholder=_(item.placeholder) if item.placeholder else "")
            yield Static("", id=f"{_dom_id(item.name)}-error", classes="field-error")

    def widget(self, name: str) -> Widget:
        return self.query_one(f"#{_dom_id(name)}")

    def input(self, name: str) -> Input:
        return self.query_one(f"#{_dom_id(name)}", Input)

    def set_value(self, name: str, value: object) -> None:
        widget = self.widget(name)
        if isinstance(widget, Checkbox):
            widget.value = bool(value)
        elif isinstance(widget, Select):
            widget.value = value if value else Select.NULL
        else:
            widget.value = "" if value is None else str(value)

    def fill(self, values: dict) -> None:
        for field in self.fields:
            if field.name in values:
                self.set_value(field.name, values[field.name])

    def values(self) -> dict[str, object]:
        result: dict[str, object] = {}
        for field in self.fields:
            widget = self.widget(field.name)
            if isinstance(widget, Select):
                result[field.name] = "" if widget.value is Select.NULL else widget.value
            else:
                result[field.name] = widget.value
        return result

    def show_row(self, name: str, visible: bool) -> None:
        self.query_one(f"#row-{_dom_id(name)}").display = visible
        if not visible:
            self.error(name, "")

    def is_last(self, widget: object) -> bool:
        return widget is self.widget(self.fields[-1].name)

    def error(self, name: str, message: str) -> None:
        widget = self.query_one(f"#{_dom_id(name)}-error", Static)
        widget.update(message)
        widget.display = bool(message)

    def clear_errors(self) -> None:
        for field in self.fields:
            self.error(field.name, "")

    def show_errors(self, exc: ValidationError) -> None:
        """Each message under its field; the first bad field takes the focus."""
        self.clear_errors()
        first = None
        for field in self.fields:
            if field.name in exc.errors:
                self.error(field.name, exc.errors[field.name])
                first = first or field.name
        if first is not None:
            self.widget(first).focus()
            self.scroll_to_widget(self.widget(first))
