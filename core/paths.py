"""Every path the program writes or deletes lies inside the project: one check, used everywhere.

Names that reach a path come from outside (a run name typed on the command line, a file name
stored in the database, a build name, a folder walked by the planner's exporter).  A name such as
`../../x`, `/abs/path` or a symlink that points out of the project must never let a write or a
delete land elsewhere, so every such path goes through `inside()` (or `safe_name()` for a single
file-name component) before it is used.  The check resolves symlinks, so a link inside the project
that points outside is refused too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Union

from core.errors import UserError


class UnsafePathError(UserError):
    """A path that would land outside the project (or a name that is not a plain name)."""


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")


def safe_name(name: str, what: str = "name") -> str:
    """A single path component: letters, digits, `.`, `_`, `+`, `-`; not `.`/`..`, no separators.

    Returns the name unchanged; raises `UnsafePathError` with a sentence naming the rule.
    """
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", "..") or ".." in name:
        raise UnsafePathError(
            f"The {what} {name!r} is not a plain name: use 1-128 letters, digits, '.', '_', '+' or '-', "
            f"starting with a letter or digit (no '/', no '..')."
        )
    return name


def inside(root: Union[str, Path], *parts: Union[str, Path]) -> Path:
    """`root/parts...` resolved (symlinks followed), checked to lie inside `root`.

    Absolute parts, `..` escapes and symlinks that lead out of `root` raise `UnsafePathError`.
    The returned path need not exist yet.
    """
    base = Path(os.path.realpath(root))
    candidate = base.joinpath(*[str(p) for p in parts])
    resolved = Path(os.path.realpath(candidate))
    if resolved != base and base not in resolved.parents:
        shown = os.path.join(*[str(p) for p in parts]) if parts else str(root)
        raise UnsafePathError(
            f"Refusing to touch {shown!r}: it resolves to {resolved}, outside the project folder {base}."
        )
    return resolved


def is_inside(root: Union[str, Path], *parts: Union[str, Path]) -> bool:
    """True when `inside(root, *parts)` would accept the path."""
    try:
        inside(root, *parts)
    except UnsafePathError:
        return False
    return True
