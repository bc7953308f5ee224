"""Driving the real till through Textual's Pilot."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Static


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*[("space" if ch == " " else ch) for ch in text])


async def settle(pilot: Pilot) -> None:
    """Let workers finish and the screen catch up."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text_of(pilot: Pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


def screen_text(pilot: Pilot) -> str:
    """Everything the cashier sees, as plain text."""
    lines = (strip.text for strip in pilot.app.screen._compositor.render_strips())
    return "\n".join(lines).replace("\xa0", " ")
