"""What every till screen shares: its key scope and a line for messages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from pos_tui.errors import PosError
from pos_tui.money import format_plain
from pos_tui.services.approvals import ApprovalNeeded

if TYPE_CHECKING:
    from pos_tui.app import PosApp


class Message(Static):
    """One line that tells the cashier what just happened or what went wrong."""

    def say(self, text: str, error: bool = False) -> None:
        self.set_class(error, "error")
        self.update(text)

    def fail(self, exc: PosError) -> None:
        self.say(exc.message, error=True)


def after_typing(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a key's action only once the focused input has taken every key typed before it.

    Keys reach the screen's bindings at once but an input's characters wait in the input's own
    queue: a barcode scanner or a fast typist sends "8412345000010⏎" in one burst, and without
    this Enter would read the input before the digits are in it.
    """

    @wraps(method)
    def wrapper(self, *args: Any, **kwargs: Any) -> None:
        focused = self.focused
        if isinstance(focused, Input):
            focused.call_later(method, self, *args, **kwargs)
        else:
            method(self, *args, **kwargs)

    return wrapper


class PosMixin:
    SCOPE = "global"

    @property
    def pos(self) -> PosApp:
        return self.app  # type: ignore[attr-defined, return-value]

    def with_approval(self, call: Callable[[str | None], Any], done: Callable[[Any], None],
                      fail: Callable[[PosError], None]) -> None:
        """Run `call(None)`; when a manager must approve, ask for their PIN and run `call(pin)`."""
        from pos_tui.screens.dialogs import ManagerPinDialog

        try:
            result = call(None)
        except ApprovalNeeded as exc:
            def answered(approved) -> None:
                if approved is not None:
                    done(approved.result)

            self.app.push_screen(ManagerPinDialog(exc.message, call), answered)  # type: ignore[attr-defined]
            return
        except PosError as exc:
            fail(exc)
            return
        done(result)

    #: What Enter on a form's last field does (the name of an action method), for `next_field`.
    FINISH = ""

    @after_typing
    def action_next_field(self) -> None:
        """Enter moves to the next field of the form; on the last one it finishes the form."""
        from pos_tui.widgets.form import Form

        if self.query_one(Form).is_last(self.focused):  # type: ignore[attr-defined]
            getattr(self, f"action_{self.FINISH}")()
        else:
            self.focus_next()  # type: ignore[attr-defined]

    def zero(self) -> str:
        """Zero as the store writes amounts (`0,00` in Spain), for input placeholders."""
        store = self.pos.store
        return format_plain(0, store.exponent, store.locale) if store else "0"


class PosScreen(PosMixin, Screen):
    pass


class PosModal(PosMixin, ModalScreen):
    pass


def right(text: str) -> Text:
    """A right-aligned table cell, for amounts and counts."""
    return Text(text, justify="right")
