"""Typed errors that carry a sentence a user can act on.

The CLI prints `str(error)` on stderr and exits 2; the TUI shows it in a
notification.  Neither shows a traceback for these.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a state the user can fix; the message names the problem and the fix."""

    exit_code = 2


class SettingsError(UserError):
    """`interiority.toml` holds an unknown key or a bad value."""


class ProjectError(UserError):
    """The project folder cannot be opened or created."""
