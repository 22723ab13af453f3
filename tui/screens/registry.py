"""The one place a screen is added: the studio's screens, their number keys and where their code lives.

Every screen listed here is part of the studio; none may silently drop out.  A
screen's module is imported when the screen is first needed (so the first frame
does not wait for the Queue screen's Anthropic SDK), and if that import fails:

- in a test or a development run (`INTERIORITY_DEV=1`, set by the test suite, or
  `python -X dev`) the original exception propagates, so the bug fails loudly
  where it was made;
- otherwise `ScreenLoadError` says, in one sentence naming the module, that the
  screen could not be loaded; the app shows it when the screen is asked for, and
  the help screen and the palette list the screen with that sentence instead of
  leaving it out.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from core.errors import UserError

if TYPE_CHECKING:
    from textual.screen import Screen

log = logging.getLogger(__name__)

DEV_ENV = "INTERIORITY_DEV"


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
    ScreenSpec("arena", "Arena", "8", "tui.screens.arena", "ArenaScreen"),
]


class ScreenLoadError(UserError):
    """A registered screen's module did not import (a broken install or a bug); the sentence names the module."""


# Screens whose module failed to import (production runs only), with the sentence shown to the user.
_broken: dict[str, str] = {}
_classes: dict[str, "type[Screen[Any]]"] = {}


def dev_mode() -> bool:
    """True in tests and development runs, where a screen that does not import must raise its own error."""
    return bool(sys.flags.dev_mode) or os.environ.get(DEV_ENV, "") not in ("", "0")


def spec_by_id(screen_id: str) -> Optional[ScreenSpec]:
    for spec in SCREENS:
        if spec.id == screen_id:
            return spec
    return None


def module_exists(spec: ScreenSpec) -> bool:
    """True when the screen's module file is there and has not failed to import (does not import it)."""
    if spec.id in _broken:
        return False
    try:
        return importlib.util.find_spec(spec.module) is not None
    except (ImportError, ValueError):
        return False


def present_screens() -> list[ScreenSpec]:
    """Every registered screen, in number-key order (the nav bar lists them all; a broken one says why when chosen)."""
    return list(SCREENS)


def load_screen_class(spec: ScreenSpec) -> "type[Screen[Any]]":
    """Import the screen's class.

    Raises the import's own exception in dev mode, else `ScreenLoadError` with a sentence
    naming the module (remembered, and logged at error level).
    """
    if spec.id in _classes:
        return _classes[spec.id]
    if spec.id in _broken:
        raise ScreenLoadError(_broken[spec.id])
    try:
        module = importlib.import_module(spec.module)
        screen_class: "type[Screen[Any]]" = getattr(module, spec.class_name)
    except Exception as exc:
        if dev_mode():
            raise
        reason = f"{type(exc).__name__}: {exc}"
        if len(reason) > 160:
            reason = reason[:157] + "..."
        _broken[spec.id] = (f"The {spec.title} screen could not be loaded: its module {spec.module} failed to import "
                            f"({reason}); reinstall Interiority, or report this with `python -X dev -m core`.")
        log.error("%s", _broken[spec.id], exc_info=exc)
        raise ScreenLoadError(_broken[spec.id]) from None
    _classes[spec.id] = screen_class
    return screen_class


def try_load_screen_class(spec: ScreenSpec) -> "Optional[type[Screen[Any]]]":
    """The screen's class, or None when it failed to import in production (the reason is in `broken_screens`)."""
    try:
        return load_screen_class(spec)
    except ScreenLoadError:
        return None


def available_screens() -> list[ScreenSpec]:
    """Screens whose module imports (imports them all: for the help screen, the palette and the keymap check)."""
    return [spec for spec in SCREENS if try_load_screen_class(spec) is not None]


def broken_screens() -> dict[str, str]:
    """Screen id -> the sentence saying why its module did not import (production runs only)."""
    return dict(_broken)
