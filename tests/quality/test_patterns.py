"""Pattern families: inflections and wordings hit, literal uses do not, AVOID descriptions are not
phrases, hedges count only when dense; Hypothesis properties for arbitrary and planted texts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.quality import FlagInput, QualityFlagger, normalize
from core.quality.cliches import ClicheMatcher, PhraseList, is_description, phrases_from_avoid
from core.quality.patterns import FAMILIES, FamilyMatcher, form_from_normalized, hedge_density, match_form
from tests.quality.conftest import seed_templates

CODES = ("cliche", "formulaic-opening")
LEAD = "The bus was late again and I stood under the shelter reading the timetable. "


def _phrases(flagger: QualityFlagger, text: str) -> list[str]:
    return [str(f["phrase"]) for f in flagger.check(FlagInput(1, text)) if f["code"] in CODES]


@pytest.mark.parametrize("sentence, phrase", [
    ("Something stirs within me when the lights go down.", "something stirs within me"),
    ("Something stirred inside me as she spoke.", "something stirs within me"),
    ("I felt something stirring deep within my chest.", "something stirs within me"),
    ("Something in me shifted, quietly, and stayed shifted.", "something stirs within me"),
    ("It dawns on me that the shop is closed.", "it dawns on me"),
    ("Slowly it began to dawn upon me what he meant.", "it dawns on me"),
    ("The realization hits me like a wave.", "the realization hits me like"),
    ("The truth struck me with full force.", "the realization hits me like"),
    ("The realisation washed over me like rain.", "the realization hits me like"),
    ("My years there were a rich tapestry of small mercies.", "a tapestry of"),
    ("The town was a mosaic of old grudges.", "a tapestry of"),
    ("It's as though the universe wanted me to wait.", "as though the universe"),
    ("A profound stillness settled over my soul.", "a profound stillness settles over my soul"),
    ("I released a breath I didn't know I was holding.", "a breath i didn't know i was holding"),
    ("In that moment, I knew.", "in that moment"),
    ("As I sat there, the kettle boiled dry.", "as i sat there"),
    ("Time seemed to stop.", "time seemed to stand still"),
    ("Time itself stood still on the stairs.", "time seemed to stand still"),
    ("I couldn't help but laugh at the hat.", "i couldn't help but"),
    ("A wave of quiet grief rose in me.", "a wave of <feeling>"),
    ("Relief flooded through me.", "washed over me"),
    ("I keep finding myself drawn to the window.", "i find myself"),
])
def test_formula_variants_hit(seeded_flagger: QualityFlagger, sentence: str, phrase: str) -> None:
    assert phrase in _phrases(seeded_flagger, LEAD + sentence)


@pytest.mark.parametrize("text", [
    "The tapestry on the wall of the castle showed a stag, and the guide said it was older than the tower.",
    "In that moment of the trial the witness turned to the jury and said nothing at all.",
    "A wave of the hand from the porter sent us to the far platform.",
    "Looking back from the bridge, the town was only roofs and a church spire.",
    "The echoes of the bell went on after the ringing stopped.",
    "The clock had stopped at four and nobody wound it.",
    "Something moved in the grass by the shed, and a cat came out.",
    "The waves washed over me and the cold sea took my breath, and I ran up the beach shouting.",
    "Perhaps the bakery will be open. I walked there anyway. It was.",
    "I felt a draught from the door and got up to close it.",
])
def test_literal_uses_are_not_flagged(seeded_flagger: QualityFlagger, text: str) -> None:
    assert _phrases(seeded_flagger, text) == []


def test_literal_cue_lowers_the_score_under_the_formula() -> None:
    matcher = FamilyMatcher()
    formula = matcher.find(match_form("My childhood was a rich tapestry of smells."))
    literal = matcher.find(match_form("A tapestry of the hunt hung on the castle wall."))
    assert formula and formula[0].score == 100.0 and literal == []


def test_openings_need_the_figurative_construction(seeded_flagger: QualityFlagger) -> None:
    flags = seeded_flagger.check(FlagInput(1, "Looking back, I think the house was already sold. " + LEAD))
    assert [f["code"] for f in flags if f["code"] in CODES] == ["formulaic-opening"]
    assert _phrases(seeded_flagger, "Looking back at the platform he saw her waving. " + LEAD) == []
    assert _phrases(seeded_flagger, "A wave of panic rose as the doors closed. " + LEAD) == ["a wave of <feeling>"]
    opening = seeded_flagger.check(FlagInput(1, "A wave of panic rose as the doors closed. " + LEAD))
    assert [f["code"] for f in opening if f["code"] in CODES] == ["formulaic-opening"]


def test_avoid_descriptions_are_guidance_not_phrases() -> None:
    avoid = [entry for template in seed_templates() for entry in template.avoid]
    phrases = {normalize(p) for p in phrases_from_avoid(avoid)}
    assert not phrases & {"perhaps", "maybe", "i think", "resolving the doubt at the end",
                          "literary cliche and fake profundity", "fake profundity about desire"}
    assert {"i felt sad", "torn between", "little did i know"} <= phrases
    assert is_description("resolving the doubt at the end") and not is_description("looking back now")


def test_hedges_flag_only_when_dense(seeded_flagger: QualityFlagger) -> None:
    dense = "Maybe I went. Perhaps I stayed home. I think it rained. Maybe not."
    assert "dense hedging" in _phrases(seeded_flagger, dense)
    sparse = "Perhaps I went. The bus came at six. I sat at the back with a bag of apples. It rained."
    assert _phrases(seeded_flagger, sparse) == []
    assert hedge_density(match_form("Maybe. Perhaps.")) is None  # under three sentences
    assert hedge_density(match_form("It was a sort of shed. A kind of hut. The roof leaked.")) is None


def test_fuzzy_phrases_keep_their_content_words() -> None:
    matcher = ClicheMatcher(PhraseList.build(extra=["I felt so sad", "the lamplight pooled like honey"], seed=(),
                                             seed_openings=()))
    assert matcher.find(normalize(LEAD + "I felt a draught from the door.")) == []
    found = matcher.find(normalize(LEAD + "I saw the lamplight pooling like honey."))
    assert [f["phrase"] for f in found] == ["the lamplight pooled like honey"]


def test_evaluation_callers_without_the_text_still_get_families() -> None:
    matcher = ClicheMatcher(PhraseList.build())
    flags = matcher.find(normalize(LEAD + "It dawned on me that I couldn't help but stay."))
    assert {f["phrase"] for f in flags} == {"it dawns on me", "i couldn't help but"}
    assert form_from_normalized("i couldn t help but") == "i couldn't help but"


# -- properties --------------------------------------------------------------------------------------

_SAFE_WORDS = st.sampled_from(("kettle", "window", "bread", "coat", "bus", "stairs", "garden", "letter",
                               "chair", "rain", "table", "spoon", "door", "street", "lamp", "shoe"))
_CLEAN_SENTENCE = st.lists(_SAFE_WORDS, min_size=4, max_size=12).map(lambda w: "The " + " ".join(w) + ".")
_PLANTED = st.sampled_from([
    ("Something stirred within me.", "something stirs within me"),
    ("It slowly dawned on me.", "it dawns on me"),
    ("The realization hit me like a train.", "the realization hits me like"),
    ("Life is a vast mosaic of errands.", "a tapestry of"),
    ("As though the cosmos had planned it.", "as though the universe"),
    ("I let go a breath I hadn't known I was holding.", "a breath i didn't know i was holding"),
    ("Time seemed to freeze.", "time seemed to stand still"),
    ("We couldn't help but stare.", "i couldn't help but"),
    ("Waves of sorrow came.", "a wave of <feeling>"),
    ("Relief washed over me.", "washed over me"),
])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_matched_without_error(text: str) -> None:
    form = match_form(text)
    for hit in FamilyMatcher().find(form):
        assert 0 <= hit.start < hit.end <= len(form) and form[hit.start:hit.end] == hit.matched
    hedge_density(form)
    form_from_normalized(normalize(text))


@settings(max_examples=100, deadline=None)
@given(st.lists(_CLEAN_SENTENCE, min_size=1, max_size=6), _PLANTED, st.integers(min_value=0, max_value=6),
       st.booleans())
def test_a_planted_formula_is_found_in_clean_text(sentences: list[str], planted: tuple[str, str],
                                                  where: int, shout: bool) -> None:
    """Wherever a formula stands among clean sentences, whatever the case and spacing, it is found, once;
    the clean sentences alone give nothing."""
    matcher = ClicheMatcher(PhraseList.build(seed_openings=()))
    clean = " ".join(sentences)
    assert matcher.find(normalize(clean), clean) == []
    parts = list(sentences)
    parts.insert(min(where, len(parts)), planted[0])
    text = "  ".join(parts)
    text = text.upper() if shout else text
    phrases = [f["phrase"] for f in matcher.find(normalize(text), text)]
    assert phrases == [planted[1]]


def test_every_family_compiles_and_has_triggers() -> None:
    for family in FAMILIES:
        assert family.triggers and isinstance(family.compiled, re.Pattern)
