"""What every studio screen shares: the header with the screen tabs, the footer, and worker errors shown once.

Screens need not subclass this (the contract only asks for a `Screen` with no
required arguments), but doing so gives them the common chrome and the one place
where a failed worker becomes a notification instead of a crash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header
from textual.worker import Worker, WorkerState

from tui.widgets.nav_bar import NavBar

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from tui.app import InteriorityApp


class StudioScreen(Screen[Any]):
    """A top-level studio screen."""

    SCREEN_ID: ClassVar[str] = ""
    # Widget classes whose bindings belong to this screen in the help screen and the palette.
    BINDING_SOURCES: ClassVar[tuple[type["DOMNode"], ...]] = ()

    @property
    def studio(self) -> "InteriorityApp":
        return self.app  # type: ignore[return-value]

    def compose_header(self) -> ComposeResult:
        yield Header(icon="")
        yield NavBar(self.SCREEN_ID, id="nav")

    def compose_footer(self) -> Iterable[Footer]:
        yield Footer()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.studio.show_error(event.worker.error)

    def save_state(self) -> None:
        """Write whatever this screen holds only in memory; called before the app exits."""
