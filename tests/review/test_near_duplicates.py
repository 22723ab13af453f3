"""MinHash LSH candidates verified by rapidfuzz: found, incremental, removable, clustered."""

from __future__ import annotations

import random

from core.quality.near_duplicates import NearDuplicateIndex, near_duplicate_clusters, optimal_bands
from tests.review.synthetic import _vocabulary, perturb, synthetic_text


def _texts(count: int, seed: int = 5) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng, 3000)
    return [synthetic_text(rng, vocabulary) for _ in range(count)], vocabulary


def test_bands_are_tuned_near_jaccard_03() -> None:
    bands, rows = optimal_bands(0.3, 128)
    assert bands * rows <= 128
    assert 0.25 <= (1 / bands) ** (1 / rows) <= 0.35


def test_finds_planted_pairs_and_nothing_else() -> None:
    texts, vocabulary = _texts(300)
    rng = random.Random(9)
    planted = {}
    for i in range(0, 300, 30):
        texts[i + 1] = perturb(rng, texts[i], vocabulary, changes=5)
        planted[i + 1] = i
    index = NearDuplicateIndex()
    found = {}
    for key, text in enumerate(texts):
        for other, score in index.add(key, text):
            found[key] = other
            assert score >= 85.0
    assert found == planted
    assert len(index) == 300


def test_query_does_not_insert_and_remove_forgets() -> None:
    texts, vocabulary = _texts(20)
    index = NearDuplicateIndex()
    for key, text in enumerate(texts):
        index.add(key, text)
    twin = perturb(random.Random(1), texts[7], vocabulary, changes=3)
    assert [k for k, _s in index.query(twin)] == [7]
    assert len(index) == 20
    index.remove(7)
    assert index.query(twin) == []
    assert len(index) == 19
    index.remove(7)  # twice is harmless


def test_ratio_threshold_and_punctuation_case_do_not_matter() -> None:
    index = NearDuplicateIndex(ratio_threshold=99.0)
    text = "She folded the letter twice and put it back under the clock, where it had been all winter long."
    index.add(1, text)
    assert index.query(text.upper().replace(",", " ;")) == [(1, 100.0)]
    assert index.query("An entirely different sentence about the sea and the gulls over the harbour wall.") == []


def test_readding_a_key_replaces_it_and_short_texts_work() -> None:
    index = NearDuplicateIndex()
    index.add(1, "yes")
    assert index.add(2, "Yes!") == [(1, 100.0)]
    index.add(1, "something else entirely, with more words than before in it")
    assert index.query("yes") == [(2, 100.0)]
    assert index.add(3, "") == [] and len(index) == 3


def test_clusters_join_chains_and_sort() -> None:
    texts, vocabulary = _texts(60, seed=11)
    rng = random.Random(2)
    texts[10] = perturb(rng, texts[40], vocabulary, 3)
    texts[25] = perturb(rng, texts[40], vocabulary, 3)
    texts[5] = perturb(rng, texts[50], vocabulary, 3)
    clusters = near_duplicate_clusters(enumerate(texts))
    assert clusters == [[5, 50], [10, 25, 40]]


def test_bulk_signatures_equal_one_by_one() -> None:
    texts, _vocabulary_ = _texts(30, seed=3)
    index = NearDuplicateIndex()
    words = [text.lower().split() for text in texts] + [[]]
    bulk = index.hasher.signatures(words, chunk_shingles=500)
    for one, many in zip(words, bulk):
        single = index.hasher.signature(one)
        assert (single is None and many is None) or (single == many).all()
