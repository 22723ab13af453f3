"""What every studio screen shares: the header with the screen tabs, the footer, worker errors shown once,
and where the keyboard focus rests when no form field is being edited.

Screens need not subclass this (the contract only asks for a `Screen` with no
required arguments), but doing so gives them the common chrome and the one place
where a failed worker becomes a notification instead of a crash.

Focus (issue 18, bug 2): a studio screen is driven by single keys (the number keys
switch screens), and a focused text field swallows every printable key.  Textual's
default auto-focus puts the focus on the first focusable widget, which on a form
screen is a text field, so pressing `6` on a freshly opened Build screen typed into
the build's name.  A studio screen therefore opens with its *main widget* focused
(`MAIN_WIDGET`, else the first list-like widget) or nothing, and Escape in a field
(the app's `app.leave_field` binding) returns the focus there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Optional

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, ListView, Tree
from textual.worker import Worker, WorkerState

from tui.widgets.nav_bar import NavBar

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from core.ui_state import ScreenState
    from tui.app import InteriorityApp

# Widgets a screen is "about" when it names no MAIN_WIDGET: browsing them leaves the number keys alone.
MAIN_WIDGET_TYPES: tuple[type[Widget], ...] = (DataTable, ListView, Tree)


def _shown_and_focusable(widget: Widget) -> bool:
    # Not one in a hidden tab: focusing it would switch the tab (Train's History table behind the Live tab).
    return widget.focusable and all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


class StudioScreen(Screen[Any]):
    """A top-level studio screen."""

    SCREEN_ID: ClassVar[str] = ""
    # Widget classes whose bindings belong to this screen in the help screen and the palette.
    BINDING_SOURCES: ClassVar[tuple[type["DOMNode"], ...]] = ()
    # A selector for the widget that holds the focus when no field is edited ("" = the first list-like widget).
    MAIN_WIDGET: ClassVar[str] = ""
    # Textual's auto-focus would pick the first focusable widget, a text field on the form screens.
    AUTO_FOCUS = ""

    @property
    def studio(self) -> "InteriorityApp":
        return self.app  # type: ignore[return-value]

    @property
    def ui_state(self) -> "ScreenState":
        """This screen's values in the project's UI state (kept between sessions; written on switch and exit).

        Set them in `save_state` (called before the app exits) or when they change; read them in
        `on_mount`.  Keys are this screen's own: `self.ui_state.set("book", 12)`.
        """
        return self.studio.ui_state.namespace(self.SCREEN_ID or type(self).__name__.lower())

    def compose_header(self) -> ComposeResult:
        yield Header(icon="")
        yield NavBar(self.SCREEN_ID, id="nav")

    def compose_footer(self) -> Iterable[Footer]:
        yield Footer()

    def on_mount(self) -> None:
        # Runs after a subclass's own on_mount (Textual calls handlers down the MRO), so a screen that
        # focused something on purpose keeps it.
        if self.focused is None:
            self.set_focus(self.main_widget())

    def main_widget(self) -> Optional[Widget]:
        """The widget that holds the focus when no field is edited, or None (the screen takes the keys)."""
        if self.MAIN_WIDGET:
            for widget in self.query(self.MAIN_WIDGET):
                if _shown_and_focusable(widget):
                    return widget
            return None
        for widget in self.query("*"):
            if isinstance(widget, MAIN_WIDGET_TYPES) and _shown_and_focusable(widget):
                return widget
        return None

    def leave_field(self) -> None:
        """Escape in a text field: give the focus back to the main widget, or to nobody."""
        self.set_focus(self.main_widget())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.studio.show_error(event.worker.error)

    def save_state(self) -> None:
        """Write whatever this screen holds only in memory; called before the app exits."""
