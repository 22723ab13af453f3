"""The command palette's studio commands: go to any available screen, or run any binding of this one.

The commands are built from the same tables as the number keys and the help
screen (the screen registry and the classes' BINDINGS), so a new screen or a new
binding shows up here without being listed twice.  A screen that failed to load
stays listed, its help line saying why; choosing it shows that sentence.

Each entry's help line is a sentence for people, not a binding id (issue 18:
"plan.recompute" told a newcomer nothing): the binding's tooltip, else its
sentence in `tui.binding_sentences`, else the first line of its action's
docstring, else "<description> on the <screen> screen"; then the key that does it.  Ids stay in the help screen (`?`), where
they are needed for `[keymap]`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.widget import Widget

from tui import keymap as keymap_table
from tui.binding_sentences import SENTENCES
from tui.screens import registry


@dataclass(frozen=True)
class StudioCommand:
    title: str
    help: str
    run: Callable[[], object]


def binding_sentence(binding: Binding, node_class: type[DOMNode], screen_title: str) -> str:
    """What a binding does, as a sentence: its tooltip, its action's docstring, or its description and screen."""
    if binding.tooltip:
        return binding.tooltip
    if binding.id and binding.id in SENTENCES:
        return SENTENCES[binding.id]
    action_name = binding.action.split("(", 1)[0].rsplit(".", 1)[-1]
    method = getattr(node_class, f"action_{action_name}", None)
    doc = inspect.getdoc(method) if method is not None else None
    if doc:
        return doc.strip().splitlines()[0].rstrip(".")
    return f"{binding.description} on the {screen_title} screen"


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
                keys = ", ".join(app.get_key_display(binding.with_key(key))
                                 for key in keymap_table.effective_keys(binding, keymap))
                screen_title = screen.__class__.__name__.removesuffix("Screen")
                commands.append(StudioCommand(
                    f"{screen_title}: {binding.description}",
                    f"{binding_sentence(binding, node_class, screen_title)} (key {keys})",
                    partial(_run_binding, node, binding.action),
                ))
        return commands

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        # The title first; failing that the sentence, ranked lower ("formulas" finds "Plan: Formulas",
        # "numbers" finds it through "Show or hide the formulas behind every number").
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, help=command.help)
                continue
            score = matcher.match(command.help)
            if score > 0:
                yield Hit(score * 0.5, command.title, command.run, help=command.help)
