"""A screen that searches as you type: input on top, results below, ↑/↓ and Enter to choose.

The search runs in a thread worker, so typing never waits for the database; a newer keystroke
cancels the older search and a stale answer is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from pos_tui.i18n import _
from pos_tui.screens.base import Message, PosScreen
from pos_tui.widgets.keybar import KeyBar

T = TypeVar("T")


class SearchScreen(PosScreen, Generic[T]):
    TITLE_TEXT = ""
    PLACEHOLDER = ""
    COLUMNS: Sequence[tuple[str, int]] = ()  # (msgid, width)

    def __init__(self) -> None:
        super().__init__()
        self.results: list[T] = []
        self.shown_for: str | None = None  # the text the results on screen answer
        self.pending: Callable[[], None] | None = None

    # What a subclass provides ------------------------------------------------------------

    def find(self, text: str) -> list[T]:
        raise NotImplementedError

    def row(self, item: T) -> tuple:
        raise NotImplementedError

    def nothing_found(self, text: str) -> str:
        return _("Nothing matches “{text}”.").format(text=text)

    # The mechanics -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(_(self.TITLE_TEXT), classes="title")
        yield Input(id="query", placeholder=_(self.PLACEHOLDER))
        table = DataTable(id="results", cursor_type="row", zebra_stripes=True)
        table.can_focus = False
        yield table
        yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        for label, width in self.COLUMNS:
            table.add_column(_(label), width=width)
        self.query_one("#query", Input).focus()
        self.search("")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    @work(exclusive=True, thread=True, group="search")
    def search(self, text: str) -> None:
        found = self.find(text)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_results, text, found)

    def show_results(self, text: str, found: list[T]) -> None:
        if text != self.query_one("#query", Input).value:
            return
        self.results = found
        self.shown_for = text
        table = self.query_one("#results", DataTable)
        table.clear()
        for item in found:
            table.add_row(*self.row(item))
        self.query_one(Message).say(self.nothing_found(text.strip()) if not found and text.strip() else "")
        if self.pending is not None:
            action, self.pending = self.pending, None
            action()

    def when_current(self, action: Callable[[], None]) -> None:
        """Run `action` on the results of what is typed now: at once if they are on screen, else
        as soon as the search for it answers (Enter right after typing picks from the new list)."""
        if self.shown_for == self.query_one("#query", Input).value:
            action()
        else:
            self.pending = action

    def action_cursor(self, delta: int) -> None:
        table = self.query_one("#results", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + delta)))

    def selected(self) -> T | None:
        row = self.query_one("#results", DataTable).cursor_row
        return self.results[row] if 0 <= row < len(self.results) else None

    def action_cancel(self) -> None:
        self.dismiss(None)
