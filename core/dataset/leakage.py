"""Leakage by text: which passages are one text, and whether two splits share text.

WHY by text and not by id: the same words can be two passages (an exact duplicate span, a
sub-span of a longer passage, the same chapter in two editions of a book), and a check on
passage ids reported 0 leakage while one text sat in train and in test.  Two measures:

- `link_passages` groups passages before the split is planned: passages that overlap in their
  book, have the same text (`core.passages.text_key`) or share a run of `NGRAM` words go together.
- `text_leakage` checks the rows after they are split, for the card: the passages' texts of two
  splits must share no run of `NGRAM` words (a build where they do stops, `assert_no_text_leakage`),
  and answers that repeat a run across splits are counted and warned about
  (`answer_overlap_warning`).  13 words is the n-gram length of the contamination checks since
  GPT-3: long enough that a shared run is a copied text, not a common phrase.

Runs are hashed with a vectorised rolling polynomial (64 bits), since a 10,000-row build has
millions of them; a chance collision would be one in about 10^7 builds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Optional

from core.dataset.items import DatasetItem
from core.errors import UserError

if TYPE_CHECKING:
    import numpy as np

NGRAM = 13  # words in a run that counts as shared text
_WORD = re.compile(r"\w+")


class TextLeakError(UserError):
    """Two splits share text although no unit is in both (the build is not written)."""


@dataclass(frozen=True)
class PassageSpan:
    """Where a passage lies and what it says: what `link_passages` needs to group it."""

    passage_id: int
    book_id: int
    start: int
    end: int
    text: str


def passage_spans(views: Mapping[int, Optional[Mapping[str, Any]]]) -> dict[int, PassageSpan]:
    """Spans from the store's read-only passage views (a deleted passage, None, is left out)."""
    out: dict[int, PassageSpan] = {}
    for passage_id, view in views.items():
        if view is not None:
            out[passage_id] = PassageSpan(passage_id=passage_id, book_id=int(view.get("book_id", 0)),
                                          start=int(view.get("start", 0)), end=int(view.get("end", 0)),
                                          text=str(view.get("text", "")))
    return out


class UnionFind:
    """Union-find over hashable labels; the smallest label of a group names it (stable across runs)."""

    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, label: Any) -> Any:
        self.parent.setdefault(label, label)
        root = label
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[label] != root:
            self.parent[label], label = root, self.parent[label]
        return root

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            low, high = sorted((ra, rb))
            self.parent[high] = low


def gram_hashes(texts: list[str], n: int = NGRAM) -> tuple["np.ndarray", "np.ndarray"]:
    """64-bit hashes of every `n`-word run of each text, and the index of the text each came from.

    A text shorter than `n` words gives one hash of all its words, so short identical texts still
    meet.  Words are `\\w+` runs, case-folded.  Vectorised (a rolling polynomial over all texts at
    once), since a 10,000-row build has millions of runs.
    """
    import numpy as np

    hashes: list[int] = []
    lengths: list[int] = []
    for text in texts:
        words = _WORD.findall(text.casefold())
        if 0 < len(words) < n:
            words = [" ".join(words)] + [""] * (n - 1)  # one run standing for the whole short text
        hashes.extend(map(hash, words))
        lengths.append(len(words))
    ids = np.array(hashes, dtype=np.int64).view(np.uint64)
    total = len(ids)
    if total < n:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    count = total - n + 1
    rolled = np.zeros(count, dtype=np.uint64)
    prime = np.uint64(1099511628211)
    with np.errstate(over="ignore"):
        for k in range(n):
            rolled = rolled * prime + ids[k:k + count]
    ends = np.cumsum(np.array(lengths, dtype=np.int64))
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)[:count]
    inside_one = np.arange(count, dtype=np.int64) + n <= ends[owner]
    return rolled[inside_one], owner[inside_one]


def link_passages(spans: Mapping[int, PassageSpan], n: int = NGRAM) -> dict[int, int]:
    """Each passage id -> the smallest passage id of its group (see the module docstring)."""
    from core.passages import text_key

    groups = UnionFind()
    ordered = sorted(spans.values(), key=lambda s: (s.book_id, s.start, s.end, s.passage_id))
    reach: dict[int, tuple[int, int]] = {}  # book -> (furthest end so far, the passage reaching it)
    by_text: dict[str, int] = {}
    for span in ordered:
        groups.find(span.passage_id)
        furthest = reach.get(span.book_id)
        if furthest is not None and span.start < furthest[0]:
            groups.union(span.passage_id, furthest[1])
        if furthest is None or span.end > furthest[0]:
            reach[span.book_id] = (span.end, span.passage_id)
        key = text_key(span.text)
        if key:
            groups.union(span.passage_id, by_text.setdefault(key, span.passage_id))
    _link_shared_runs(groups, ordered, n)
    return {span.passage_id: groups.find(span.passage_id) for span in ordered}


def _link_shared_runs(groups: UnionFind, spans: list[PassageSpan], n: int) -> None:
    """Union passages whose texts share an `n`-word run (e.g. the same chapter in two books)."""
    import numpy as np

    hashes, owners = gram_hashes([s.text for s in spans], n)
    if not len(hashes):
        return
    order = np.lexsort((owners, hashes))
    hashes, owners = hashes[order], owners[order]
    repeat = (hashes[1:] == hashes[:-1]) & (owners[1:] != owners[:-1])
    for index in np.nonzero(repeat)[0]:
        groups.union(spans[int(owners[index])].passage_id, spans[int(owners[index + 1])].passage_id)


RunIndex = tuple["np.ndarray", "np.ndarray"]  # run hashes sorted (ties by owner), and the text each came from


def run_index(texts: list[str], n: int = NGRAM) -> RunIndex:
    """The `n`-word runs of `texts`, sorted for lookups (ties by text index, so results are reproducible)."""
    import numpy as np

    hashes, owners = gram_hashes(texts, n)
    order = np.lexsort((owners, hashes))
    return hashes[order], owners[order]


def shared_runs(earlier: RunIndex, later: RunIndex) -> tuple[list[int], int, Optional[tuple[int, int]]]:
    """Which `later` texts repeat a run of an `earlier` one: (their indexes, distinct runs, one pair of indexes).

    The pair is the first later text with a shared run and the first earlier text holding that run.
    """
    import numpy as np

    a_hashes, a_owners = earlier
    b_hashes, b_owners = later
    if not len(a_hashes) or not len(b_hashes):
        return [], 0, None
    where = np.searchsorted(a_hashes, b_hashes)
    where[where == len(a_hashes)] = 0
    hit = a_hashes[where] == b_hashes
    if not hit.any():
        return [], 0, None
    rows = sorted({int(i) for i in b_owners[hit]})
    hits = np.nonzero(hit)[0]
    first = int(hits[np.argmin(b_owners[hits])])
    return rows, int(len(np.unique(b_hashes[hit]))), (int(a_owners[where[first]]), int(b_owners[first]))


def text_leakage(splits: dict[str, list[DatasetItem]], spans: Mapping[int, PassageSpan],
                 n: int = NGRAM) -> dict[str, Any]:
    """Text shared across splits, by `n`-word runs: of the rows' answers and of their passages.

    For each pair of splits (earlier, later) it counts the later split's rows (or passages) that
    repeat a run of the earlier split, and the distinct runs shared; `example` names one pair.
    General-data rows are left out (they have no passage, and instruction data repeats boilerplate).
    Each split's runs are hashed once and looked up by binary search (about a second for 10,000 rows).
    """
    order = list(splits)
    examples = {s: [i for i in splits[s] if i.is_example] for s in order}
    turns = {s: [(item.key, turn) for item in examples[s] for turn in item.answer_turns] for s in order}
    answer_runs = {s: run_index([t for _, t in turns[s]], n) for s in order}
    ids = {s: sorted({i.passage_id for i in examples[s] if i.passage_id is not None and i.passage_id in spans})
           for s in order}
    passage_runs = {s: run_index([spans[p].text for p in ids[s]], n) for s in order}
    answers: dict[str, dict[str, Any]] = {}
    passages: dict[str, dict[str, Any]] = {}
    for a_index, a in enumerate(order):
        for b in order[a_index + 1:]:
            pair = f"{a}/{b}"
            rows, runs, example = shared_runs(answer_runs[a], answer_runs[b])
            answers[pair] = {"rows": len({turns[b][r][0] for r in rows}), "runs": runs,
                             "example": [turns[a][example[0]][0], turns[b][example[1]][0]] if example else None}
            rows, runs, example = shared_runs(passage_runs[a], passage_runs[b])
            passages[pair] = {"passages": len(rows), "runs": runs,
                              "example": [ids[a][example[0]], ids[b][example[1]]] if example else None}
    return {"ngram": n, "answers": answers, "passages": passages, "checked_passages": bool(spans)}


def assert_no_text_leakage(report: dict[str, object]) -> None:
    """Stop a build whose splits share source text (see `text_leakage`), with the sentence that says what to do."""
    text = report.get("text")
    if not isinstance(text, dict):
        return
    n = text["ngram"]
    for pair, found in text["passages"].items():
        if found["passages"]:
            earlier, later = pair.split("/")
            first, second = found["example"]
            raise TextLeakError(
                f"Passage {second} ({later}) and passage {first} ({earlier}) share a run of {n}+ words "
                f"({found['passages']} {later} passage{'s' if found['passages'] != 1 else ''} in all), so the "
                f"build was not written: delete one of the two passages (or the duplicate book), or build with "
                f"--group-by book.")


def answer_overlap_warning(report: dict[str, object]) -> str:
    """A sentence when rows of a later split repeat a run of an earlier split's answers ("" when none).

    WHY a warning and not a stop: with no source text shared, a shared run in the answers is the
    teacher repeating its own phrasing across passages (a formulaic habit Review flags), not a
    passage leaking; it still makes the valid/test loss of those rows optimistic, so the card counts it.
    """
    text = report.get("text")
    if not isinstance(text, dict):
        return ""
    found = {pair: f for pair, f in text["answers"].items() if f["rows"]}
    if not found:
        return ""
    n = text["ngram"]
    counts = ", ".join(f"{f['rows']} {pair.split('/')[1]} row{'s repeat' if f['rows'] != 1 else ' repeats'} "
                       f"{pair.split('/')[0]}" for pair, f in found.items())
    first, second = next(iter(found.values()))["example"]
    return (f"Answers repeat {n}-word runs across splits ({counts}; e.g. examples {second} and {first}): the teacher "
            f"reuses its phrasing, which makes the held-out loss of those rows optimistic; reject or edit the "
            f"repeats in Review (f jumps to flagged examples) and build again.")
