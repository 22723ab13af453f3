"""Key bindings as data: what the help screen lists and how `[keymap]` in interiority.toml remaps them.

Every binding in the studio has an id ("<screen>.<action>"); Textual's
`App.set_keymap` replaces the key of a binding by id wherever it is declared
(app, screen or widget).  This module collects the studio's own bindings from
the classes that declare them (a screen plus the widgets it names in its
`BINDING_SOURCES`), so that the help screen and the keymap check read the same
table, and reports ids in the user's keymap that match no binding (a typo would
otherwise be silently ignored).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from textual.binding import Binding

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode

# Only bindings declared by the studio's own classes are listed; Textual's built-in
# scrolling and focus bindings are documented by Textual.
_OWN_MODULE_PREFIX = "tui."


@dataclass(frozen=True)
class BindingRow:
    """One binding as the help screen shows it."""

    binding_id: str
    key: str  # the key(s) in effect, after the keymap, as displayed
    description: str
    action: str
    remapped: bool = False


def own_bindings(node_class: "type[DOMNode]") -> list[Binding]:
    """The bindings a studio class (and its studio base classes) declare, in declaration order.

    Each `Binding` with several keys ("up,k") stays one entry: the keymap remaps
    it as one id.
    """
    seen: set[tuple[str, str]] = set()
    found: list[Binding] = []
    for klass in reversed(node_class.__mro__):
        if not klass.__module__.startswith(_OWN_MODULE_PREFIX):
            continue
        for item in klass.__dict__.get("BINDINGS", []):
            binding = item if isinstance(item, Binding) else Binding(*item)
            marker = (binding.id or binding.key, binding.action)
            if marker in seen:
                continue
            seen.add(marker)
            found.append(binding)
    return found


def binding_sources(screen_class: "type[DOMNode]") -> list["type[DOMNode]"]:
    """The screen class itself and the widget classes it declares in `BINDING_SOURCES`."""
    return [screen_class, *getattr(screen_class, "BINDING_SOURCES", ())]


def effective_keys(binding: Binding, keymap: Mapping[str, str]) -> list[str]:
    """The keys a binding answers to once the keymap is applied."""
    if binding.id and binding.id in keymap:
        return [key.strip() for key in keymap[binding.id].split(",") if key.strip()]
    return [key.strip() for key in binding.key.split(",") if key.strip()]


def rows_for(classes: Iterable["type[DOMNode]"], app: "App[Any]", keymap: Mapping[str, str]) -> list[BindingRow]:
    """Help rows for the bindings of `classes`, keys shown as the footer shows them."""
    rows: list[BindingRow] = []
    for node_class in classes:
        for binding in own_bindings(node_class):
            keys = effective_keys(binding, keymap)
            shown = ", ".join(app.get_key_display(binding.with_key(key)) for key in keys)
            rows.append(BindingRow(
                binding_id=binding.id or "",
                key=shown,
                description=binding.description or binding.tooltip or binding.action,
                action=binding.action,
                remapped=bool(binding.id and binding.id in keymap),
            ))
    return rows


def known_binding_ids(classes: Iterable["type[DOMNode]"]) -> set[str]:
    return {b.id for node_class in classes for b in own_bindings(node_class) if b.id}


def unknown_keymap_ids(keymap: Mapping[str, str], classes: Iterable["type[DOMNode]"]) -> list[str]:
    """Keymap entries that name no binding of the given classes (sorted, for one clear message)."""
    known = known_binding_ids(classes)
    return sorted(binding_id for binding_id in keymap if binding_id not in known)
