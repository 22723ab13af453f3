"""The local scorer on any text: a score in [0, 1] and reasons; features well-formed for any input."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.finder.features import FEATURE_NAMES, HASH_BUCKETS, extract
from core.finder.scorer import explain, score_texts

prose = st.text(alphabet=st.sampled_from(list("abcdefghij klmnop IHe she thought felt “”\"'’—-…;,.!?\n\t")),
                max_size=400)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=300), prose))
def test_any_text_gets_a_score_in_0_1_and_reasons(text: str) -> None:
    score, reasons = explain(text)
    assert 0.0 <= score <= 1.0
    assert reasons and all(isinstance(r, str) and r for r in reasons)
    assert abs(float(score_texts([text])[0]) - score) < 1e-9


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=120), prose), max_size=12))
def test_features_and_ngrams_are_well_formed_for_any_paragraphs(texts: list[str]) -> None:
    x = extract(texts)
    assert x.features.shape == (len(texts), len(FEATURE_NAMES))
    assert np.isfinite(x.features).all()
    assert x.ngram_indptr.shape == (len(texts) + 1,)
    assert x.ngram_indptr[0] == 0 and x.ngram_indptr[-1] == len(x.ngram_indices)
    assert (np.diff(x.ngram_indptr) >= 0).all()
    assert ((x.ngram_indices >= 0) & (x.ngram_indices < HASH_BUCKETS)).all()
    # a book's rows are the rows of its paragraphs scored one by one
    for i, text in enumerate(texts):
        alone = extract([text])
        assert np.allclose(alone.features[0], x.features[i])
        assert sorted(alone.ngram_indices) == sorted(x.ngram_indices[x.ngram_indptr[i]:x.ngram_indptr[i + 1]])


def test_interior_prose_outscores_dialogue_and_action() -> None:
    interior = ("She felt, somehow, that she had failed him; and yet -- perhaps it was only the heat -- "
                "she could not remember why the thought of it frightened her so, or why she longed, "
                "absurdly, to be alone with her own heart.")
    dialogue = "\u201cPass the salt,\u201d said the colonel."
    action = "The regiment marched to the river, crossed the bridge at noon and took the village."
    scores = score_texts([interior, dialogue, action])
    assert scores[0] > 0.5 > scores[1]
    assert scores[0] > scores[2]
    _, reasons = explain(interior)
    assert any("felt" in r or "thought" in r or "remember" in r for r in reasons)


def _feature(text: str, name: str) -> float:
    return float(extract([text], ngrams=False).features[0, FEATURE_NAMES.index(name)])


def test_the_added_features_measure_what_their_docstring_says() -> None:
    # dialogue set off by a dash, or a play's speaker label, is quoted speech: no narration left
    for line in ("\u2014Irish, Buck Mulligan said. Is there Gaelic on you?", "BLOOM: (Smiles.) More, houri, more."):
        assert _feature(line, "quote_share") == 1.0 and _feature(line, "log_words") == 0.0
    assert _feature("The dash \u2014 in the middle is not dialogue.", "quote_share") == 0.0
    # fragments: short narrated sentences, but not speech tags
    assert _feature("A few sheep. That was all. Not like that!", "fragments") > 0.5
    assert _feature("\u201cGo on and tell them all about it now,\u201d he said.", "fragments") == 0.0
    # the narrating I, contractions included
    assert _feature("I'm off that, thanks.", "first_person_narration") > 0
    assert _feature("He must be cautious now; here it is.", "present_narration") > 0
    assert _feature("He must be cautious now; here it is.", "deixis") > 0
    assert _feature("O jumping Jupiter! Ah, the little girl.", "interjections") > 0
    assert _feature("\u201cI remember there was real feeling in me,\u201d he said.", "speech_introspection") > 0
    assert _feature("\u201cYou remember the house,\u201d he said.", "speech_introspection") == 0.0
    assert _feature("under this roof, under this roof! Sally Seton, Sally Seton!", "repetition") > 0
    # telegraphic monologue: sentences with no verb, sentences with no subject
    notes = "Tinge of purple. Damned old tub pitching about. Must get that grey suit turned."
    assert _feature(notes, "verbless") > 0.15 and _feature(notes, "subjectless") > 0.5
    built = "He walked to the window. She was reading the letter again. They had gone."
    assert _feature(built, "verbless") == 0.0 and _feature(built, "subjectless") == 0.0


def test_speech_in_single_quotes_reads_as_speech_like_double_quotes() -> None:
    """British editions put dialogue in single quotes; read as narration, every "I" in it counted as a narrator's."""
    from core.finder.features import normalize_quotes

    double = "“I can’t think why I came,” said Lily. “It’s five o’clock and I don’t know anyone here.” He nodded."
    single = "‘I can’t think why I came,’ said Lily. ‘It’s five o’clock and I don’t know anyone here.’ He nodded."
    ascii_single = "'I can't think why I came,' said Lily. 'It's five o'clock and I don't know anyone here.' He nodded."
    expected = extract([double], ngrams=False).features
    assert np.allclose(extract([single], ngrams=False).features, expected)
    assert np.allclose(extract([ascii_single], ngrams=False).features, expected)
    # apostrophes stay words; nested single quotes inside double ones are left alone
    assert normalize_quotes("It was five o’clock; the boys’ books") == "It was five o'clock; the boys' books"
    assert normalize_quotes("He said “it’s ‘fine’ now”.") == "He said “it's 'fine' now”."


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab I'’‘“”\"-—(.,!\n")), max_size=80))
def test_quote_normalizing_keeps_the_words_of_any_text(text: str) -> None:
    from core.finder.features import normalize_quotes

    out = normalize_quotes(text)
    assert "’" not in out and "‘" not in out
    assert [c for c in out if c.isalpha()] == [c for c in text if c.isalpha()]
