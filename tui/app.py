"""The studio shell: one Textual app over one project, its screens reached by number keys and the palette.

The app owns the project's single `store.Database` for the process (it takes an
exclusive lock, so nothing else in the process may open another), the settings,
and the keymap.  Screens are Textual *modes*, one per entry of
`tui.screens.registry.SCREENS`, created the first time they are shown and kept
afterwards, so the reader keeps its place while the user visits the library.

The app also keeps the project's UI state (`core.ui_state`: the last screen, and
each screen's own values under its id), which reopens the studio where it was
left, and owns two rules about keys in text fields: Escape leaves the field
(`app.leave_field`), and a field's keys are applied in the order they were typed
even when they arrive in one burst (see `on_event`).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import Provider
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import TextArea
from textual.worker import Worker, WorkerState

from core.errors import UserError, os_error_sentence
from core.ui_state import UiState, load_ui_state, save_ui_state
from tui import keymap as keymap_table
from tui.screens import registry
from tui.fields import is_text_field
from tui.screens.registry import ScreenLoadError, ScreenSpec

if TYPE_CHECKING:
    from core.project import Project
    from store.database import Database

log = logging.getLogger(__name__)


def _screen_bindings() -> list[Binding]:
    # One number key per registered screen; a screen that fails to load says so when its key is pressed.
    return [
        Binding(spec.key, f"show_screen('{spec.id}')", spec.title, id=f"app.screen.{spec.id}", show=False)
        for spec in registry.SCREENS
    ]


def _studio_commands() -> "type[Provider]":
    # Imported when the palette first opens, not at start-up.
    from tui.commands import StudioCommands

    return StudioCommands


class InteriorityApp(App[int]):
    """The studio.  `InteriorityApp(project)` opens the project's database on mount and closes it on exit.

    Tests that already hold the project's `Database` pass it as `db=`; the app then
    uses it and leaves closing it to its owner.
    """

    CSS_PATH = "app.tcss"
    TITLE = "Interiority"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {_studio_commands}

    BINDINGS = [
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        Binding("ctrl+p", "command_palette", "Commands", id="app.palette", show=False, priority=True),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        # Checked after the focused field and its screen (a modal's or a screen's own Escape wins), and offered
        # only while a text field has the focus: the footer then says how to get the number keys back.
        Binding("escape", "leave_field", "Leave the field", id="app.leave_field", key_display="Esc"),
        *_screen_bindings(),
    ]

    db: "Database"  # set here when given, else on mount (a screen never runs before that)

    def __init__(self, project: "Project", db: Optional["Database"] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project = project
        self.settings = project.settings
        if db is not None:
            self.db = db
        self._owns_db = db is None
        self._screen_instances: dict[str, Screen[Any]] = {}
        # What the studio remembers between sessions (the last screen; screens add their own values).
        self.ui_state: UiState = load_ui_state(project.root)

    # ---- life cycle -------------------------------------------------------------------------

    def flag_new_example(self, example: Any) -> None:
        """Quality flags for an example the generation queue just stored (called from the queue's thread)."""
        flagger = getattr(self, "_live_flagger", None)
        if flagger is None:
            from core.quality.live import LiveFlagger

            flagger = self._live_flagger = LiveFlagger(self.project, self.db)
        flagger(example)

    def on_mount(self) -> None:
        if self._owns_db:
            try:
                from store.database import Database

                self.db = Database(self.project.db_path)
            except (UserError, OSError, _store_error()) as exc:  # locked or damaged: one sentence, then leave
                text = os_error_sentence(exc) if isinstance(exc, OSError) else str(exc)
                self.exit(return_code=2, message=f"interiority: {text}")
                return
        self.set_keymap(self.settings.keymap)
        for spec in registry.present_screens():
            self.add_mode(spec.id, self._screen_factory(spec))
        # The screen the user left last time, else the first that loads; one that does not is reported
        # (or raises, in dev mode).
        last = registry.spec_by_id(self.ui_state.last_screen or "")
        if last is None or self.show_screen(last.id) is None:
            for spec in registry.SCREENS:
                if self.show_screen(spec.id) is not None:
                    break
        if self.settings.keymap:
            self.call_after_refresh(self._check_keymap)

    def _screen_factory(self, spec: ScreenSpec) -> Callable[[], Screen[Any]]:
        def make() -> Screen[Any]:
            screen = registry.load_screen_class(spec)()
            self._screen_instances[spec.id] = screen
            return screen

        return make

    def save_all(self) -> None:
        """Ask every created screen to write what it holds in memory (reading position...)."""
        for screen in list(self._screen_instances.values()):
            save = getattr(screen, "save_state", None)
            if callable(save):
                try:
                    save()
                except Exception as exc:  # saving one screen must not stop the others
                    log.warning("saving %s failed: %s", type(screen).__name__, exc)
        self.save_ui_state()

    def save_ui_state(self) -> None:
        """Write `ui_state` (the screens' `save_state` may have added to it); a failure is only logged."""
        save_ui_state(self.project.root, self.ui_state)

    async def action_quit(self) -> None:
        self.save_all()
        self.exit(0)

    def on_unmount(self) -> None:
        self.save_all()
        if self._owns_db and hasattr(self, "db"):
            self.db.close()

    # ---- keys in text fields ----------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Keys for a focused text field are applied in the order they were typed (issue 18, bug 3).

        Textual inserts a printable character when the key reaches the field, but runs a bound
        key (backspace, end, enter, escape) only once the event has bubbled back up to the app
        (Textualize/textual#6605), so a burst such as End, Backspace x6, "4", Enter typed the 4
        before the backspaces deleted it.  Here a bound key for a focused field waits until the
        field has taken the keys queued before it, then runs its binding at once, before the
        next key is routed (so "Escape 2" in one burst leaves the field, then switches screens).
        """
        if isinstance(event, events.Key) and not event.is_forwarded:
            binding = self._inline_field_binding(event)
            if binding is not None:
                field, active = binding
                await _drained(field)
                if await self.run_action(active.binding.action, active.node):
                    return
        await super().on_event(event)

    def _inline_field_binding(self, event: events.Key) -> Optional[tuple[Widget, Any]]:
        """(field, active binding) when `event` is a bound, non-printable key for a focused text field."""
        field = self.focused
        if field is None or not is_text_field(field) or event.is_printable:
            return None
        if isinstance(field, TextArea) and event.key in _TEXT_AREA_OWN_KEYS:
            return None  # the TextArea acts on these itself when the key reaches it
        if self.screen.maximized is not None and event.key == "escape":
            return None  # Textual's own rule: Escape restores a maximized widget
        active = self.screen.active_bindings.get(event.key)
        if active is None or not active.enabled or active.binding.priority:
            return None  # unbound keys reach the field as usual; priority bindings already run first
        return field, active

    # ---- navigation -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_screen" and parameters:
            return registry.spec_by_id(str(parameters[0])) is not None
        if action == "leave_field":
            return is_text_field(self.focused) and not self.screen.is_modal
        return True

    def action_leave_field(self) -> None:
        """Escape in a form field: focus the screen's main widget (or nothing), so number keys switch screens again."""
        leave = getattr(self.screen, "leave_field", None)
        if callable(leave):
            leave()
        else:
            self.screen.set_focus(None)

    def screen_instance(self, screen_id: str) -> Optional[Screen[Any]]:
        """The screen for `screen_id` if it has been created."""
        return self._screen_instances.get(screen_id)

    def show_screen(self, screen_id: str) -> Optional[Screen[Any]]:
        """Switch to a registered screen (created on first use); None, with the reason shown, if it did not load.

        In dev mode (tests) a screen whose module fails to import raises that error here.
        """
        spec = registry.spec_by_id(screen_id)
        if spec is None:
            self.show_error(f"There is no screen called {screen_id!r}.")
            return None
        try:
            registry.load_screen_class(spec)
        except ScreenLoadError as exc:
            self.show_error(exc)
            return None
        if spec.id not in self._modes:
            self.add_mode(spec.id, self._screen_factory(spec))
        # A modal (help, confirmation) open over the current screen is closed first.
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.switch_mode(spec.id)
        if self.ui_state.last_screen != spec.id:  # remembered at once: a closed terminal runs no exit code
            self.ui_state.last_screen = spec.id
            self.save_ui_state()
        return self._screen_instances.get(spec.id)

    def action_show_screen(self, screen_id: str) -> None:
        self.show_screen(screen_id)

    def open_reader(self, book_id: int, offset: Optional[int] = None) -> None:
        """Show the reader on a book: at `offset` (a character of its text) or its saved position."""
        screen = self.show_screen("reader")
        if screen is not None:
            screen.open_book(book_id, offset)  # type: ignore[attr-defined]

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.current_mode or ""))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help: keys of every screen", "List every key binding, its id and what it does",
                            self.action_help)

    # ---- errors and keymap ------------------------------------------------------------------

    def show_error(self, error: "BaseException | str") -> None:
        """Tell the user what went wrong in a notification (never a traceback on the screen)."""
        if isinstance(error, str):
            text = error
        elif isinstance(error, UserError) or _is_store_error(error):
            text = str(error)
        elif isinstance(error, OSError):  # a full disk, a read-only folder: what and where, not a traceback
            text = os_error_sentence(error)
        else:
            log.exception("unexpected error", exc_info=error)
            text = f"Something went wrong ({type(error).__name__}: {error}). Your work so far is saved."
        self.notify(text, title="Error", severity="error", timeout=10, markup=False)

    def _check_keymap(self) -> None:
        self._check_keymap_worker(dict(self.settings.keymap))

    @work(thread=True, exclusive=True, exit_on_error=False, group="keymap-check")
    def _check_keymap_worker(self, keymap: dict[str, str]) -> None:
        # Importing every screen may take a moment (the queue brings the Anthropic SDK): not on the UI thread.
        classes: list[type[DOMNode]] = [InteriorityApp]
        for spec in registry.available_screens():
            classes.extend(keymap_table.binding_sources(registry.load_screen_class(spec)))
        unknown = keymap_table.unknown_keymap_ids(keymap, classes)
        if unknown:
            where = self.settings.source or "interiority.toml"
            self.call_from_thread(
                self.notify,
                f"{where}: [keymap] names no binding called {', '.join(unknown)}; "
                f"press ? to see every binding id.",
                title="Keymap", severity="warning", timeout=10, markup=False,
            )


    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The app's own workers (the keymap check); screens handle theirs in `StudioScreen`.
        if event.state is WorkerState.ERROR and event.worker.error is not None and event.worker.node is self:
            if registry.dev_mode() and not isinstance(event.worker.error, (UserError, OSError)):
                raise event.worker.error  # e.g. a screen that does not import: fail the test run loudly
            self.show_error(event.worker.error)


# Keys a TextArea handles in its own key handler (newline, indent, leaving an indenting area), not by binding.
_TEXT_AREA_OWN_KEYS = frozenset({"enter", "tab", "escape"})
# How long a bound key waits for the field to take the keys before it (it takes microseconds; a field being
# removed never answers).
_FIELD_DRAIN_TIMEOUT_S = 1.0


async def _drained(widget: Widget) -> None:
    """Return once `widget` has handled every message queued on it so far (or after a short timeout)."""
    done = asyncio.Event()
    if widget.call_later(done.set):
        try:
            await asyncio.wait_for(done.wait(), _FIELD_DRAIN_TIMEOUT_S)
        except asyncio.TimeoutError:
            log.warning("%r did not take its queued keys within %.1f s", widget, _FIELD_DRAIN_TIMEOUT_S)


def _store_error() -> type[Exception]:
    from store import StoreError

    return StoreError


def _is_store_error(error: BaseException) -> bool:
    return isinstance(error, _store_error())


def run_app(project: "Project") -> int:
    """Run the studio on `project` in the terminal; returns the exit code.

    The database is opened before the terminal switches to full screen, so a locked
    or damaged database is reported as one sentence on stderr (exit 2), not a traceback.
    """
    from store import StoreError
    from store.database import Database

    try:
        db = Database(project.db_path)
    except StoreError as exc:
        sys.stderr.write(f"interiority: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"interiority: {os_error_sentence(exc)}\n")
        return 2
    try:
        app = InteriorityApp(project, db=db)
        app.run()
        return int(app.return_code or 0)
    finally:
        db.close()
