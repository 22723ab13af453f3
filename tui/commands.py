"""The command palette's studio commands: go to any available screen, or run any binding of this one.

The commands are built from the same tables as the number keys and the help
screen (the screen registry and the classes' BINDINGS), so a new screen or a new
binding shows up here without being listed twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

from tui import keymap as keymap_table
from tui.screens import registry


@dataclass(frozen=True)
class StudioCommand:
    title: str
    help: str
    run: Callable[[], object]


def _run_binding(node: DOMNode, action: str) -> None:
    node.call_later(node.run_action, action)


class StudioCommands(Provider):
    """Screens to switch to, then the current screen's own commands (from its bindings)."""

    def _commands(self) -> list[StudioCommand]:
        app = self.app
        keymap = getattr(getattr(app, "settings", None), "keymap", {}) or {}
        commands: list[StudioCommand] = []
        for spec in registry.available_screens():
            commands.append(StudioCommand(
                f"Go to {spec.title}", f"Switch to the {spec.title} screen (key {spec.key})",
                partial(app.action_show_screen, spec.id),  # type: ignore[attr-defined]
            ))
        screen = self.screen
        for node_class in keymap_table.binding_sources(type(screen)):
            if isinstance(screen, node_class):
                node: DOMNode | None = screen
            else:
                found = screen.query(node_class)
                node = found.first() if found else None
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
