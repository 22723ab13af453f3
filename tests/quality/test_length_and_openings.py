"""length-outlier needs a real spread; stored repeated-opening flags follow the counts as examples arrive."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.quality import FlagInput, QualityFlagger
from core.quality.length_format import LengthStats, outlier_flag
from core.quality.openings import OpeningCounter
from core.settings import Settings


def _text(key: int, words: int, opening: str = "") -> str:
    body = " ".join(f"w{key}x{j}" for j in range(words))
    return f"{opening} {body}".strip()


def test_uniform_set_does_not_flag_a_few_words_more() -> None:
    """The reported case: median 17 words, spread about one word, 23 words scored z = +4."""
    stats = LengthStats([16, 17, 17, 18] * 10)
    assert outlier_flag(23, stats) is None and outlier_flag(12, stats) is None
    flag = outlier_flag(60, stats)
    assert flag is not None and flag["code"] == "length-outlier" and flag["z"] > 3.5


def test_spread_floor_is_share_of_median_or_five_words() -> None:
    assert LengthStats([200] * 30).spread() == 30.0  # 15% of 200
    assert LengthStats([10] * 30).spread() == 5.0
    wide = LengthStats(list(range(100, 400, 10)))
    assert wide.spread() > 0.15 * 250


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=5, max_value=400), st.integers(min_value=0, max_value=1),
       st.integers(min_value=20, max_value=80), st.integers(min_value=-5, max_value=5))
def test_uniform_sets_never_flag_within_five_words(median: int, jitter: int, size: int, offset: int) -> None:
    stats = LengthStats([median + (i % 2) * jitter for i in range(size)])
    assert outlier_flag(median + offset, stats) is None


def _repeated(flags: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(f["opening"], f["count"]) for f in flags if f["code"] == "repeated-opening"]


def _flagger(share: float) -> QualityFlagger:
    settings_ = Settings()
    settings_.quality.opening_share = share
    settings_.quality.min_words = 1
    return QualityFlagger(settings_)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["alpha beta gamma delta", "one two three four", "red green blue grey", ""]),
                min_size=1, max_size=40),
       st.sampled_from([0.1, 0.2, 0.3]))
def test_stored_opening_flags_match_a_full_recount(openings: list[str], share: float) -> None:
    """Applying what `add` returns after each arrival leaves every stored repeated-opening flag (and its
    count) as a from-scratch `build` computes it."""
    live = _flagger(share)
    stored: dict[int, list[dict[str, Any]]] = {}
    items = [FlagInput(key, _text(key, 12, opening)) for key, opening in enumerate(openings)]
    for item in items:
        stored.update(live.add(item))
    scratch = _flagger(share).build(items)
    assert {key: _repeated(flags) for key, flags in stored.items()} == \
        {key: _repeated(flags) for key, flags in scratch.items()}


def test_an_opening_falls_under_the_share_as_the_corpus_grows() -> None:
    counter = OpeningCounter(share=0.2, min_repeats=3)
    for _ in range(3):
        counter.add("same start here now")
    for index in range(11):
        counter.add(f"other {index} x y")
    assert counter.is_repeated("same start here now")  # 3 of 14 > 2.8
    counter.add("another one x y")  # 3 of 15 = 3.0, not over 20%
    assert counter.fallen_under_share() == ["same start here now"]
    counter.add("and another x y")
    assert counter.fallen_under_share() == []
