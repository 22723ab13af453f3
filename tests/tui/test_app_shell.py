"""The shell: screens from the registry, number keys, the palette, help, the keymap, a locked database."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.keys import Keys
from textual.widgets import DataTable, Input

from core.keys import KEY_NAMES, QUIT_BINDING_ID, QUIT_KEY, character_key_name, key_problem, split_keys

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
    # Recorded from the start: with the screens already imported (an earlier test), the check is done by
    # the time the test body runs.
    seen = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("escape")  # leave the import field the empty library focuses
        await pilot.press("i")
        assert not isinstance(app.focused, Input)  # the old key no longer imports
        await pilot.press("ctrl+o")
        assert app.focused is app.screen.query_one("#import-path", Input)
        # The keymap check starts after the first refresh, in a thread: wait for its notification.
        for _ in range(50):
            if any("library.no_such_thing" in text for text in seen):
                break
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


# ---- every screen loads, and one that does not is loud -------------------------------------------

SEVEN = ["library", "reader", "queue", "review", "build", "train", "plan", "arena"]  # + arena (issue 16)


async def test_all_seven_screens_open_and_mount(make_app, notes_book):
    """A screen whose module fails to import fails here (dev mode re-raises), not silently in a user's studio."""
    assert [spec.id for spec in registry.SCREENS] == SEVEN
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for spec in registry.SCREENS:
            await pilot.press(spec.key)
            await settle(app, pilot)
            assert app.current_mode == spec.id
            screen = app.screen
            assert type(screen).__name__ == spec.class_name and type(screen).__module__ == spec.module
            assert screen.is_mounted and screen is app.screen_instance(spec.id)
        assert registry.broken_screens() == {}


@pytest.fixture
def broken_screen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> registry.ScreenSpec:
    """An eighth screen whose module raises on import, registered for one test."""
    (tmp_path / "h6_half_built_screen.py").write_text("raise ImportError('cannot import name Gauge from tui.widgets')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = registry.ScreenSpec("broken", "Gauges", "8", "h6_half_built_screen", "GaugeScreen")
    monkeypatch.setattr(registry, "SCREENS", [*registry.SCREENS, spec])
    monkeypatch.setattr(registry, "_broken", {})
    yield spec
    sys.modules.pop("h6_half_built_screen", None)


def test_in_dev_mode_a_broken_screen_raises_its_own_error(broken_screen):
    assert registry.dev_mode()
    with pytest.raises(ImportError, match="cannot import name Gauge"):
        registry.load_screen_class(broken_screen)
    with pytest.raises(ImportError):
        registry.available_screens()


async def test_in_production_a_broken_screen_is_one_sentence_naming_its_module(
        make_app, broken_screen, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(registry.DEV_ENV)
    assert not registry.dev_mode()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(app, pilot)
        assert app.show_screen("broken") is None
        await pilot.pause()
        assert app.current_mode == "library"
        assert len(seen) == 1 and "h6_half_built_screen" in seen[0] and "Gauges screen could not be loaded" in seen[0]
        assert "\n" not in seen[0] and "reinstall" in seen[0]
        # Listed in help and the palette with the reason, not silently left out.
        sections = dict(help_sections(app))
        assert "h6_half_built_screen" in sections["8 Gauges"][0].description
        from tui.commands import StudioCommands

        provider = StudioCommands(app.screen)
        gauges = [c for c in provider._commands() if c.title == "Go to Gauges"]
        assert len(gauges) == 1 and "h6_half_built_screen" in gauges[0].help
        # The seven real screens still work.
        assert app.show_screen("reader") is not None
        await settle(app, pilot)
        assert app.current_mode == "reader"


# ---- the core keymap rules agree with Textual and with the studio's own keys -----------------------

def test_every_key_name_the_rules_accept_is_one_textual_knows():
    """Named keys are Textual's; character names are what Textual calls those characters in a binding."""
    textual_names = {key.value for key in Keys}
    # "," separates keys in a binding, so it is spelled "comma" (Textual's name for it in key events).
    printable = [chr(code) for code in range(33, 127) if chr(code) != ","]
    character_names = {next(iter(Binding.make_bindings([Binding(c, "noop")]))).key for c in printable}
    assert {character_key_name(c) for c in printable} == character_names
    assert sorted(KEY_NAMES - textual_names - character_names) == ["comma"] == [character_key_name(",")]


def test_every_studio_binding_passes_the_keymap_rules():
    """The rules refuse nothing the studio itself uses, so writing a default key into [keymap] is accepted."""
    from tui.widgets import modals, tag_sidebar

    classes = [InteriorityApp, HelpScreen, modals.ConfirmModal, modals.PromptModal, modals.ChoiceModal,
               tag_sidebar.TagInput]
    for spec in registry.available_screens():
        classes.extend(keymap_table.binding_sources(registry.load_screen_class(spec)))
    problems = [(b.id, key, key_problem(key)) for cls in classes for b in keymap_table.own_bindings(cls)
                for key in split_keys(b.key) if key_problem(key) is not None]
    assert problems == []


def test_quit_is_the_binding_the_rules_protect():
    quit_bindings = [b for b in keymap_table.own_bindings(InteriorityApp) if b.id == QUIT_BINDING_ID]
    assert len(quit_bindings) == 1 and split_keys(quit_bindings[0].key) == [QUIT_KEY]
    assert quit_bindings[0].priority  # so no screen's binding can shadow it


async def test_in_dev_mode_the_keymap_check_does_not_hide_a_broken_screen(project, db, broken_screen):
    """The keymap check imports every screen in a worker; a broken one must not vanish into a notification."""
    with project.settings_path.open("a", encoding="utf-8") as toml:
        toml.write('"library.import" = "ctrl+o"\n')
    project.reload_settings()
    app = InteriorityApp(project, db=db)
    with pytest.raises(ImportError, match="cannot import name Gauge"):
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
