"""The evaluation records (answers, comparisons, verdict events) are registered with the database.

Why: `Database` checks every registered record type's documents when it opens (a damaged field becomes one
sentence, not a traceback far away) and a read-only open counts registered records to decide whether the
schema needs an upgrade; a database holding only comparisons must be treated as one that holds records.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from store import Database, StoreCorruptError
from store.comparisons import Answer, Comparison, PairVerdict
from store.database import RECORD_CLASSES
from store.journal import JOURNAL_NAME
from store.journal_format import encode_header, encode_line


def _files(path: Path) -> dict[str, bytes]:
    return {n: (path / n).read_bytes() for n in sorted(os.listdir(path)) if (path / n).is_file() and n != "lock"}


def test_the_evaluation_records_are_registered() -> None:
    assert {Answer, Comparison, PairVerdict} <= set(RECORD_CLASSES)
    tables = [c.table for c in RECORD_CLASSES]
    assert len(tables) == len(set(tables))


def test_a_database_with_comparisons_opens_again_and_reads_them(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        answer = db.comparisons.answers.add(Answer(key="k1", model="base", turns=["hi"], replies=["hello"],
                                                   settings={"max_tokens": 3, "temperature": 0.0}, seed=2))
        comparison = db.comparisons.add(Comparison(
            name="a vs b", model_a={"label": "a", "fingerprint": "fa"}, model_b={"label": "b", "fingerprint": "fb"},
            probe_sets=["inner-life"], settings={"max_tokens": 3}, seed=2,
            pairs=[{"probe_set": "inner-life", "probe_id": "p1", "a": "k1", "b": "k1", "a_left": True}]))
        db.comparisons.verdicts.add(PairVerdict(comparison_id=comparison.id, pair=0, verdict="tie", cost_usd=0.25))
    with Database(tmp_path) as db:
        assert db.comparisons.answers.by_keys(["k1"])["k1"].replies == ["hello"]
        assert db.comparisons.get(comparison.id).pairs[0]["a_left"] is True
        assert db.comparisons.verdicts.for_comparison(comparison.id)[0].cost_usd == 0.25
        assert answer.id == db.comparisons.answers.by_keys(["k1"])["k1"].id


@pytest.mark.parametrize("table, doc, field, said", [
    ("eval_verdicts", {"comparison_id": "one", "pair": 0}, "comparison_id", "not a whole number"),
    ("eval_answers", {"key": "k", "replies": "hello"}, "replies", "not a list"),
    ("eval_comparisons", {"name": "x", "pairs": {"0": {}}}, "pairs", "not a list"),
    ("eval_verdicts", {"comparison_id": 1, "cost_usd": "free"}, "cost_usd", "not a number"),
])
def test_a_damaged_evaluation_document_is_one_sentence(tmp_path: Path, table: str, doc: dict[str, object],
                                                       field: str, said: str) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / JOURNAL_NAME).write_bytes(encode_header(0) + encode_line({"t": table, "put": {"1": doc}}))
    before = _files(tmp_path)
    with pytest.raises(StoreCorruptError) as info:
        Database(tmp_path).close()
    message = str(info.value)
    assert f"{table} record 1: field {field!r}" in message and said in message and "\n" not in message
    assert _files(tmp_path) == before  # nothing a person made is changed by the refusal
