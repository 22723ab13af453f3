"""A book's finder features and local scores, cached in the project per text version.

Why a file per text version: scoring War and Peace takes most of a second, and the reader and
the library ask again on every open.  The key is the sha256 of the normalized text plus the
scorer's version, so a changed text (re-import, a new normalizer) or a new weight table can
never be served stale scores -- it simply misses.  Files live in `cache/finder/` inside the
project (paths through `core.paths.inside`), are written to a temporary name and renamed, and a
file that does not load or does not fit is ignored and rewritten: it is a cache, never the
only copy of anything.
"""

from __future__ import annotations

import hashlib
import os
import uuid
import zipfile
from pathlib import Path
from typing import Optional, Union

import numpy as np

from core.finder.features import N_FEATURES, Extraction, extract
from core.finder.weights import SCORER_VERSION
from core.paths import inside

CACHE_PARTS = ("cache", "finder")


def text_version(text: str, spans: list[tuple[int, int]]) -> str:
    """The sha256 of a book's normalized text and its paragraph spans: what the cache is keyed by."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass"))
    digest.update(np.asarray(spans, dtype=np.int64).tobytes())
    return digest.hexdigest()


def cache_path(project_root: Union[str, Path], version: str) -> Path:
    """Where the features of text version `version` are cached in the project."""
    return inside(project_root, *CACHE_PARTS, f"{version[:40]}-v{SCORER_VERSION}.npz")


def _load(path: Path, paragraphs: int) -> Optional[Extraction]:
    try:
        with np.load(path, allow_pickle=False) as stored:
            features = np.asarray(stored["features"], dtype=np.float32)
            indices = np.asarray(stored["ngram_indices"], dtype=np.int32)
            indptr = np.asarray(stored["ngram_indptr"], dtype=np.int64)
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    if (features.shape != (paragraphs, N_FEATURES) or indptr.shape != (paragraphs + 1,)
            or not np.isfinite(features).all() or indptr[0] != 0 or indptr[-1] != len(indices)
            or np.any(np.diff(indptr) < 0)
            or (len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= 1 << 16))):
        return None
    return Extraction(features, indices, indptr)


def _store(path: Path, extraction: Extraction) -> None:
    """Write atomically; a failure (read-only project, full disk) only costs the next open a rescore."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = inside(path.parent, f".tmp-{uuid.uuid4().hex}.npz")
        try:
            with open(temp, "wb") as handle:
                np.savez(handle, features=extraction.features, ngram_indices=extraction.ngram_indices,
                         ngram_indptr=extraction.ngram_indptr)
            os.replace(temp, path)
        finally:
            if temp.exists():
                temp.unlink()
    except OSError:
        pass


def book_extraction(project_root: Optional[Union[str, Path]], text: str,
                    spans: list[tuple[int, int]]) -> Extraction:
    """The features and hashed n-grams of every paragraph `spans` of `text`, from the cache when fresh.

    `project_root=None` computes without caching (tests, benchmarks, a book outside a project).
    """
    path = cache_path(project_root, text_version(text, spans)) if project_root is not None else None
    if path is not None:
        cached = _load(path, len(spans))
        if cached is not None:
            return cached
    extraction = extract([text[start:end] for start, end in spans])
    if path is not None:
        _store(path, extraction)
    return extraction
