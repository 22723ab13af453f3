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

Bounded work on any input (`lint` reads other people's files): a text contributes
at most `MAX_SHINGLES` shingles (the ones with the smallest hashes, a consistent
sample, so similar texts keep similar samples); a bucket holds at most
`MAX_BUCKET` keys, so thousands of identical or templated texts cost
O(texts x MAX_BUCKET) comparisons, not O(texts^2) (a text that lands only in full
buckets is still compared with their first `MAX_BUCKET` members, which are its
near-duplicates too); rapidfuzz compares at most the first `MAX_COMPARE_CHARS`
characters of two texts.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache
from typing import Iterable

import numpy as np
from rapidfuzz import fuzz

MAX_SHINGLES = 2048  # per text: a 5 MB line once made a 1M x 128 matrix (1 GB)
MAX_BUCKET = 64  # keys per LSH bucket
MAX_COMPARE_CHARS = 20_000
_CHUNK_TEXTS = 2_000  # signatures made at once by add_many (2,000 x 128 x 8 bytes)  # rapidfuzz is O(n*m/64): two 1 MB texts would take seconds

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
            error = float(0.5 * false_pos + 0.5 * false_neg)
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
        values: list[int] = []
        append = values.append
        for word in words:
            value = cache.get(word)
            if value is None:
                value = zlib.crc32(word.encode("utf-8")) | (len(word) << 32)
                if len(cache) < 100_000:
                    cache[word] = value
            append(value)
        return np.array(values, dtype=np.uint64)

    def shingle_hashes(self, words: list[str], limit: int = MAX_SHINGLES) -> np.ndarray:
        """Hashes of the word n-grams (a text shorter than one shingle is one shingle); repeats are harmless.

        Over `limit` shingles, the `limit` distinct smallest hashes: a bottom-k sample that two similar
        texts share in proportion to their similarity, so the MinHash stays an estimate of it.
        """
        if not words:
            return np.empty(0, dtype=np.uint64)
        if len(words) > limit:
            hashes = self._all_shingle_hashes(words)
            distinct = np.unique(hashes)  # sorted
            return distinct[:limit]
        return self._all_shingle_hashes(words)

    def _all_shingle_hashes(self, words: list[str]) -> np.ndarray:
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
        minima: np.ndarray = (hashes[:, None] * self._a + self._b).min(axis=0)
        return minima

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
        # Two stores of LSH buckets, both keyed by (band, 32-bit band hash), both capped at MAX_BUCKET keys:
        # dicts for texts added one by one, and one sorted array for a corpus added by `add_many` into an
        # empty index (12 bytes per text and band instead of ~80 in dicts; one searchsorted per query).
        self._buckets: list[dict[int, list[int]]] = [{} for _ in range(self.bands)]
        self._band_keys: dict[int, list[int]] = {}  # texts in the dicts, for `remove`
        self._frozen_bands = np.empty(0, dtype=np.uint64)  # (band << 32 | hash), sorted
        self._frozen_owners = np.empty(0, dtype=np.int32)  # index into _frozen_key_of
        self._frozen_key_of = np.empty(0, dtype=np.int64)
        # A corpus's band hashes (bands x texts, uint32) until the sorted store is first needed: `lint`
        # never asks again after `add_many`, so it never pays for the store.
        self._pending: tuple[np.ndarray, np.ndarray] | None = None
        self._texts: dict[int, str] = {}
        self._band_offsets = np.arange(self.bands, dtype=np.uint64) << np.uint64(32)

    def __len__(self) -> int:
        return len(self._texts)

    def __contains__(self, key: object) -> bool:
        return key in self._texts

    def _band_hashes(self, signatures: np.ndarray) -> np.ndarray:
        """(texts, bands) 32-bit hashes of each band's rows of the signatures (texts, num_perm)."""
        rows = signatures[:, : self.bands * self.rows].reshape(len(signatures), self.bands, self.rows)
        mixed = rows[:, :, 0] * _K1
        for row in range(1, self.rows):
            mixed = (mixed ^ (mixed >> _SHIFT_MIX)) + rows[:, :, row] * (_K2 if row % 2 else _K3)
        mixed *= _MIX
        mixed ^= mixed >> _SHIFT_MIX
        return mixed >> np.uint64(32)

    def _prepare(self, text: str) -> tuple[str, list[int]]:
        words = normalize_words(text)
        signature = self.hasher.signature(words)
        band_keys = [] if signature is None else self._band_hashes(signature[None, :])[0].tolist()
        return _comparable(" ".join(words)), band_keys

    def _candidates(self, band_keys: list[int]) -> set[int]:
        candidates: set[int] = set()
        for band, band_key in enumerate(band_keys):
            bucket = self._buckets[band].get(band_key)
            if bucket:
                candidates.update(bucket)
        if band_keys and self._pending is not None:
            self._freeze()
        if band_keys and self._frozen_owners.size:
            wanted = np.asarray(band_keys, dtype=np.uint64) | self._band_offsets
            low = self._frozen_bands.searchsorted(wanted, "left")
            high = self._frozen_bands.searchsorted(wanted, "right")
            for start, end in zip(low.tolist(), high.tolist()):
                if end > start:
                    candidates.update(self._frozen_key_of[self._frozen_owners[start:end]].tolist())
        return candidates

    def _verified(self, normalized: str, band_keys: list[int], exclude: int | None) -> list[tuple[int, float]]:
        candidates = self._candidates(band_keys)
        candidates.discard(exclude)  # type: ignore[arg-type]
        found: list[tuple[int, float]] = []
        cutoff = self.ratio_threshold
        texts = self._texts
        for other in candidates:
            other_text = texts.get(other)  # None: removed (the frozen store keeps stale keys)
            if other_text is None:
                continue
            score = fuzz.ratio(normalized, other_text, score_cutoff=cutoff)
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
        lower-case words joined by single spaces (`core.quality.cliches.normalize`), so they are only split
        (and kept as given, not copied)."""
        keyed = list(items)
        keys = [key for key, _text in keyed]
        if self._texts or len(set(keys)) != len(keys):
            # Checks against texts already indexed, or keys that replace each other: one at a time.
            out: dict[int, list[tuple[int, float]]] = {}
            for key, text in keyed:
                words = text.split() if normalized else normalize_words(text)
                signature = self.hasher.signature(words)
                band_keys = [] if signature is None else self._band_hashes(signature[None, :])[0].tolist()
                out[key] = self._insert(key, _comparable(text if normalized else " ".join(words)), band_keys)
            return out
        return self._add_corpus(keyed, normalized)

    def _add_corpus(self, keyed: list[tuple[int, str]], normalized: bool) -> dict[int, list[tuple[int, float]]]:
        """`add_many` into an empty index: candidate pairs from sorting each band's hashes, in bounded
        memory (signatures are made a chunk at a time and only their 32-bit band hashes are kept; each
        band is sorted on its own, so the temporary arrays are one band's)."""
        count = len(keyed)
        hashes = np.zeros((self.bands, count), dtype=np.uint32)
        has_words = np.zeros(count, dtype=bool)
        for start in range(0, count, _CHUNK_TEXTS):
            chunk = keyed[start:start + _CHUNK_TEXTS]
            word_lists = [text.split() if normalized else normalize_words(text) for _key, text in chunk]
            signatures = self.hasher.signatures(word_lists)
            rows = [offset for offset, signature in enumerate(signatures) if signature is not None]
            if rows:
                stacked = np.stack([signatures[offset] for offset in rows])  # type: ignore[misc]
                where = [start + offset for offset in rows]
                hashes[:, where] = self._band_hashes(stacked).T.astype(np.uint32)
                has_words[where] = True
            for (key, text), words in zip(chunk, word_lists):
                self._texts[key] = _comparable(text if normalized else " ".join(words))
            del word_lists, signatures
        positions = np.flatnonzero(has_words).astype(np.int64)
        pairs = np.empty(0, dtype=np.int64)
        for band in range(self.bands):
            column = hashes[band, positions]
            order = np.argsort(column, kind="stable")  # equal hashes stay in text order
            column, owners = column[order], positions[order]
            band_pairs = self._pairs(owners, _bucket_rank(column), count)
            if band_pairs.size:
                pairs = _sorted_unique(np.concatenate([pairs, band_pairs]))
        self._pending = (hashes[:, positions], np.asarray([keyed[i][0] for i in positions.tolist()], dtype=np.int64))
        del hashes
        found: dict[int, list[tuple[int, float]]] = _Matches()
        cutoff = self.ratio_threshold
        texts = self._texts
        for pair in pairs.tolist():
            earlier, later = keyed[pair // count][0], keyed[pair % count][0]
            score = fuzz.ratio(texts[later], texts[earlier], score_cutoff=cutoff)
            if score and score >= cutoff:
                found.setdefault(later, []).append((earlier, round(float(score), 1)))
        for matches in found.values():
            matches.sort(key=lambda pair: (-pair[1], pair[0]))
        return found

    def _freeze(self) -> None:
        """Sort the pending corpus's band hashes into the searchable store (first query after `add_many`)."""
        assert self._pending is not None
        hashes, key_of = self._pending
        self._pending = None
        bands, owners_of = [], []
        for band in range(self.bands):
            order = np.argsort(hashes[band], kind="stable")
            column = hashes[band][order]
            keep = _bucket_rank(column) < MAX_BUCKET
            bands.append(column[keep].astype(np.uint64) | self._band_offsets[band])
            owners_of.append(order[keep].astype(np.int32))
        # Bands in order and each sorted: the concatenation is sorted.
        self._frozen_bands, self._frozen_owners = np.concatenate(bands), np.concatenate(owners_of)
        self._frozen_key_of = key_of

    @staticmethod
    def _pairs(owners: np.ndarray, rank: np.ndarray, count: int) -> np.ndarray:
        """Distinct (earlier * count + later) pairs of one band: each text with the first MAX_BUCKET texts
        before it in its bucket, as `add` one at a time would compare them.  `rank`: place in the bucket."""
        partners = np.minimum(rank, MAX_BUCKET)
        total = int(partners.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        later = np.repeat(np.arange(rank.size), partners)
        first_of_bucket = later - np.repeat(rank, partners)
        offsets = np.arange(total) - np.repeat(np.cumsum(partners) - partners, partners)
        encoded = owners[first_of_bucket + offsets].astype(np.int64) * count + owners[later].astype(np.int64)
        return _sorted_unique(encoded)

    def _insert(self, key: int, normalized: str, band_keys: list[int]) -> list[tuple[int, float]]:
        if key in self._texts:
            self.remove(key)
        found = self._verified(normalized, band_keys, key)
        self._texts[key] = normalized
        self._band_keys[key] = band_keys
        for band, band_key in enumerate(band_keys):
            bucket = self._buckets[band].setdefault(band_key, [])
            if len(bucket) < MAX_BUCKET:
                bucket.append(key)
        return found

    def remove(self, key: int) -> None:
        """Forget `key` (no error when it is not there).  A key of the sorted store stays there, unused."""
        if key not in self._texts:
            return
        del self._texts[key]
        for band, band_key in enumerate(self._band_keys.pop(key, [])):
            bucket = self._buckets[band].get(band_key)
            if bucket is None:
                continue
            try:
                bucket.remove(key)
            except ValueError:
                pass
            if not bucket:
                del self._buckets[band][band_key]


class _Matches(dict[int, list[tuple[int, float]]]):
    """`add_many`'s answer: a text without near-duplicates is absent and reads as a new empty list (200,000
    empty lists cost ~25 MB)."""

    def __missing__(self, key: int) -> list[tuple[int, float]]:
        return []


def _bucket_rank(sorted_hashes: np.ndarray) -> np.ndarray:
    """Each entry's place among the equal hashes before it (0 for the first of its bucket)."""
    starts = np.flatnonzero(np.r_[True, sorted_hashes[1:] != sorted_hashes[:-1]])
    rank: np.ndarray = np.arange(sorted_hashes.size) - np.repeat(starts, np.diff(np.r_[starts, sorted_hashes.size]))
    return rank


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """`np.unique` by sorting (numpy 2's hash-based unique was ~10x slower on these int64 arrays)."""
    if values.size == 0:
        return values
    values = np.sort(values)
    distinct: np.ndarray = values[np.r_[True, values[1:] != values[:-1]]]
    return distinct


def _comparable(normalized: str) -> str:
    """The part of a normalized text that rapidfuzz compares (the whole of any ordinary example)."""
    return normalized[:MAX_COMPARE_CHARS] if len(normalized) > MAX_COMPARE_CHARS else normalized


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
