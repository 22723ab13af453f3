"""Issue 18 bug 10 on the Plan screen: "progressive-plan rows break mid-row at 120 columns".

At 80x24 and 120x40 each step of the progressive plan is one table row on one screen line (at 80 columns the
table scrolls sideways instead of wrapping), and each memory bar line fits its pane.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.geometry import Region
from textual.widgets import DataTable, Input

from tests.tui.helpers import settle

STAGES = ("validate", "scale", "frontier")


def screen_lines(app) -> list[str]:
    """The whole screen as the terminal shows it, one string per row (the compositor's full frame)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text().splitlines()


def table_lines(table: DataTable) -> list[str]:
    return [strip.text for strip in table.render_lines(Region(0, 0, table.size.width, table.size.height))]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_progressive_rows_are_never_broken(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        app.show_screen("plan")
        await settle(app, pilot)
        screen = app.screen
        # A 405B step on rented GPUs: the widest figures (8 x h200, thousands of dollars).
        screen.query_one("#plan-tokens", Input).value = "300000000"
        await settle(app, pilot)
        steps = screen.last_steps
        assert [s["stage"] for s in steps] == list(STAGES) and steps[2]["where"] == "rented"
        table = screen.query_one("#plan-progressive-table", DataTable)
        assert table.row_count == 3
        screen.query_one("#plan-result").scroll_to_widget(table, animate=False, top=True)
        await settle(app, pilot)

        # On the screen: each stage on exactly one line, its model on that same line, nothing of it on the next.
        lines = screen_lines(app)
        for step in steps:
            rows = [line for line in lines if f" {step['stage']}  " in line]  # a cell, not the prose below
            assert len(rows) == 1 and step["model"] in rows[0], (step["stage"], rows)
        below = lines[next(i for i, line in enumerate(lines) if " frontier  " in line) + 1]
        assert "GiB" not in below and "$" not in below and "x h" not in below

        # In the table: a header and one line per step; the whole row is reachable on that line.
        shown = table_lines(table)
        assert shown[0].split()[0] == "stage" and [line.split()[0] for line in shown[1:4]] == list(STAGES)
        cost = f"${steps[2]['cost_usd']:,.0f}"
        if size[0] >= 120:
            assert table.virtual_size.width <= table.scrollable_content_region.width  # fits: no sideways scroll
            assert cost in shown[3] and f"{steps[2]['gpus']} x {steps[2]['device']}" in shown[3]
        else:
            assert table.max_scroll_x > 0  # scrolls sideways instead of wrapping
            table.scroll_to(x=table.max_scroll_x, animate=False)
            await settle(app, pilot)
            assert cost in table_lines(table)[3]

        # The form's checkbox keeps its whole label.
        box = screen.query_one("#plan-ckpt")
        assert "[x] gradient checkpointing" in "".join(segment.text for segment in box.render_line(0))

        # The memory bars: one screen line per component (no figure pushed onto a line of its own).
        bars = screen.query_one("#plan-bars")
        text = bars.render()
        assert len(text.wrap(app.console, bars.content_size.width)) == len(text.plain.splitlines())
        assert text.plain.splitlines()[-1].startswith("peak") and "usable" in text.plain.splitlines()[-1]
