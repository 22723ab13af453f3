"""Help opens at the current screen's keys and can be searched; palette entries read as descriptions."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from tests.tui.conftest import SIZE
from tests.tui.helpers import settle
from tui.screens.help import HelpScreen


async def test_help_opens_at_the_current_screens_keys(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.show_screen("plan")
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        table = help_screen.query_one("#help-table", DataTable)
        first_plan = next(i for i, line in enumerate(help_screen.shown) if line.section == "7 Plan")
        assert first_plan > 10  # well below the top of the list
        assert table.cursor_row == first_plan and app.focused is table
        assert table.get_row_at(first_plan)[0] == "7 Plan"
        assert table.scroll_y == min(first_plan, table.max_scroll_y) and table.scroll_y > 0


async def test_help_search_filters_rows_by_substring_and_fuzzily(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("escape")  # the empty library may focus its import box
        await pilot.press("f1")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        table = help_screen.query_one("#help-table", DataTable)
        everything = table.row_count
        await pilot.press("slash")
        assert app.focused is help_screen.query_one("#help-search", Input)
        await pilot.press(*"recompte")  # a typo still finds it
        await pilot.pause()
        ids = [table.get_row_at(i)[2] for i in range(table.row_count)]
        assert "plan.recompute" in ids and 0 < table.row_count < everything
        assert table.get_row_at(0)[0] != ""  # the section is named on the first row shown
        search = help_screen.query_one("#help-search", Input)
        search.value = "plan."
        await pilot.pause()
        ids = [table.get_row_at(i)[2] for i in range(table.row_count)]
        assert "plan.explain" in ids and all("plan" in i for i in ids)
        search.value = "qqqxzzv"
        await pilot.pause()
        assert table.row_count == 0
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
