"""What the studio remembers between sessions of one project: the last screen, and small per-screen values.

Reopening the studio should put the user back where they were (issue 18): the
screen they left, and, as screens adopt it, the book and cursor in the reader or
the review filter.  None of that is the user's *work* (that lives in the
database), so it is kept out of the journal in one small JSON file in the
project folder, `ui_state.json`, and treated as a convenience:

- loading never fails: a missing, unreadable, damaged or foreign file gives an
  empty state (and one log line saying what was ignored); a document that is
  partly valid keeps its valid entries;
- saving is atomic (a temporary file in the project, fsynced, renamed over the
  old one), goes through `core.paths.inside` so a link cannot send it out of the
  project, and a failure (read-only folder, full disk) is logged, never raised:
  losing the last screen must not stop the studio from closing.

Values are namespaced by screen: `state.set("reader", "book", 12)`, read back with
the typed getters (`get_int("reader", "book")`), which answer the default when the
stored value is missing or of another type, so a screen never meets a surprise
from an older or hand-edited file.  Only JSON scalars are stored (str, int, float,
bool); a screen with structured state stores a few scalars, not a document.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from core.paths import UnsafePathError, inside

log = logging.getLogger(__name__)

FILE_NAME = "ui_state.json"
STATE_VERSION = 1
MAX_FILE_BYTES = 256 * 1024
MAX_NAMESPACES = 64
MAX_KEYS_PER_NAMESPACE = 256
MAX_STRING_CHARS = 4096

APP_NAMESPACE = "app"  # the studio's own entries (the last screen)

Scalar = Union[str, int, float, bool]

_NAMESPACE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")


def _is_scalar(value: object) -> bool:
    if isinstance(value, str):
        return len(value) <= MAX_STRING_CHARS
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (bool, int))


@dataclass
class UiState:
    """Namespaced scalar values (namespace = a screen id, e.g. "reader"; key = what it is, e.g. "book")."""

    values: dict[str, dict[str, Scalar]] = field(default_factory=dict)

    # ---- writing -------------------------------------------------------------------------------

    def set(self, namespace: str, key: str, value: Scalar) -> None:
        """Remember `value` under `namespace.key`.  A bad name or value is a programming error: ValueError."""
        if not _NAMESPACE.match(namespace):
            raise ValueError(f"ui state namespace {namespace!r} must be a screen id (a-z, 0-9, _; at most 32)")
        if not _KEY.match(key):
            raise ValueError(f"ui state key {key!r} must be 1-64 letters, digits, '_', '.' or '-'")
        if not _is_scalar(value):
            raise ValueError(f"ui state value for {namespace}.{key} must be a str (at most {MAX_STRING_CHARS} "
                             f"characters), int, finite float or bool, not {type(value).__name__}")
        entries = self.values.get(namespace)
        if entries is None:
            if len(self.values) >= MAX_NAMESPACES:
                raise ValueError(f"ui state holds {MAX_NAMESPACES} namespaces already")
            entries = self.values[namespace] = {}
        if key not in entries and len(entries) >= MAX_KEYS_PER_NAMESPACE:
            raise ValueError(f"ui state namespace {namespace} holds {MAX_KEYS_PER_NAMESPACE} keys already")
        entries[key] = value

    def forget(self, namespace: str, key: Optional[str] = None) -> None:
        """Drop one key, or a whole namespace when `key` is None (a deleted book's reader position)."""
        if key is None:
            self.values.pop(namespace, None)
        else:
            self.values.get(namespace, {}).pop(key, None)

    # ---- reading (the default when missing or of another type) -------------------------------------

    def get(self, namespace: str, key: str) -> Optional[Scalar]:
        return self.values.get(namespace, {}).get(key)

    def get_str(self, namespace: str, key: str, default: Optional[str] = None) -> Optional[str]:
        value = self.get(namespace, key)
        return value if isinstance(value, str) else default

    def get_int(self, namespace: str, key: str, default: Optional[int] = None) -> Optional[int]:
        value = self.get(namespace, key)
        return value if isinstance(value, int) and not isinstance(value, bool) else default

    def get_float(self, namespace: str, key: str, default: Optional[float] = None) -> Optional[float]:
        value = self.get(namespace, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return default
        return float(value)

    def get_bool(self, namespace: str, key: str, default: Optional[bool] = None) -> Optional[bool]:
        value = self.get(namespace, key)
        return value if isinstance(value, bool) else default

    def namespace(self, namespace: str) -> "ScreenState":
        """The values of one namespace (a screen's own), with the same typed API minus the namespace argument."""
        if not _NAMESPACE.match(namespace):
            raise ValueError(f"ui state namespace {namespace!r} must be a screen id (a-z, 0-9, _; at most 32)")
        return ScreenState(self, namespace)

    # ---- the studio's own entries ---------------------------------------------------------------

    @property
    def last_screen(self) -> Optional[str]:
        """The id of the screen shown when the studio last closed (or switched), if any."""
        return self.get_str(APP_NAMESPACE, "screen")

    @last_screen.setter
    def last_screen(self, screen_id: str) -> None:
        self.set(APP_NAMESPACE, "screen", screen_id)

    # ---- the file's document --------------------------------------------------------------------

    def to_document(self) -> dict[str, object]:
        return {"version": STATE_VERSION, "values": {ns: dict(entries) for ns, entries in self.values.items()}}

    @classmethod
    def from_document(cls, document: object) -> tuple["UiState", list[str]]:
        """The valid part of a parsed document, and what was ignored (one short phrase each)."""
        state = cls()
        if not isinstance(document, dict):
            return state, [f"the document is a {type(document).__name__}, not an object"]
        version = document.get("version")
        if version != STATE_VERSION:
            return state, [f"version {version!r} is not {STATE_VERSION}"]
        values = document.get("values")
        if not isinstance(values, dict):
            return state, ["'values' is not an object"]
        ignored: list[str] = []
        for namespace, entries in values.items():
            if not isinstance(entries, dict):
                ignored.append(f"namespace {namespace!r} is not an object")
                continue
            for key, value in entries.items():
                try:
                    state.set(namespace, key, value)
                except ValueError as exc:
                    ignored.append(str(exc))
        return state, ignored


@dataclass(frozen=True)
class ScreenState:
    """One screen's corner of the UI state: `screen.ui_state.set("book", 12)`, `.get_int("book")`."""

    state: UiState
    namespace: str

    def set(self, key: str, value: Scalar) -> None:
        self.state.set(self.namespace, key, value)

    def forget(self, key: Optional[str] = None) -> None:
        self.state.forget(self.namespace, key)

    def get_str(self, key: str, default: Optional[str] = None) -> Optional[str]:
        return self.state.get_str(self.namespace, key, default)

    def get_int(self, key: str, default: Optional[int] = None) -> Optional[int]:
        return self.state.get_int(self.namespace, key, default)

    def get_float(self, key: str, default: Optional[float] = None) -> Optional[float]:
        return self.state.get_float(self.namespace, key, default)

    def get_bool(self, key: str, default: Optional[bool] = None) -> Optional[bool]:
        return self.state.get_bool(self.namespace, key, default)


def state_path(root: Union[str, Path]) -> Path:
    """Where the project's UI state lives (checked to be inside the project)."""
    return inside(root, FILE_NAME)


def load_ui_state(root: Union[str, Path]) -> UiState:
    """The project's UI state; empty (with a log line) when the file is missing, unreadable or damaged."""
    try:
        path = state_path(root)
        if not path.exists():
            return UiState()
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except (OSError, UnsafePathError) as exc:
        log.warning("ui state not read (%s); starting from the first screen", exc)
        return UiState()
    if len(data) > MAX_FILE_BYTES:
        log.warning("ui state %s ignored: larger than %d bytes", path, MAX_FILE_BYTES)
        return UiState()
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        log.warning("ui state %s ignored: not JSON (%s)", path, exc)
        return UiState()
    state, ignored = UiState.from_document(document)
    if ignored:
        shown = "; ".join(ignored[:3]) + (f"; and {len(ignored) - 3} more" if len(ignored) > 3 else "")
        log.warning("ui state %s: ignored %s", path, shown)
    return state


def save_ui_state(root: Union[str, Path], state: UiState) -> bool:
    """Write the state atomically inside the project; False (and a log line) when it could not be written."""
    temp_name: Optional[str] = None
    try:
        target = state_path(root)
        text = json.dumps(state.to_document(), ensure_ascii=False, sort_keys=True, indent=1)
        descriptor, temp_name = tempfile.mkstemp(prefix=".ui_state.", suffix=".tmp", dir=str(target.parent))
        inside(root, os.path.basename(temp_name))
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
        temp_name = None
        return True
    except (OSError, UnsafePathError) as exc:
        log.warning("ui state not saved (%s)", exc)
        return False
    finally:
        if temp_name is not None:
            try:
                os.unlink(temp_name)
            except OSError:
                pass
