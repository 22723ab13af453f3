"""Text typed by the user or taken from a file name, made safe to store as JSON.

Python hands a command-line argument that is not valid UTF-8 (`--note $'\\xff'`) over as a str
with lone surrogates ("\\udcff"); so does a file name with such bytes.  Written to the journal
they raise `UnicodeEncodeError` in the middle of a write.  What the user typed gets a sentence
(they can retype it); what came from a file name is stored with the bad bytes replaced.
"""

from __future__ import annotations

from core.library.errors import NotTextError


def is_utf8(value: str) -> bool:
    """True when `value` can be written as UTF-8 (no lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def require_text(value: str, what: str) -> str:
    """`value` unchanged when it is text; `NotTextError` naming `what` when it holds undecodable bytes."""
    if is_utf8(value):
        return value
    raw = value.encode("utf-8", "surrogateescape") if _escaped_only(value) else b""
    shown = f" (bytes {raw[:8]!r})" if raw else ""
    raise NotTextError(f"The {what} holds characters that are not UTF-8 text{shown}; set your terminal to "
                       f"UTF-8 and type it again, or edit it in the studio.")


def displayable(value: str) -> str:
    """`value` with any undecodable bytes (from a file name) replaced by U+FFFD."""
    if is_utf8(value):
        return value
    if _escaped_only(value):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value.encode("utf-8", "replace").decode("utf-8")


def _escaped_only(value: str) -> bool:
    """True when every lone surrogate is one of Python's escaped bytes (U+DC80-U+DCFF)."""
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in value)
