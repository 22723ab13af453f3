"""Typed errors that carry a sentence a user can act on.

The CLI prints `str(error)` on stderr and exits 2; the TUI shows it in a
notification.  Neither shows a traceback for these.

An `OSError` is not a bug of ours either: a full disk, a read-only file system or
a folder without write permission can meet any command at any write.  Rather
than wrap every write, the two entry points (the CLI's `main` and the studio's
`show_error`) turn any `OSError` into one sentence with `os_error_sentence`,
which names the path and the fix for the errors a user can meet.
"""

from __future__ import annotations

import errno


class UserError(Exception):
    """Bad input or a state the user can fix; the message names the problem and the fix."""

    exit_code = 2


class SettingsError(UserError):
    """`interiority.toml` holds an unknown key or a bad value."""


class ProjectError(UserError):
    """The project folder cannot be opened or created."""


# errno -> (what happened, what to do); the path is put in between.
_OS_ERROR_FIXES: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("there is no space left on the device holding", "free some space and run it again"),
    errno.EDQUOT: ("the disk quota is used up for", "free some space and run it again"),
    errno.EROFS: ("the file system is read-only at", "use a project on a writable disk (--project PATH)"),
    errno.EACCES: ("permission was denied for", "make it writable for your user or choose another --project"),
    errno.EPERM: ("the operation is not permitted on", "make it writable for your user or choose another --project"),
    errno.ENOENT: ("there is no such file or folder as", "check the path"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder, in", "check the path"),
    errno.EISDIR: ("a folder stands where a file was expected at", "move that folder away or choose another path"),
    errno.EEXIST: ("something already exists at", "move it away or choose another name"),
    errno.EMFILE: ("too many files are open while opening", "close other programs or raise `ulimit -n`"),
    errno.ENAMETOOLONG: ("the name is too long for", "choose a shorter name"),
    errno.EIO: ("the disk reported an input/output error on", "check the disk; your saved work is in the project's db/ folder"),
}


def os_error_sentence(error: OSError) -> str:
    """One sentence for an `OSError`: what happened, to which path, and what to do about it."""
    path = error.filename
    reason = error.strerror or str(error) or type(error).__name__
    if path is None:
        if error.errno in _OS_ERROR_FIXES:
            what, fix = _OS_ERROR_FIXES[error.errno]
            return f"Cannot finish: {what} a file of the project; {fix}."
        # No path: a socket or a process rather than a file (e.g. a refused connection).
        return f"Cannot finish: {reason} ({type(error).__name__}); check the connection or the disk and run it again."
    shown = path.decode("utf-8", "replace") if isinstance(path, bytes) else str(path)
    if error.errno in _OS_ERROR_FIXES:
        what, fix = _OS_ERROR_FIXES[error.errno]
        return f"Cannot finish: {what} {shown}; {fix}."
    return f"Cannot finish: {reason} ({shown}); check that path and run it again."
