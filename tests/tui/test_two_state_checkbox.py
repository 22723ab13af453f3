"""Issue 18 friction: checkboxes looked ticked when they were not (Textual draws "X" in both states).

The Plan screen's gradient checkpointing box and the Build screen's overwrite box read `[x]` (bold, success
colour) when ticked and `[ ]` (muted, not bold) when not, and still toggle and report like a Checkbox.
"""

from __future__ import annotations

import pytest
from textual.widgets import Checkbox

from tests.tui.conftest import SIZE
from tests.tui.helpers import settle
from tui.widgets.two_state_checkbox import TICKED, UNTICKED, TwoStateCheckbox


def _box(box: TwoStateCheckbox) -> tuple[str, bool]:
    """The first three cells as drawn, and whether they are bold."""
    strip = box.render_line(0)
    cells = "".join(segment.text for segment in strip)
    start = cells.index("[")
    style = next(segment.style for segment in strip if "[" in segment.text)
    return cells[start:start + 3], bool(style and style.bold)


@pytest.mark.parametrize(("screen_id", "selector", "initially"), [("plan", "#plan-ckpt", True),
                                                                   ("build", "#build-overwrite", False)])
async def test_the_box_differs_in_glyph_and_style(make_app, screen_id, selector, initially):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.show_screen(screen_id)
        await settle(app, pilot)
        box = app.screen.query_one(selector, TwoStateCheckbox)
        assert isinstance(box, Checkbox) and box.value is initially
        changes: list[bool] = []

        def changed(value: bool) -> None:
            changes.append(value)

        box.watch(box, "value", changed, init=False)
        for expected in (initially, not initially, initially):
            glyph, bold = _box(box)
            assert (glyph, bold) == ((TICKED, True) if expected else (UNTICKED, False)), expected
            assert box.box == glyph
            if len(changes) < 2:
                box.focus()
                await pilot.press("space")
                await settle(app, pilot)
        assert changes == [not initially, initially]
        if screen_id == "plan":  # the plan follows the box
            assert app.screen.last_plan["grad_ckpt"] is initially
