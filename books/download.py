"""Project Gutenberg downloads by number, over plain HTTP(S) with a local cache.

The mirror is configurable (`base_url`, or the INTERIORITY_GUTENBERG_URL variable) so
that tests use a local server and users can pick a mirror near them.  A download
lands in a temporary file and is renamed into the cache only when complete.
"""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Optional, Union

from books.decoding import MAX_BOOK_BYTES
from books.errors import GutenbergDownloadError

DEFAULT_BASE_URL = "https://www.gutenberg.org"
ENV_BASE_URL = "INTERIORITY_GUTENBERG_URL"
TIMEOUT_S = 30.0
USER_AGENT = "interiority (book import; https://github.com/)"


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("interiority", appauthor=False)) / "gutenberg"


def gutenberg_base_url(base_url: Optional[str] = None) -> str:
    return (base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL).rstrip("/")


def gutenberg_urls(number: int, base_url: Optional[str] = None) -> list[str]:
    """Where a book's plain text lives: the generated cache file, then the older files/ layout."""
    base = gutenberg_base_url(base_url)
    return [f"{base}/cache/epub/{number}/pg{number}.txt", f"{base}/files/{number}/{number}-0.txt"]


def _fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only, checked)
        data: bytes = response.read(MAX_BOOK_BYTES + 1)
    if len(data) > MAX_BOOK_BYTES:
        raise GutenbergDownloadError(f"{url} is larger than the 50 MB limit for a book.")
    return data


def download_gutenberg(number: Union[int, str], *, base_url: Optional[str] = None,
                       cache_dir: Optional[Union[str, Path]] = None, timeout: float = TIMEOUT_S) -> Path:
    """The cached plain-text file of Gutenberg book `number`, downloading it when needed."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise GutenbergDownloadError(f"{number!r} is not a Project Gutenberg book number; "
                                     f"use the digits from the book's gutenberg.org address.") from None
    if number <= 0:
        raise GutenbergDownloadError(f"{number} is not a Project Gutenberg book number; it must be positive.")
    base = gutenberg_base_url(base_url)
    if not base.startswith(("http://", "https://")):
        raise GutenbergDownloadError(f"The Gutenberg mirror {base!r} is not an http(s) address; "
                                     f"fix {ENV_BASE_URL} or --gutenberg-url.")
    folder = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    target = folder / f"pg{number}.txt"
    if target.is_file() and target.stat().st_size > 0:
        return target
    missing = []
    for url in gutenberg_urls(number, base):
        try:
            data = _fetch(url, timeout)
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                missing.append(url)
                continue
            raise GutenbergDownloadError(f"{url} answered HTTP {exc.code}; try again later or import a "
                                         f"downloaded file by path.") from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GutenbergDownloadError(f"Cannot reach {base} ({reason}); check your connection or import "
                                         f"a downloaded file by path.") from None
        if not data.strip():
            missing.append(url)
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temp = folder / f".pg{number}-{uuid.uuid4().hex}.part"
            temp.write_bytes(data)
            os.replace(temp, target)
        except OSError as exc:
            raise GutenbergDownloadError(f"Cannot write the Gutenberg cache at {folder}: "
                                         f"{exc.strerror or exc}.") from None
        return target
    raise GutenbergDownloadError(f"Project Gutenberg has no plain-text book number {number} at {base}; "
                                 f"check the number on gutenberg.org or import a downloaded file by path.")
