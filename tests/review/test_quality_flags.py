"""Every flag kind, fuzzy cliche variants, and incremental flagging that re-flags earlier twins."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.quality import FlagInput, QualityFlagger, flag_example, reflag_all
from core.quality.cliches import PhraseList, phrases_from_avoid
from core.settings import Settings
from tests.review.synthetic import make_example

FILLER = ("The kettle ticked on the stove while she counted the spoons again, one, two, three, and the rain "
          "kept its own count on the glass. Nobody came up the stairs. ")


def _flagger(**quality) -> QualityFlagger:
    settings = Settings()
    for key, value in quality.items():
        setattr(settings.quality, key, value)
    templates = [SimpleNamespace(id="monologue", name="Direct inner monologue",
                                 avoid=("As I reflect on", "naming the emotion (\"I felt so sad\")",
                                        "over-articulate self-analysis: a mind explaining itself at length")),
                 SimpleNamespace(id="conversation", name="Conversational", avoid=("I hear you",))]
    return QualityFlagger(settings, templates)


def _codes(flags) -> list[str]:
    return [f["code"] for f in flags]


def test_phrases_from_avoid_takes_phrases_and_quoted_examples_only() -> None:
    got = phrases_from_avoid(["As I reflect on...", "naming the emotion (\"I felt sad\")",
                              "literary cliche: pounding hearts and caught breath in every paragraph"])
    assert got == ["As I reflect on...", "I felt sad"]
    phrases = PhraseList.build([SimpleNamespace(id="t", avoid=["I hear you"])], extra=["my own phrase"])
    sources = {p.text: p.source for p in phrases.phrases}
    assert sources["i hear you"] == "template:t" and sources["my own phrase"] == "settings"
    assert sources["a tapestry of"] == "seed"


@pytest.mark.parametrize("variant", [
    "As I reflect on the years", "as I reflected on the years", "As i reflect upon the years",
    "AS I REFLECT ON THE YEARS"])
def test_cliche_fuzzy_variants_hit(variant: str) -> None:
    flags = _flagger().check(FlagInput(1, FILLER * 2 + variant + " and nothing came of it."))
    hit = [f for f in flags if f["code"] == "cliche"]
    assert hit and hit[0]["phrase"] == "as i reflect on" and hit[0]["source"] == "template:monologue"
    assert "reflect" in hit[0]["detail"]


def test_cliche_from_quoted_avoid_and_extra_setting() -> None:
    flagger = _flagger(extra_cliches=["the lamplight pooled like honey"])
    flags = flagger.check(FlagInput(1, FILLER * 2 + "I felt so sad. The lamplight pooled like honey."))
    assert {f["phrase"] for f in flags if f["code"] == "cliche"} == {"i felt so sad", "the lamplight pooled like honey"}


def test_clean_prose_has_no_cliche() -> None:
    assert _flagger().check(FlagInput(1, FILLER * 3)) == []


def test_formulaic_openings() -> None:
    flagger = _flagger()
    opening = flagger.check(FlagInput(1, "I found myself at the window again. " + FILLER * 2))
    assert _codes(opening) == ["formulaic-opening"] and "i find myself" in opening[0]["detail"]
    assert _codes(flagger.check(FlagInput(2, "Looking back, it was the spoons. " + FILLER * 2))) == ["formulaic-opening"]
    # An opening-only phrase in the middle is fine.
    assert flagger.check(FlagInput(3, FILLER + "Looking back at the stairs she saw nobody. " + FILLER)) == []


def test_repeated_openings_across_the_corpus() -> None:
    flagger = _flagger(opening_share=0.2)
    same = "The light through the window"
    items = [FlagInput(i, f"{same} {i} " + FILLER.replace("spoons", f"spoons {i} " * 9) + f" end{i}" * 30)
             for i in range(3)]
    items += [FlagInput(10 + i, f"Different start {i} " + FILLER * 2 + f"tail{i} " * 50) for i in range(7)]
    flags = flagger.build(items)
    assert all("repeated-opening" in _codes(flags[i]) for i in range(3))
    assert all("repeated-opening" not in _codes(flags[10 + i]) for i in range(7))
    repeated = next(f for f in flags[0] if f["code"] == "repeated-opening")
    assert repeated["count"] == 3 and repeated["opening"] == "the light through the"


def test_length_bounds_and_robust_outlier() -> None:
    flagger = _flagger(min_words=10, max_words=400)
    assert _codes(flagger.check(FlagInput(1, "Too short."))) == ["too-short"]
    long_flags = flagger.check(FlagInput(1, "word " * 401))
    assert "too-long" in _codes(long_flags)
    corpus = [FlagInput(i, " ".join(f"w{i}x{j}" for j in range(50 + i % 7))) for i in range(30)]
    flagger.build(corpus)
    outlier = flagger.check(FlagInput(99, " ".join(f"z{j}" for j in range(300))))
    assert "length-outlier" in _codes(outlier)
    assert "length-outlier" not in _codes(flagger.check(FlagInput(98, " ".join(f"y{j}" for j in range(53)))))


def test_conversational_template_needs_dialogue() -> None:
    flagger = _flagger()
    monologue = FILLER * 2
    assert _codes(flagger.check(FlagInput(1, monologue, "conversation"))) == ["format"]
    assert flagger.check(FlagInput(1, monologue, "monologue")) == []
    quoted = FILLER + '"Are you staying?" she asked. "Only till the rain stops," he said. ' + FILLER
    assert flagger.check(FlagInput(1, quoted, "conversation")) == []
    turns = "User: Are you staying?\nAssistant: Only till the rain stops.\nUser: It never stops.\n" + FILLER
    assert flagger.check(FlagInput(1, turns, "conversation")) == []
    assert _codes(flagger.check(FlagInput(1, "   ", "monologue")))[0] == "empty"


def test_incremental_near_duplicate_reflags_the_earlier_twin(db, project) -> None:
    flagger = _flagger()
    first = db.examples.add(make_example(FILLER * 3))
    other = db.examples.add(make_example("A wholly different answer about a harbour and gulls. " * 8))
    assert flag_example(db, flagger, first) == []
    flag_example(db, flagger, other)
    twin = db.examples.add(make_example((FILLER * 3).replace("spoons", "forks")))
    flags = flag_example(db, flagger, twin)
    assert _codes(flags) == ["near-duplicate"] and flags[0]["others"] == [first.id]
    earlier = db.examples.get(first.id).flags
    assert _codes(earlier) == ["near-duplicate"] and earlier[0]["others"] == [twin.id]
    assert db.examples.get(twin.id).flags == flags
    assert flagger.clusters() == [sorted([first.id, twin.id])]
    # check() looks without adding.
    # (a third "the kettle ticked on" opening among four examples is also a repeated opening)
    assert _codes(flagger.check(make_example(FILLER * 3))) == ["repeated-opening", "near-duplicate"]
    assert len(flagger) == 3


def test_build_from_scratch_matches_incremental(db, project) -> None:
    texts = [FILLER * 3, "I find myself " + FILLER * 2, (FILLER * 3).replace("stairs", "steps"), "Short."]
    examples = db.examples.add_many([make_example(t) for t in texts])
    incremental = _flagger()
    for example in examples:
        incremental.add(example)
    scratch = _flagger()
    assert scratch.build(examples) == {e.id: incremental.flags_for(e.id) for e in examples}
    assert reflag_all(db, scratch) == 4
    assert reflag_all(db, scratch) == 0  # nothing changed the second time
