"""The help screen: every key binding of the studio, screen by screen, with its id and what it does.

It is built from the classes' BINDINGS (through `tui.keymap`), with the keymap
of interiority.toml applied, so it can never disagree with what the keys do; the
ids are the names to use under `[keymap]`.  A screen whose module failed to load
is listed too, with the sentence saying why, rather than silently left out.

It opens on the keys of the screen it was called from (selected, scrolled to the
top), and the search box above the list (`/`) keeps the rows whose key, id or
description match what is typed: a substring, or a close fuzzy match (rapidfuzz)
so that "recompte" still finds Recompute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from tui import keymap as keymap_table
from tui.screens import registry

HELP_HINT = ("/ searches.  Remap any key under [keymap] in interiority.toml by its id, e.g.  "
             "\"reader.search\" = \"ctrl+f\".  Escape closes this list.")
# A fuzzy match must score at least this (rapidfuzz partial_ratio, 0-100) to keep a row.
FUZZY_THRESHOLD = 80


def help_sections(app: App[Any]) -> list[tuple[str, list[keymap_table.BindingRow]]]:
    """(section title, rows) for the app itself and for every registered screen.

    A screen that did not load gets one row: the sentence naming its module and the fix.
    """
    keymap = getattr(getattr(app, "settings", None), "keymap", {}) or {}
    available = registry.available_screens()
    registered = {f"app.screen.{spec.id}" for spec in registry.SCREENS}
    everywhere = [row for row in keymap_table.rows_for([type(app)], app, keymap)
                  if not row.binding_id.startswith("app.screen.") or row.binding_id in registered]
    sections = [("Everywhere", everywhere)]
    broken = registry.broken_screens()
    for spec in registry.SCREENS:
        if spec in available:
            classes = keymap_table.binding_sources(registry.load_screen_class(spec))
            rows = keymap_table.rows_for(classes, app, keymap)
        else:
            reason = broken.get(spec.id, f"The {spec.title} screen could not be loaded.")
            rows = [keymap_table.BindingRow(binding_id="", key="", description=reason, action="")]
        sections.append((f"{spec.key} {spec.title}", rows))
    return sections


@dataclass(frozen=True)
class HelpLine:
    """One row of the help table with the section it belongs to."""

    section: str
    row: keymap_table.BindingRow

    @property
    def haystack(self) -> str:
        return f"{self.section} {self.row.key} {self.row.binding_id} {self.row.description}".lower()


def matches(query: str, line: HelpLine) -> bool:
    """True when `query` is empty, a substring of the line, or (3+ characters) a close fuzzy match of it."""
    query = query.strip().lower()
    if not query or query in line.haystack:
        return True
    if len(query) < 3:
        return False
    from rapidfuzz import fuzz

    return fuzz.partial_ratio(query, line.haystack) >= FUZZY_THRESHOLD


def section_title(spec: registry.ScreenSpec) -> str:
    return f"{spec.key} {spec.title}"


class HelpScreen(ModalScreen[None]):
    """Every binding, with its id, opened at `screen_id`'s keys; `?`, F1 or Escape closes it."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="help.close"),
        Binding("slash", "search", "Search", id="help.search"),
    ]
    DEFAULT_CSS = """
    HelpScreen #help-search { margin: 0 0 0 0; }
    """

    def __init__(self, screen_id: str = "") -> None:
        super().__init__()
        self.screen_id = screen_id
        self.lines: list[HelpLine] = []
        self.shown: list[HelpLine] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label("Getting started", classes="modal-question")
            yield Static("", id="help-steps")
            yield Label("Keys of every screen", classes="modal-question")
            yield Input(placeholder="search keys (/): a key, an id or a word of what it does", id="help-search")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Label(HELP_HINT, id="help-hint", markup=False)

    def on_mount(self) -> None:
        self._show_steps()
        table = self.query_one("#help-table", DataTable)
        table.add_columns("Screen", "Key", "Id", "What it does")
        self.lines = [HelpLine(title, row) for title, rows in help_sections(self.app) for row in rows]
        self._fill("")
        table.focus()
        spec = registry.spec_by_id(self.screen_id)
        if spec is not None:
            start = next((i for i, line in enumerate(self.shown) if line.section == section_title(spec)), None)
            if start is not None:
                table.move_cursor(row=start, scroll=False)
                # After the first layout, so the table knows its height: the screen's keys at the top.
                self.call_after_refresh(table.scroll_to, y=start, animate=False)

    def _fill(self, query: str) -> None:
        table = self.query_one("#help-table", DataTable)
        table.clear()
        self.shown = [line for line in self.lines if matches(query, line)]
        previous = None
        for line in self.shown:
            row = line.row
            key = f"{row.key} *" if row.remapped else row.key
            table.add_row(line.section if line.section != previous else "", key, row.binding_id, row.description)
            previous = line.section

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#help-table", DataTable).focus()

    def action_search(self) -> None:
        self.query_one("#help-search", Input).focus()

    def _show_steps(self) -> None:
        from core.first_run import first_run_steps
        from tui.widgets.first_steps import steps_text

        app = self.app
        db = getattr(app, "db", None)
        project = getattr(app, "project", None)
        if db is None or project is None:
            self.query_one("#help-steps").display = False
            return
        self.query_one("#help-steps", Static).update(steps_text(first_run_steps(project, db), compact=True))

    def action_close(self) -> None:
        self.dismiss(None)
