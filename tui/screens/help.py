"""The help screen: every key binding of the studio, screen by screen, with its id and what it does.

It is built from the classes' BINDINGS (through `tui.keymap`), with the keymap
of interiority.toml applied, so it can never disagree with what the keys do; the
ids are the names to use under `[keymap]`.  A screen whose module failed to load
is listed too, with the sentence saying why, rather than silently left out.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from tui import keymap as keymap_table
from tui.screens import registry

HELP_HINT = ("Remap any key under [keymap] in interiority.toml by its id, e.g.  \"reader.search\" = \"ctrl+f\".  "
             "Escape closes this list.")


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


class HelpScreen(ModalScreen[None]):
    """Every binding, with its id; `?`, F1 or Escape closes it."""

    BINDINGS = [Binding("escape,q", "close", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label("Getting started", classes="modal-question")
            yield Static("", id="help-steps")
            yield Label("Keys of every screen", classes="modal-question")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Label(HELP_HINT, id="help-hint", markup=False)

    def on_mount(self) -> None:
        self._show_steps()
        table = self.query_one("#help-table", DataTable)
        table.add_columns("Screen", "Key", "Id", "What it does")
        for title, rows in help_sections(self.app):
            for index, row in enumerate(rows):
                key = f"{row.key} *" if row.remapped else row.key
                table.add_row(title if index == 0 else "", key, row.binding_id, row.description)
        table.focus()

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
