"""A small driver for a program running in a detached tmux session: send keys, read the screen, wait.

WHY: the end-to-end test must see what a person sees (the terminal's cells after the
real app drew them), not what a headless Pilot renders.  tmux gives exactly that
through `capture-pane`, and `send-keys` delivers keystrokes the way a terminal does,
so escape sequences, key names and timing pass through the same path as for a user.

Usage::

    with TmuxSession.start("python -m core --project P", size=(140, 45), env={...}) as tmux:
        tmux.wait_for("1 Library")
        tmux.send("i")                   # named keys and single characters
        tmux.type("/some/path")          # literal text (no key-name lookup)
        tmux.send("Enter")
        screen = tmux.wait_for(lambda s: "Imported" in s, timeout=20)

Every capture is checked by `forbid` (by default: "Traceback"), so a traceback that
reaches the screen fails the test at the step where it appeared.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional, Sequence, Union

POLL_S = 0.1
# Textual reads an Escape followed within ESCDELAY (100 ms) by another key as alt+key: wait longer.
ESCAPE_PAUSE_S = 0.3
# Textual applies a Tab (a binding that moves the focus) after the focused widget has seen it, so
# characters sent right behind it can still reach the widget it leaves: let the focus move first.
FOCUS_KEYS = ("Tab", "BTab")
FOCUS_PAUSE_S = 0.5
# The same holds for any key that works through a binding (ctrl+k, Enter, F5...): Textual runs the
# binding after the focused widget has declined the key, so a printable key sent right behind it can
# be handled first.  Named keys get a short pause; callers that type right after one should also
# wait for its visible effect.
NAMED_KEY_PAUSE_S = 0.15

Condition = Union[str, Callable[[str], bool]]
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def tmux_available() -> bool:
    """True when a tmux binary is on PATH."""
    return shutil.which("tmux") is not None


class ScreenTimeout(AssertionError):
    """The screen did not show what was awaited in time; the message holds the last capture."""


class ForbiddenText(AssertionError):
    """A capture showed text that must never reach the screen (a traceback)."""


def _tmux(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["tmux", *args], check=check, capture_output=True, text=True)


class TmuxSession:
    """One detached tmux session running one command, with a fixed terminal size."""

    def __init__(self, name: str, forbid: Sequence[str] = ("Traceback",)) -> None:
        self.name = name
        self.forbid = tuple(forbid)
        self.captures = 0
        self.last_screen = ""

    # ---- life cycle ---------------------------------------------------------------------------

    @classmethod
    def start(cls, command: str, size: tuple[int, int] = (140, 45), cwd: Optional[Path] = None,
              env: Optional[Mapping[str, str]] = None, forbid: Sequence[str] = ("Traceback",),
              keep_open_s: float = 3.0) -> "TmuxSession":
        """Start `command` (a shell command line) in a new detached session of `size` (columns, rows).

        `env` is exported inside the session's shell before the command (tmux's own
        environment is not the test's).  The shell sleeps `keep_open_s` after the
        command ends so a last screen (an error on stderr) can still be captured.
        """
        name = f"e2e-{uuid.uuid4().hex[:10]}"
        exports = " ".join(f"{key}={shlex.quote(str(value))}" for key, value in (env or {}).items())
        # COLUMNS/LINES in the tmux server's environment (inherited from whoever started it) would
        # override the pane's real size for Textual and most CLIs.
        line = f"unset COLUMNS LINES; {command}"
        if exports:
            line = f"export {exports}; {line}"
        if cwd is not None:
            line = f"cd {shlex.quote(str(cwd))} && {line}"
        line = f"{line}; echo '[exited '$?']'; sleep {keep_open_s}"
        columns, rows = size
        _tmux("new-session", "-d", "-s", name, "-x", str(columns), "-y", str(rows), line)
        # Keep the window at the asked size even if a client attaches with another.
        _tmux("set-option", "-t", name, "window-size", "manual", check=False)
        _tmux("resize-window", "-t", name, "-x", str(columns), "-y", str(rows), check=False)
        return cls(name, forbid)

    def alive(self) -> bool:
        return _tmux("has-session", "-t", self.name, check=False).returncode == 0

    def kill(self) -> None:
        """End the session and the program in it (SIGHUP to its processes)."""
        _tmux("kill-session", "-t", self.name, check=False)

    def __enter__(self) -> "TmuxSession":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()

    # ---- input --------------------------------------------------------------------------------

    def send(self, *keys: str, pause: float = 0.05) -> None:
        """Send tmux key names (`Enter`, `Escape`, `Tab`, `F5`, `C-q`, `BSpace`, `Down`) or single characters.

        Each key is a separate send-keys call followed by `pause`; Escape and Tab wait
        longer (an Escape glued to the next key reads as alt+key; a key right behind a
        Tab can reach the widget the focus is leaving).
        """
        for key in keys:
            _tmux("send-keys", "-t", self.name, key)
            if key in ("Escape", "Esc"):
                time.sleep(max(pause, ESCAPE_PAUSE_S))
            elif key in FOCUS_KEYS:
                time.sleep(max(pause, FOCUS_PAUSE_S))
            elif len(key) > 1:
                time.sleep(max(pause, NAMED_KEY_PAUSE_S))
            else:
                time.sleep(pause)

    def type(self, text: str, pause: float = 0.05) -> None:
        """Type `text` literally (no key-name lookup: "Enter" would be five letters)."""
        _tmux("send-keys", "-t", self.name, "-l", "--", text)
        time.sleep(pause)

    # ---- output -------------------------------------------------------------------------------

    def capture(self, styled: bool = False) -> str:
        """The visible screen as plain text; fails at once if it shows forbidden text.

        `styled=True` keeps the colours and attributes as SGR escape sequences (for telling
        which widget has the focus, which plain text cannot show).
        """
        result = _tmux("capture-pane", "-p", *(["-e"] if styled else []), "-t", self.name, check=False)
        if result.returncode != 0:
            raise ScreenTimeout(f"the tmux session ended; the last screen was:\n{self.last_screen}")
        raw = result.stdout
        screen = ANSI_ESCAPE.sub("", raw) if styled else raw
        self.captures += 1
        self.last_screen = screen
        for text in self.forbid:
            if text in screen:
                raise ForbiddenText(f"{text!r} reached the screen:\n{screen}")
        return raw

    def wait_for(self, condition: Condition, timeout: float = 20.0, what: str = "", styled: bool = False) -> str:
        """Poll the screen every ~100 ms until `condition` holds; return that screen.

        `condition` is a text that must appear or a predicate over the screen text (over the
        styled capture when `styled`).  On timeout raises `ScreenTimeout` with the last screen,
        so a failure shows what the user saw.
        """
        check = (lambda screen: condition in screen) if isinstance(condition, str) else condition
        label = what or (repr(condition) if isinstance(condition, str) else getattr(condition, "__name__", "condition"))
        deadline = time.monotonic() + timeout
        while True:
            screen = self.capture(styled=styled)
            if check(screen):
                return screen
            if time.monotonic() >= deadline:
                raise ScreenTimeout(f"{label} did not appear within {timeout:g} s; the screen shows:\n"
                                    f"{self.last_screen}")
            time.sleep(POLL_S)

    def wait_for_all(self, texts: Iterable[str], timeout: float = 20.0) -> str:
        """Wait until every one of `texts` is on the screen at once."""
        wanted = list(texts)
        return self.wait_for(lambda screen: all(t in screen for t in wanted), timeout, what=f"all of {wanted!r}")

    def wait_gone(self, text: str, timeout: float = 20.0) -> str:
        """Wait until `text` is no longer on the screen."""
        return self.wait_for(lambda screen: text not in screen, timeout, what=f"{text!r} gone")
