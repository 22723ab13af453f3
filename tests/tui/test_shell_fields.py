"""Issue 18 bug 2: number keys typed into form fields, and Escape did not leave them.

Reproduces the reported keystrokes on the Plan and Build screens, mounted through the app
(the screens themselves are not edited: leaving a field is the app's and the base screen's job).
"""

from __future__ import annotations

from textual.widgets import Input

from tests.tui.conftest import SIZE
from tests.tui.helpers import settle


def _footer_descriptions(app) -> list[str]:
    """What the footer offers right now (the active bindings it would show)."""
    return [active.binding.description for active in app.screen.active_bindings.values()
            if active.binding.show and active.enabled]


async def test_plan_escape_leaves_the_gpus_field_and_the_next_number_switches(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.show_screen("plan")  # the empty library focuses its import field (its own choice)
        await settle(app, pilot)
        assert app.current_mode == "plan"
        screen = app.screen
        gpus = screen.query_one("#plan-gpus", Input)
        await pilot.click(gpus)
        await pilot.pause()
        assert app.focused is gpus
        assert "Leave the field" in _footer_descriptions(app)  # the state is visible
        await pilot.press("end", "backspace", "8", "enter")
        await settle(app, pilot)
        assert gpus.value == "8" and screen.last_plan["gpus"] == 8
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.focused, Input)
        assert "Leave the field" not in _footer_descriptions(app)
        await pilot.press("2")
        await settle(app, pilot)
        assert app.current_mode == "reader"
        assert gpus.value == "8"  # not "82"


async def test_build_opens_without_a_field_focused_so_6_switches_to_train(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.show_screen("build")
        await settle(app, pilot)
        assert app.current_mode == "build"
        name = app.screen.query_one("#build-name", Input)
        assert not isinstance(app.focused, Input)
        await pilot.press("6")
        await settle(app, pilot)
        assert app.current_mode == "train"
        assert name.value == "build-1"  # not "bbuild-6"
        # Back on Build, type into the name, Escape, then 6 still switches.
        await pilot.press("5")
        await settle(app, pilot)
        await pilot.click(name)
        await pilot.press("end", "x", "escape", "6")
        await settle(app, pilot)
        assert app.current_mode == "train" and name.value == "build-1x"


async def test_inside_a_field_printable_keys_still_type(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.show_screen("plan")  # the empty library focuses its import field (its own choice)
        await settle(app, pilot)
        tokens = app.screen.query_one("#plan-tokens", Input)
        tokens.focus()  # below the fold at 120x40: reached by Tab in real use
        await pilot.press("end", *"12")
        await settle(app, pilot)
        assert app.current_mode == "plan" and tokens.value == "300000012"


async def test_escape_in_a_modal_field_still_cancels_the_modal(make_app):
    """A prompt's Escape is the prompt's own (cancel), not 'leave the field'."""
    from tui.widgets.modals import PromptModal

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        answers: list[object] = []
        app.push_screen(PromptModal("Name?", "x"), answers.append)
        await pilot.pause()
        assert isinstance(app.focused, Input)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PromptModal) and answers == [None]


async def test_escape_in_a_text_area_returns_to_the_screens_main_widget(make_app):
    """Generic: any studio screen, any editable TextArea; the focus goes to the first list-like widget."""
    from textual.app import ComposeResult
    from textual.widgets import DataTable, TextArea

    from tui.screens.base import StudioScreen

    class NotesScreen(StudioScreen):
        SCREEN_ID = "notes"

        def compose(self) -> ComposeResult:
            yield from self.compose_header()
            yield TextArea("", id="notes-text")
            yield DataTable(id="notes-table")
            yield from self.compose_footer()

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = NotesScreen()
        await app.push_screen(screen)
        await pilot.pause()
        table = screen.query_one(DataTable)
        assert app.focused is table  # opened on its main widget, not the text area above it
        text = screen.query_one(TextArea)
        text.focus()
        await pilot.press("a", "2", "escape")
        await pilot.pause()
        assert text.text == "a2" and app.focused is table
        await pilot.press("2")
        await settle(app, pilot)
        assert app.current_mode == "reader"
