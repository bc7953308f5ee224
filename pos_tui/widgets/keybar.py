"""The keys of the screen, at the bottom, on as many lines as they need (Textual's Footer keeps
to one line and hides what does not fit at 80 columns; a till must show every key)."""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

from pos_tui.i18n import _


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        max-height: 3;
        background: $panel;
        padding: 0 0;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.call_after_refresh(self.show_keys)

    def on_unmount(self) -> None:
        if self.is_attached:
            self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self.show_keys)

    def on_resize(self) -> None:
        self.show_keys()

    def keys(self) -> list[tuple[str, str]]:
        """(key as shown, what it does) of the keys the screen offers now, once per action."""
        shown, seen = [], set()
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or not enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            shown.append((self.app.get_key_display(binding), _(binding.description)))
        return shown

    def show_keys(self) -> None:
        if not self.is_attached:  # a screen being taken down
            return
        width = max(self.size.width, 20)
        lines = [Text()]
        for key, description in self.keys():
            piece = Text.assemble((f" {key}", "bold reverse"), f" {description}")
            if lines[-1].cell_len and lines[-1].cell_len + piece.cell_len > width:
                lines.append(Text())
            lines[-1].append(piece)
        self.update(Text("\n").join(lines))
