"""The Anthropic API key: from ANTHROPIC_API_KEY or a private key file, and never anywhere else.

The key is held only in memory, by the SDK client.  `redact` removes it from any text that could reach a
log, a record, an exception message or the screen (an SDK error may echo request details).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Optional

from core.teacher.base import TeacherNotConfigured

ENV_NAME = "ANTHROPIC_API_KEY"
MAX_KEY_FILE_BYTES = 4096
HOW_TO = ("set ANTHROPIC_API_KEY in the environment, or put the key in a file with mode 0600 and name it in "
          "interiority.toml as teacher.api_key_file = \"/path/to/key\"; or use a local model with "
          "teacher.provider = \"mlx\" and teacher.local_model = \"/path/to/mlx-model\"")


def read_key_file(path_text: str, base: Optional[Path] = None) -> str:
    path = Path(path_text).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    try:
        info = path.stat()
    except OSError:
        raise TeacherNotConfigured(f"The key file {path} (teacher.api_key_file) does not exist; "
                                   f"create it with the key and `chmod 600 {path}`.") from None
    if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block the read forever
        raise TeacherNotConfigured(f"The key file {path} (teacher.api_key_file) is not a regular file; "
                                   f"put the key in a plain file with mode 0600.")
    if info.st_size > MAX_KEY_FILE_BYTES:
        raise TeacherNotConfigured(f"The key file {path} is {info.st_size:,} bytes, too large for an API key; "
                                   f"put only the key in it.")
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise TeacherNotConfigured(f"The key file {path} can be read by other users; "
                                   f"run `chmod 600 {path}` and try again.")
    try:
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise TeacherNotConfigured(f"The key file {path} cannot be read as text; "
                                   f"put only the key in it.") from None
    if not key:
        raise TeacherNotConfigured(f"The key file {path} is empty; put the API key in it.")
    if len(key.splitlines()) > 1 or any(ch.isspace() for ch in key):
        raise TeacherNotConfigured(f"The key file {path} holds more than one line or word; "
                                   f"put only the API key in it, on one line.")
    if not key.isascii() or not key.isprintable():
        raise TeacherNotConfigured(f"The key file {path} holds characters an API key cannot have; "
                                   f"put only the API key in it.")
    return key


def resolve_api_key(settings: Any, base: Optional[Path] = None) -> Optional[str]:
    """The key, or None when none is configured; a bad key file raises `TeacherNotConfigured`."""
    key = os.environ.get(ENV_NAME, "").strip()
    if key:
        if any(ch.isspace() for ch in key) or not key.isascii() or not key.isprintable():
            raise TeacherNotConfigured(f"{ENV_NAME} holds more than one word or line, or characters an API "
                                       f"key cannot have; set it to the key alone.")
        return key
    key_file = getattr(settings.teacher, "api_key_file", "")
    if key_file:
        return read_key_file(key_file, base)
    return None


def redact(text: str, key: Optional[str]) -> str:
    if key and len(key) >= 8 and key in text:
        return text.replace(key, "[api key]")
    return text
