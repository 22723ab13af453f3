"""The one place a screen is added: the studio's screens, their number keys and where their code lives.

A screen is listed (number key, command palette, help) only when its module
imports, so a screen that another issue has not built yet simply does not
appear.  Availability is checked cheaply at start-up (`find_spec`: does the
module exist?) and confirmed by importing the module when it is first needed,
which keeps the first frame fast: the Queue screen's imports (the Anthropic
SDK) are not paid for until the user opens it.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from textual.screen import Screen

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScreenSpec:
    """Where a screen lives and how it is reached."""

    id: str  # also the Textual mode name and the binding-id prefix ("library.delete")
    title: str
    key: str  # the number key that switches to it
    module: str
    class_name: str


SCREENS: list[ScreenSpec] = [
    ScreenSpec("library", "Library", "1", "tui.screens.library", "LibraryScreen"),
    ScreenSpec("reader", "Reader", "2", "tui.screens.reader", "ReaderScreen"),
    ScreenSpec("queue", "Queue", "3", "tui.screens.queue", "QueueScreen"),
    ScreenSpec("review", "Review", "4", "tui.screens.review", "ReviewScreen"),
    ScreenSpec("build", "Build", "5", "tui.screens.build", "BuildScreen"),
    ScreenSpec("train", "Train", "6", "tui.screens.train", "TrainScreen"),
    ScreenSpec("plan", "Plan", "7", "tui.screens.plan", "PlanScreen"),
]

# Modules that were found but failed to import, with the reason (shown in the help screen).
_broken: dict[str, str] = {}
_classes: dict[str, "type[Screen]"] = {}


def spec_by_id(screen_id: str) -> Optional[ScreenSpec]:
    for spec in SCREENS:
        if spec.id == screen_id:
            return spec
    return None


def module_exists(spec: ScreenSpec) -> bool:
    """True when the screen's module file is there (does not import it)."""
    if spec.id in _broken:
        return False
    try:
        return importlib.util.find_spec(spec.module) is not None
    except (ImportError, ValueError):
        return False


def present_screens() -> list[ScreenSpec]:
    """Screens whose module exists and has not failed to import: cheap, for start-up."""
    return [spec for spec in SCREENS if module_exists(spec)]


def load_screen_class(spec: ScreenSpec) -> Optional["type[Screen]"]:
    """Import the screen's class; None (and the reason remembered) when its module does not import."""
    if spec.id in _classes:
        return _classes[spec.id]
    if spec.id in _broken or not module_exists(spec):
        return None
    try:
        module = importlib.import_module(spec.module)
        screen_class = getattr(module, spec.class_name)
    except Exception as exc:  # a half-built screen must not take the studio down with it
        _broken[spec.id] = f"{type(exc).__name__}: {exc}"
        log.info("screen %s is not available: %s", spec.id, _broken[spec.id])
        return None
    _classes[spec.id] = screen_class
    return screen_class


def available_screens() -> list[ScreenSpec]:
    """Screens whose module imports (imports them all: for the help screen and the palette)."""
    return [spec for spec in SCREENS if load_screen_class(spec) is not None]


def broken_screens() -> dict[str, str]:
    """Screen id -> why its module did not import."""
    return dict(_broken)
