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


def test_every_binding_the_palette_can_show_has_a_sentence():
    """A tooltip, a sentence in tui.binding_sentences or an action docstring: never the bare fallback."""
    from tui import keymap as keymap_table
    from tui.app import InteriorityApp
    from tui.commands import binding_sentence
    from tui.screens import registry

    from textual.screen import Screen

    missing = []
    for spec in registry.available_screens():
        screen_class = registry.load_screen_class(spec)
        for node_class in keymap_table.binding_sources(screen_class):
            if node_class is not screen_class and issubclass(node_class, Screen):
                continue  # a modal's keys are listed in help, not in the palette of the screen below it
            for binding in keymap_table.own_bindings(node_class):
                sentence = binding_sentence(binding, node_class, "\0")
                if sentence.endswith("on the \0 screen") or binding.id in sentence:
                    missing.append(binding.id)
    for binding in keymap_table.own_bindings(InteriorityApp):
        assert binding.id not in binding_sentence(binding, InteriorityApp, "Studio")
    assert missing == []


async def test_palette_entries_are_sentences_not_ids(make_app):
    from tui import keymap as keymap_table
    from tui.commands import StudioCommands

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for screen_id in ("plan", "train", "build", "queue"):
            app.show_screen(screen_id)
            await settle(app, pilot)
            commands = StudioCommands(app.screen)._commands()
            ids = {b.id for cls in keymap_table.binding_sources(type(app.screen))
                   for b in keymap_table.own_bindings(cls)}
            assert len(commands) > 7
            for command in commands:
                assert command.help and not any(binding_id in command.help for binding_id in ids), command
        helps = {c.title: c.help for c in commands}
        assert helps["Queue: Enqueue"].startswith("Turn the chosen passages")
        app.show_screen("plan")
        await settle(app, pilot)
        helps = {c.title: c.help for c in StudioCommands(app.screen)._commands()}
        assert helps["Plan: Recompute"] == "Recompute the plan (key f5)"


async def test_palette_search_also_finds_a_command_by_its_sentence(make_app):
    from tui.commands import StudioCommands

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.show_screen("plan")
        await settle(app, pilot)
        provider = StudioCommands(app.screen)
        titles = [str(hit.text) async for hit in provider.search("behind every number")]
        assert titles == ["Plan: Formulas"]
        titles = [str(hit.text) async for hit in provider.search("recompute")]
        assert titles[0] == "Plan: Recompute"
