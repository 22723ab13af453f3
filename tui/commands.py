"""The command palette's studio commands: go to any available screen, or run any binding of this one.

The commands are built from the same tables as the number keys and the help
screen (the screen registry and the classes' BINDINGS), so a new screen or a new
binding shows up here without being listed twice.  A screen that failed to load
stays listed, its help line saying why; choosing it shows that sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.widget import Widget

from tui import keymap as keymap_table
from tui.screens import registry


@dataclass(frozen=True)
class StudioCommand:
    title: str
    help: str
    run: Callable[[], object]


def _run_binding(node: DOMNode, action: str) -> None:
    node.call_later(node.app.run_action, action, node)


class StudioCommands(Provider):
    """Screens to switch to, then the current screen's own commands (from its bindings)."""

    def _commands(self) -> list[StudioCommand]:
        app = self.app
        keymap = getattr(getattr(app, "settings", None), "keymap", {}) or {}
        commands: list[StudioCommand] = []
        show_screen: Callable[[str], Any] = getattr(app, "action_show_screen")
        available = registry.available_screens()
        broken = registry.broken_screens()
        for spec in registry.SCREENS:
            help_line = (f"Switch to the {spec.title} screen (key {spec.key})" if spec in available
                         else broken.get(spec.id, f"The {spec.title} screen could not be loaded."))
            commands.append(StudioCommand(f"Go to {spec.title}", help_line, partial(show_screen, spec.id)))
        screen = self.screen
        for node_class in keymap_table.binding_sources(type(screen)):
            node: DOMNode | None
            if isinstance(screen, node_class):
                node = screen
            elif issubclass(node_class, Widget):
                found = screen.query(node_class)
                node = found.first() if found else None
            else:
                node = None
            if node is None:
                continue  # e.g. the reader's view before a book is open
            for binding in keymap_table.own_bindings(node_class):
                if not binding.description:
                    continue
                keys = ", ".join(keymap_table.effective_keys(binding, keymap))
                commands.append(StudioCommand(
                    f"{screen.__class__.__name__.removesuffix('Screen')}: {binding.description}",
                    f"{binding.id or binding.action}  [{keys}]",
                    partial(_run_binding, node, binding.action),
                ))
        return commands

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, help=command.help)
