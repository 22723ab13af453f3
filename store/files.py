"""Small file operations the storage needs, each safe against partial writes and odd files.

Why apart: the storage module reads as the journal's logic (load, append, compact); these are
the system calls under it.  Tests inject ENOSPC by patching `os.write`/`os.fsync`/`os.replace`,
which these use through the `os` module.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Optional

from store.errors import StoreCorruptError, StoreLockedError

try:  # POSIX advisory lock: two writers on one journal would interleave lines.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

TMP_SUFFIX = ".tmp"
# Errors from fsync on a directory that only mean "this filesystem does not do that".
_DIR_FSYNC_UNSUPPORTED = {errno.EINVAL, errno.ENOTSUP, errno.EBADF, errno.EISDIR}


def write_all(fd: int, payload: bytes) -> None:
    """Write every byte (short writes happen on signals and full disks)."""
    written = os.write(fd, payload)
    while written < len(payload):
        written += os.write(fd, payload[written:])


def fsync_dir(path: Path) -> None:
    """Make renames in `path` durable; filesystems that cannot are not an error."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _DIR_FSYNC_UNSUPPORTED:
            raise
    finally:
        os.close(fd)


def unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def temporary_of(final: Path) -> Path:
    return final.with_name(final.name + TMP_SUFFIX)


def write_temporary(final: Path, payload: bytes, append: bool = False) -> tuple[int, Path]:
    """Write and fsync `final`.tmp; returns its open descriptor and path (removed on failure)."""
    tmp = temporary_of(final)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (os.O_APPEND if append else 0), 0o644)
    try:
        write_all(fd, payload)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        unlink_quietly(tmp)
        raise
    return fd, tmp


def read_file(path: Path) -> Optional[bytes]:
    """The file's bytes, None if absent; a folder in its place is damage, not a crash."""
    if path.is_dir():
        raise StoreCorruptError(path, "it is a folder, not a file")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def acquire_lock(folder: Path, lock_path: Path) -> Optional[int]:
    """Take the folder's exclusive advisory lock; returns its descriptor (close it to release)."""
    if fcntl is None:
        return None
    if lock_path.is_dir():
        raise StoreCorruptError(lock_path, "it is a folder, not the lock file")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = ""
        try:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
        except OSError:
            pass
        os.close(fd)
        who = f" (process {holder})" if holder else ""
        raise StoreLockedError(
            f"The project database {folder} is open in another Interiority process{who}. "
            f"Close that one first, or open another project with --project."
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
    except OSError:
        os.close(fd)
        raise
    return fd
