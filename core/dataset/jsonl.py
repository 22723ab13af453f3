"""Reading someone else's JSONL in bounded memory: one line at a time, each line capped, each problem
reported at its real line number.

WHY not `for line in open(path)`: a file without newlines is one line, and one 100 MB line took 23.7 GB in
`lint` (the line, its decoded copy, the parsed object, the flag inputs).  Here a line is read with a
bounded `readline`, so a line over the cap costs at most the cap before it is skipped; bytes are decoded
per line, so a byte that is not UTF-8 is reported on its own line (not "somewhere after line N"); JSON
nested too deep for the parser, or an integer too long for Python, is that line's error, not a
traceback.  Only regular files are opened: a FIFO or `/dev/zero` given as a path would block or never end.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Union

from core.errors import UserError

MAX_LINE_BYTES = 1_000_000  # per line; a chat example is a few KB, a long one tens of KB
_READ_CHUNK = 1 << 16
_BOM = b"\xef\xbb\xbf"


class JsonlFileError(UserError):
    """The file cannot be read at all (missing, not a regular file, no permission)."""


@dataclass(frozen=True)
class JsonlLine:
    """One non-blank line: its number (1-based), the parsed value, or what is wrong with it.

    `error` reads after "line N: " (e.g. "not JSON (Expecting value at column 1)"); when it is set,
    `value` is None.
    """

    number: int
    value: Any = None
    error: str = ""


def open_regular(path: Union[str, Path], what: str = "file") -> BinaryIO:
    """Open `path` for reading bytes, refusing anything but a regular file (checked before opening,
    since opening a FIFO for reading blocks until a writer comes)."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise JsonlFileError(f"No {what} at {path}; check the path.") from None
    except OSError as exc:
        raise JsonlFileError(f"Cannot read the {what} {path} ({exc.strerror or exc}); check the path.") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode) else "a device or socket"
        raise JsonlFileError(f"The {what} {path} is {kind}, not a regular file; give the path of a .jsonl file.")
    try:
        return open(path, "rb")
    except OSError as exc:
        raise JsonlFileError(f"Cannot read the {what} {path} ({exc.strerror or exc}); check its permissions.") \
            from None


def _megabytes(limit: int) -> str:
    return f"{limit / 1_000_000:g} MB"


def read_jsonl(handle: BinaryIO, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[JsonlLine]:
    """Every non-blank line of an open binary file, parsed, in order; blank lines are skipped.

    Memory is bounded by `max_line_bytes` plus one parsed line, whatever the file holds.  A UTF-8 BOM
    at the start of the file is accepted.
    """
    number = 0
    while True:
        raw = handle.readline(max_line_bytes + 1)
        if not raw:
            return
        number += 1
        too_long = len(raw) > max_line_bytes and not raw.endswith(b"\n")
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        if too_long:
            # Skip the rest of the line in bounded chunks; the line keeps its one number.
            while True:
                chunk = handle.readline(_READ_CHUNK)
                if not chunk or chunk.endswith(b"\n"):
                    break
            yield JsonlLine(number, error=f"longer than {_megabytes(max_line_bytes)}, the limit per line")
            continue
        if not raw.strip():
            continue
        yield parse_line(number, raw)


def parse_line(number: int, raw: bytes) -> JsonlLine:
    """One line's bytes as JSON, every failure a sentence fragment (never an exception)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return JsonlLine(number, error=f"not UTF-8 (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the "
                                       f"line)")
    try:
        return JsonlLine(number, value=json.loads(text))
    except json.JSONDecodeError as exc:
        return JsonlLine(number, error=f"not JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return JsonlLine(number, error="JSON nested too deeply to read")
    except ValueError as exc:  # an integer of more than 4,300 digits (Python's limit on int parsing)
        reason = "a number of more than 4,300 digits" if "digits" in str(exc) else str(exc)
        return JsonlLine(number, error=f"not readable JSON ({reason})")
