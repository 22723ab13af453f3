"""An Input that completes file-system paths as you type (Tab or Right accepts the completion)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input

BOOK_SUFFIXES = (".txt", ".epub", ".text")


def complete_path(value: str, suffixes: tuple[str, ...] = BOOK_SUFFIXES) -> Optional[str]:
    """The completion of a partly typed path, or None.

    Completes the last component to the first matching entry (folders first, then
    files with a book suffix, each sorted), keeping the user's spelling of the
    part already typed (`~` stays `~`).  A folder completes with a trailing `/`.
    """
    if not value:
        return None
    expanded = os.path.expanduser(value)
    folder, partial = os.path.split(expanded)
    search_in = Path(folder or ".")
    try:
        entries = sorted(os.scandir(search_in), key=lambda e: e.name)
    except OSError:
        return None
    folders: list[str] = []
    files: list[str] = []
    show_hidden = partial.startswith(".")
    for entry in entries:
        if not entry.name.startswith(partial) or (entry.name.startswith(".") and not show_hidden):
            continue
        try:
            if entry.is_dir():
                folders.append(entry.name + os.sep)
            elif entry.name.lower().endswith(suffixes):
                files.append(entry.name)
        except OSError:
            continue
    candidates = folders + files
    if not candidates:
        return None
    completion = candidates[0]
    typed_prefix = value[: len(value) - len(partial)]
    return typed_prefix + completion


class PathSuggester(Suggester):
    """Suggests the completed path for what has been typed (the file system is read on each change)."""

    def __init__(self, suffixes: tuple[str, ...] = BOOK_SUFFIXES) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.suffixes = suffixes

    async def get_suggestion(self, value: str) -> Optional[str]:
        completion = complete_path(value, self.suffixes)
        return completion if completion and completion != value else None


class PathInput(Input):
    """A path input: the completion shows dimmed after the cursor; Tab or Right accepts it."""

    BINDINGS = [Binding("tab", "accept_completion", "Complete path", id="path.complete", show=False)]

    suggester: PathSuggester

    def __init__(self, **kwargs) -> None:
        super().__init__(suggester=PathSuggester(), **kwargs)

    def action_accept_completion(self) -> None:
        completion = complete_path(self.value, self.suggester.suffixes) if self.value else None
        if completion and completion != self.value:
            self.value = completion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()
