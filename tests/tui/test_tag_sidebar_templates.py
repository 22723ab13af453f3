"""The sidebar's template boxes: ticked and unticked differ in glyph and in style (issue 18)."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult

from store import Passage
from tests.tui.conftest import SIZE
from tui.widgets.tag_sidebar import TagSidebar, TemplateHint
from tui.widgets.template_choices import CHOSEN, NOT_CHOSEN, TemplateChoices

HINTS = [TemplateHint("monologue", "Direct inner monologue", "thoughts", "dialogue"),
         TemplateHint("uncertainty", "Uncertainty", "doubt", "certainty"),
         TemplateHint("memory", "Memory", "the past", "the present")]


class Bare(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.posted: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield TagSidebar()

    def on_tag_sidebar_edit_requested(self, event: TagSidebar.EditRequested) -> None:
        self.posted.append(event.fields)


def _boxes(choices: TemplateChoices) -> list[tuple[str, str, Any]]:
    """(glyph, prompt, glyph style) of each drawn row."""
    rows = []
    for y in range(choices.option_count):
        segments = list(choices.render_line(y))
        text = "".join(s.text for s in segments)
        rows.append((segments[0].text, text[4:].strip(), segments[0].style))
    return rows


async def test_ticked_and_unticked_templates_differ_in_glyph_and_style() -> None:
    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        sidebar = app.query_one(TagSidebar)
        sidebar.set_templates(HINTS)
        sidebar.show_passage(Passage(id=3, book_id=1, start=0, end=9, text="I remember", template_ids=["uncertainty"]))
        await pilot.pause()
        choices = sidebar.query_one("#tag-templates", TemplateChoices)
        rows = _boxes(choices)
        assert [(glyph, prompt) for glyph, prompt, _ in rows] == [
            (NOT_CHOSEN, "Direct inner monologue"), (CHOSEN, "Uncertainty"), (NOT_CHOSEN, "Memory")]
        chosen_style, unchosen_style = rows[1][2], rows[0][2]
        assert chosen_style.bold and not unchosen_style.bold
        assert unchosen_style.dim and not chosen_style.dim
        assert chosen_style.color != unchosen_style.color
        # The highlighted row keeps its state's look: highlighting is not ticking.
        sidebar.focus_field("templates")
        choices.highlighted = 0
        await pilot.pause()
        assert _boxes(choices)[0][0] == NOT_CHOSEN
        # Ticking with the keyboard turns the box and saves the choice.
        await pilot.press("space")
        await pilot.pause()
        assert [glyph for glyph, _, _ in _boxes(choices)] == [CHOSEN, CHOSEN, NOT_CHOSEN]
        assert sorted(app.posted[-1]["template_ids"]) == ["monologue", "uncertainty"]
        # And the screen shows it: the drawn sidebar has exactly two ticked boxes.
        drawn = "\n".join("".join(s.text for s in choices.render_line(y)) for y in range(3))
        assert drawn.count(CHOSEN) == 2 and drawn.count(NOT_CHOSEN) == 1
