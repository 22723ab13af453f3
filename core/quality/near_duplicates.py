"""Near-duplicate texts: MinHash LSH finds candidates, rapidfuzz verifies them.

Comparing every pair with `fuzz.ratio` costs ~3 us a pair on 800-character
texts, so 10,000 texts would take ~300 s.  Instead each text is reduced to a
MinHash signature over its word 3-grams (128 permutations computed in one numpy
operation), signatures are cut into LSH bands tuned for a Jaccard similarity of
about 0.3, and only texts sharing a band bucket are compared with rapidfuzz.
Checking one new text against 10,000 then costs well under a millisecond.

The index is incremental (`add` checks a new text against all earlier ones and
then inserts it) so that the review queue can flag a near-duplicate the moment
an example arrives, and `near_duplicate_clusters` groups a whole collection
with union-find.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache
from typing import Iterable

import numpy as np
from rapidfuzz import fuzz

_SHIFT_MIX = np.uint64(31)
_WORD = re.compile(r"\w+")

# Odd 64-bit constants for combining word hashes into shingle hashes (wrapping uint64 arithmetic).
_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)
_K3 = np.uint64(0x165667B19E3779F9)
_MIX = np.uint64(0xBF58476D1CE4E5B9)


def normalize_words(text: str) -> list[str]:
    """Lower-cased word tokens: punctuation and spacing differences do not make texts differ."""
    return _WORD.findall(text.lower())


@lru_cache(maxsize=32)
def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising the summed false-positive and false-negative areas of the LSH S-curve.

    The same criterion the `datasketch` library uses; for 0.3 and 128 permutations it gives 36 bands of
    3 rows (the curve's midpoint at Jaccard ~0.30).
    """
    s = np.linspace(0.0, 1.0, 1001)
    below = s <= threshold
    best: tuple[float, int, int] | None = None
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            prob = 1.0 - (1.0 - s ** rows) ** bands
            false_pos = np.trapezoid(np.where(below, prob, 0.0), s)
            false_neg = np.trapezoid(np.where(below, 0.0, 1.0 - prob), s)
            error = 0.5 * false_pos + 0.5 * false_neg
            if best is None or error < best[0]:
                best = (error, bands, rows)
    assert best is not None
    return best[1], best[2]


class MinHasher:
    """MinHash signatures of word shingles; deterministic across processes (no Python `hash`)."""

    def __init__(self, num_perm: int = 128, shingle: int = 3, seed: int = 1) -> None:
        if num_perm < 1 or shingle < 1:
            raise ValueError("num_perm and shingle must be at least 1")
        self.num_perm = num_perm
        self.shingle = shingle
        rng = np.random.default_rng(seed)
        # Permutation i maps a 64-bit shingle hash h to (a_i*h + b_i) mod 2**64 with random odd a_i: a
        # bijection whose high bits (which decide the minimum) are well mixed, and it wraps for free in
        # uint64.  (The textbook (a*h + b) mod p needs a and b drawn over the whole of [0, p) to mix; with
        # small ones the minimum just tracks the smallest shingle hash and signatures stop agreeing.)
        self._a = (rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1))[None, :]
        self._b = rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64)[None, :]
        self._word_hash: dict[str, int] = {}

    def _word_hashes(self, words: list[str]) -> np.ndarray:
        cache = self._word_hash
        values = []
        append = values.append
        for word in words:
            value = cache.get(word)
            if value is None:
                value = zlib.crc32(word.encode("utf-8")) | (len(word) << 32)
                if len(cache) < 500_000:
                    cache[word] = value
            append(value)
        return np.array(values, dtype=np.uint64)

    def shingle_hashes(self, words: list[str]) -> np.ndarray:
        """Hashes of the word n-grams (a text shorter than one shingle is one shingle); repeats are harmless."""
        if not words:
            return np.empty(0, dtype=np.uint64)
        w = self._word_hashes(words)
        k = self.shingle
        if len(w) < k:
            w = np.concatenate([w, np.zeros(k - len(w), dtype=np.uint64)])
        n = len(w) - k + 1
        h = w[:n] * _K1
        for offset in range(1, k):
            h = (h ^ (h >> _SHIFT_MIX)) + w[offset:offset + n] * (_K2 if offset % 2 else _K3)
        h *= _MIX
        h ^= h >> _SHIFT_MIX
        return h

    def signature(self, words: list[str]) -> np.ndarray | None:
        """The MinHash signature (num_perm uint64 values), or None for a text without words."""
        hashes = self.shingle_hashes(words)
        if hashes.size == 0:
            return None
        return (hashes[:, None] * self._a + self._b).min(axis=0)


    def signatures(self, word_lists: list[list[str]], chunk_shingles: int = 40_000) -> list[np.ndarray | None]:
        """Signatures of many texts at once: the permutations run over chunks of concatenated shingles and
        `np.minimum.reduceat` takes each text's minimum, so numpy's per-call overhead is paid per chunk."""
        out: list[np.ndarray | None] = [None] * len(word_lists)
        pending: list[tuple[int, np.ndarray]] = []
        size = 0

        def flush() -> None:
            nonlocal pending, size
            if not pending:
                return
            hashes = np.concatenate([h for _i, h in pending])
            starts = np.cumsum([0] + [len(h) for _i, h in pending[:-1]])
            permuted = hashes[:, None] * self._a + self._b
            minima = np.minimum.reduceat(permuted, starts, axis=0)
            for row, (position, _h) in enumerate(pending):
                out[position] = minima[row]
            pending, size = [], 0

        for position, words in enumerate(word_lists):
            hashes = self.shingle_hashes(words)
            if hashes.size == 0:
                continue
            pending.append((position, hashes))
            size += hashes.size
            if size >= chunk_shingles:
                flush()
        flush()
        return out


class NearDuplicateIndex:
    """Incremental near-duplicate search over keyed texts.

    Args:
        ratio_threshold: rapidfuzz `fuzz.ratio` (0-100, on normalized text) at or above which two texts
            are near-duplicates.
        num_perm: MinHash permutations.
        jaccard_threshold: the shingle Jaccard similarity the LSH bands are tuned to catch; candidates
            below it are mostly never compared.
        shingle: words per shingle.
        seed: seeds the permutations (same seed, same signatures).
    """

    def __init__(self, ratio_threshold: float = 85.0, num_perm: int = 128, jaccard_threshold: float = 0.3,
                 shingle: int = 3, seed: int = 1) -> None:
        self.ratio_threshold = float(ratio_threshold)
        self.hasher = MinHasher(num_perm=num_perm, shingle=shingle, seed=seed)
        self.bands, self.rows = optimal_bands(float(jaccard_threshold), num_perm)
        self._buckets: list[dict[bytes, list[int]]] = [{} for _ in range(self.bands)]
        self._texts: dict[int, str] = {}
        self._band_keys: dict[int, list[bytes]] = {}

    def __len__(self) -> int:
        return len(self._texts)

    def __contains__(self, key: object) -> bool:
        return key in self._texts

    def _prepare(self, text: str) -> tuple[str, list[bytes]]:
        words = normalize_words(text)
        return " ".join(words), self._band_keys_of(self.hasher.signature(words))

    def _band_keys_of(self, signature: np.ndarray | None) -> list[bytes]:
        if signature is None:
            return []
        raw = signature.tobytes()
        width = self.rows * 8
        return [raw[i * width:(i + 1) * width] for i in range(self.bands)]

    def _verified(self, normalized: str, band_keys: list[bytes], exclude: int | None) -> list[tuple[int, float]]:
        candidates: set[int] = set()
        for band, band_key in enumerate(band_keys):
            bucket = self._buckets[band].get(band_key)
            if bucket:
                candidates.update(bucket)
        candidates.discard(exclude)  # type: ignore[arg-type]
        found: list[tuple[int, float]] = []
        cutoff = self.ratio_threshold
        for other in candidates:
            score = fuzz.ratio(normalized, self._texts[other], score_cutoff=cutoff)
            if score and score >= cutoff:
                found.append((other, round(float(score), 1)))
        found.sort(key=lambda pair: (-pair[1], pair[0]))
        return found

    def query(self, text: str) -> list[tuple[int, float]]:
        """Verified near-duplicates of `text` among the indexed texts, best first: (key, ratio)."""
        normalized, band_keys = self._prepare(text)
        return self._verified(normalized, band_keys, None)

    def add(self, key: int, text: str) -> list[tuple[int, float]]:
        """Check `text` against every text already added, then index it under `key` (replacing an old one)."""
        normalized, band_keys = self._prepare(text)
        return self._insert(key, normalized, band_keys)

    def add_many(self, items: Iterable[tuple[int, str]], normalized: bool = False) -> dict[int, list[tuple[int, float]]]:
        """`add` for many texts in order (each checked against those before it), with signatures computed
        in bulk; returns the near-duplicates found for each key.  `normalized`: the texts are already
        lower-case words joined by single spaces (`core.quality.cliches.normalize`), so they are only split."""
        keyed = list(items)
        word_lists = [text.split() if normalized else normalize_words(text) for _key, text in keyed]
        signatures = self.hasher.signatures(word_lists)
        return {key: self._insert(key, " ".join(words), self._band_keys_of(signature))
                for (key, _text), words, signature in zip(keyed, word_lists, signatures)}

    def _insert(self, key: int, normalized: str, band_keys: list[bytes]) -> list[tuple[int, float]]:
        if key in self._texts:
            self.remove(key)
        found = self._verified(normalized, band_keys, key)
        self._texts[key] = normalized
        self._band_keys[key] = band_keys
        for band, band_key in enumerate(band_keys):
            self._buckets[band].setdefault(band_key, []).append(key)
        return found

    def remove(self, key: int) -> None:
        """Forget `key` (no error when it is not there)."""
        if key not in self._texts:
            return
        del self._texts[key]
        for band, band_key in enumerate(self._band_keys.pop(key)):
            bucket = self._buckets[band].get(band_key)
            if bucket is None:
                continue
            try:
                bucket.remove(key)
            except ValueError:
                pass
            if not bucket:
                del self._buckets[band][band_key]


class UnionFind:
    """Disjoint sets over hashable keys (path halving, union by size)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.size: dict[int, int] = {}

    def find(self, key: int) -> int:
        parent = self.parent
        if key not in parent:
            parent[key] = key
            self.size[key] = 1
            return key
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(self, a: int, b: int) -> int:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return root_a
        if self.size[root_a] < self.size[root_b]:
            root_a, root_b = root_b, root_a
        self.parent[root_b] = root_a
        self.size[root_a] += self.size[root_b]
        return root_a

    def groups(self) -> list[list[int]]:
        members: dict[int, list[int]] = {}
        for key in self.parent:
            members.setdefault(self.find(key), []).append(key)
        return [sorted(group) for group in members.values()]


def near_duplicate_clusters(items: Iterable[tuple[int, str]], ratio_threshold: float = 85.0) -> list[list[int]]:
    """Clusters (size >= 2, each sorted, ordered by first key) of keyed texts linked by near-duplicate pairs."""
    index = NearDuplicateIndex(ratio_threshold=ratio_threshold)
    links = UnionFind()
    for key, found in index.add_many(items).items():
        links.find(key)
        for other, _score in found:
            links.union(key, other)
    return sorted((group for group in links.groups() if len(group) >= 2), key=lambda g: g[0])
