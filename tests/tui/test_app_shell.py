"""The shell: screens from the registry, number keys, the palette, help, the keymap, a locked database."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from core.project import open_project
from tests.tui.conftest import SIZE
from tests.tui.helpers import record_notifications, settle
from tui import keymap as keymap_table
from tui.app import InteriorityApp, run_app
from tui.screens import registry
from tui.screens.help import HelpScreen, help_sections


def test_every_binding_has_an_id_and_a_description():
    classes = [InteriorityApp]
    for spec in registry.available_screens():
        classes.extend(keymap_table.binding_sources(registry.load_screen_class(spec)))
    from tui.widgets import modals, tag_sidebar
    from tui.screens.help import HelpScreen as Help

    classes += [modals.ConfirmModal, modals.PromptModal, modals.ChoiceModal, tag_sidebar.TagInput, Help]
    bindings = [b for cls in classes for b in keymap_table.own_bindings(cls)]
    assert len(bindings) > 20
    missing = [(b.key, b.action) for b in bindings if not b.id or not b.description]
    assert missing == []


async def test_number_keys_switch_only_to_screens_that_exist(make_app, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.current_mode == "library"
        await pilot.press("2")
        await settle(app, pilot)
        assert app.current_mode == "reader"
        await pilot.press("1")
        await pilot.pause()
        assert app.current_mode == "library"
        for spec in registry.SCREENS:
            if not registry.module_exists(spec):  # a screen another issue has not built yet
                await pilot.press(spec.key)
                await pilot.pause()
                assert app.current_mode == "library"


async def test_command_palette_goes_to_a_screen(make_app, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"go to reader")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.current_mode == "reader"


async def test_help_lists_every_binding_of_every_screen(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        shown_ids = {table.get_row_at(i)[2] for i in range(table.row_count)}
        expected = {row.binding_id for _title, rows in help_sections(app) for row in rows}
        assert {"app.help", "library.delete", "library.import", "reader.search", "reader.mark",
                "reader.verdict_valuable", "tag.leave"} <= shown_ids
        assert shown_ids == expected
        titles = {table.get_row_at(i)[0] for i in range(table.row_count)} - {""}
        assert titles == {"Everywhere"} | {f"{s.key} {s.title}" for s in registry.available_screens()}
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_keymap_in_interiority_toml_remaps_by_id(project, db):
    with project.settings_path.open("a", encoding="utf-8") as toml:
        toml.write('"library.import" = "ctrl+o"\n"library.no_such_thing" = "x"\n')
    project.reload_settings()
    app = InteriorityApp(project, db=db)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(app, pilot)
        await pilot.press("escape")  # leave the import field the empty library focuses
        await pilot.press("i")
        assert not isinstance(app.focused, Input)  # the old key no longer imports
        await pilot.press("ctrl+o")
        assert app.focused is app.screen.query_one("#import-path", Input)
        await settle(app, pilot)
        assert any("library.no_such_thing" in text for text in seen), seen
        rows = {row.binding_id: row for _t, rows in help_sections(app) for row in rows}
        assert rows["library.import"].key == "^o" and rows["library.import"].remapped


def test_a_locked_database_is_one_sentence_not_a_traceback(tmp_path, capsys):
    from store import Database

    project = open_project(tmp_path / "locked")
    holder = Database(project.db_path)
    try:
        assert run_app(project) == 2
    finally:
        holder.close()
    err = capsys.readouterr().err
    assert err.startswith("interiority: ") and "another Interiority process" in err
    assert "Traceback" not in err
