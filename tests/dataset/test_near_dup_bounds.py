"""The near-duplicate index in bounded work: the corpus path equals one-at-a-time adds, buckets are capped,
long texts are sampled, and a corpus added at once still answers later adds and queries."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from core.quality.near_duplicates import MAX_BUCKET, MAX_SHINGLES, MinHasher, NearDuplicateIndex

WORDS = ["still", "room", "light", "she", "counted", "spoons", "rain", "glass", "stairs", "nobody", "kettle",
         "ticked", "morning", "again", "door", "window", "cold", "tea", "hands", "waited"]

texts_strategy = st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=30).map(" ".join),
                          min_size=1, max_size=25)


@settings(max_examples=60, deadline=None)
@given(texts=texts_strategy, data=st.data())
def test_corpus_path_equals_one_at_a_time(texts: list[str], data: st.DataObject) -> None:
    # Repeat some texts (exact duplicates) so buckets really fill.
    repeats = data.draw(st.lists(st.integers(0, len(texts) - 1), max_size=10))
    corpus = texts + [texts[i] for i in repeats]
    items = list(enumerate(corpus, start=1))
    batch = NearDuplicateIndex().add_many(items)
    single = NearDuplicateIndex()
    one_by_one = {key: single.add(key, text) for key, text in items}
    assert {key: batch[key] for key, _text in items} == one_by_one  # a key without matches reads as []
    assert all(batch[key] for key in batch)
    # Both indexes then answer the same for a new text (the corpus's store is built on this first query).
    probe = data.draw(texts_strategy)[0]
    assert NearDuplicateIndex().query(probe) == [] and batch_query(items, probe) == single.query(probe)


def batch_query(items: list[tuple[int, str]], probe: str) -> list[tuple[int, float]]:
    index = NearDuplicateIndex()
    index.add_many(items)
    return index.query(probe)


def test_a_corpus_added_at_once_answers_later_adds_and_removes() -> None:
    base = "the kettle ticked on the stove while she counted the spoons again one two three and the rain"
    index = NearDuplicateIndex()
    index.add_many([(1, base), (2, "a completely different sentence about nothing in particular at all")])
    assert [key for key, _score in index.add(3, base + " kept")] == [1]
    assert [key for key, _score in index.query(base)] == [1, 3]
    index.remove(1)
    assert [key for key, _score in index.query(base)] == [3]
    index.add(1, "now something else entirely, no kettle here, only the quiet of a long morning")
    assert [key for key, _score in index.query(base)] == [3]


def test_identical_texts_cost_linear_work() -> None:
    text = "the same answer again, word for word, line after line, as a broken generator would write it"
    index = NearDuplicateIndex()
    started = time.perf_counter()
    found = index.add_many((key, text) for key in range(1, 4001))
    elapsed = time.perf_counter() - started
    assert found[1] == [] and len(found[4000]) == MAX_BUCKET  # compared with the bucket's first members only
    assert found[2] == [(1, 100.0)]
    assert elapsed < 10.0, elapsed  # quadratic: 4,000^2/2 = 8M comparisons, over a minute


def test_long_texts_use_a_bounded_shingle_sample() -> None:
    hasher = MinHasher()
    words = [f"w{i}" for i in range(50_000)]
    hashes = hasher.shingle_hashes(words)
    assert hashes.size == MAX_SHINGLES
    # The sample is the smallest distinct hashes, so a text and a slightly changed copy keep most of it.
    changed = list(words)
    changed[100] = "other"
    shared = len(set(hashes.tolist()) & set(hasher.shingle_hashes(changed).tolist()))
    assert shared >= MAX_SHINGLES * 0.99
    index = NearDuplicateIndex()
    index.add(1, " ".join(words))
    assert [key for key, _score in index.query(" ".join(changed))] == [1]


def _one_at_a_time_dedup(items):
    """The earlier dedup (index of kept texts only, one add at a time), as the reference."""
    from core.dataset.dedup import text_hash

    seen, kept, exact, near = {}, [], [], []
    index = NearDuplicateIndex()
    for item in sorted(items, key=lambda i: i.dedup_rank()):
        digest = text_hash(item.assistant_text)
        if digest in seen:
            exact.append((item.key, seen[digest]))
            continue
        matches = index.add(item.key, item.assistant_text)
        if matches:
            index.remove(item.key)
            near.append((item.key, matches[0][0], float(matches[0][1])))
        else:
            seen[digest] = item.key
            kept.append(item.key)
    return kept, sorted(exact), sorted(near)


@settings(max_examples=60, deadline=None)
@given(texts=texts_strategy, data=st.data())
def test_dedup_equals_the_one_at_a_time_reference(texts: list[str], data: st.DataObject) -> None:
    from core.dataset.dedup import deduplicate
    from core.dataset.items import DatasetItem

    repeats = data.draw(st.lists(st.integers(0, len(texts) - 1), max_size=8))
    corpus = texts + [texts[i] for i in repeats]
    edited = data.draw(st.sets(st.integers(0, len(corpus) - 1)))
    items = [DatasetItem(key=n + 1, messages=[{"role": "user", "content": "q"},
                                              {"role": "assistant", "content": text or "x"}],
                         edited=n in edited, created=float(n % 5)) for n, text in enumerate(corpus)]
    result = deduplicate(items)
    kept, exact, near = _one_at_a_time_dedup(items)
    assert [i.key for i in result.kept] == kept
    assert sorted(result.exact_removed) == exact and sorted(result.near_removed) == near
