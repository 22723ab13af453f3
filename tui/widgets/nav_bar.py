"""The row of screen tabs under the header: which screens exist, their number keys, which one is shown."""

from __future__ import annotations

from rich.markup import escape
from textual.widgets import Static

from tui.screens import registry


class NavBar(Static):
    """`1 Library  2 Reader  3 Queue ...`, listing only the screens that are built; each one clickable."""

    DEFAULT_CSS = """
    NavBar { height: 1; }
    """

    def __init__(self, current: str, **kwargs) -> None:
        super().__init__(self._markup(current), **kwargs)
        self.current = current

    @staticmethod
    def _markup(current: str) -> str:
        parts = []
        for spec in registry.present_screens():
            label = f" {spec.key} {escape(spec.title)} "
            if spec.id == current:
                parts.append(f"[reverse b]{label}[/]")
            else:
                parts.append(f"[@click=app.show_screen('{spec.id}')]{label}[/]")
        return " ".join(parts)
