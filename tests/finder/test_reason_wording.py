"""A reason reads the way it counts: no mark of inner life is given as a reason *against* it (and no mark of
plain narration as a reason for it), even where a fitted weight came out negative (reported on Karamazov: "the
inner voice exclaiming (oh, O, alas)" shown for a low-scoring paragraph)."""

from __future__ import annotations

from pathlib import Path

from core.finder.scorer import explain

INTERIOR_WHEN_HIGH = ("the inner voice exclaiming", "words of thought and feeling", "first-person narration",
                      "he/she narration", "interrupted syntax", "feeling:", "negations and denials")
PLAIN_WHEN_HIGH = ("mostly quoted speech", "the outside world")


def test_reasons_agree_with_the_direction_of_the_score(corpus: Path) -> None:
    text = (corpus / "brothers_karamazov_28054.txt").read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n\n") if len(p.strip()) > 80][200:1400]
    low = high = 0
    for paragraph in paragraphs:
        score, reasons = explain(paragraph)
        if score < 0.5:
            low += 1
            assert not any(r.startswith(INTERIOR_WHEN_HIGH) for r in reasons), (reasons, paragraph[:80])
        else:
            high += 1
            assert not any(r.startswith(PLAIN_WHEN_HIGH) for r in reasons), (reasons, paragraph[:80])
        assert reasons
    assert low > 100 and high > 20


def test_no_reason_twice_and_no_word_quoted_twice(corpus: Path) -> None:
    """Seen in `suggest` on Karamazov: "words of thought and feeling: ...; words of thought and feeling: felt"
    (the count and the density of inner words as two reasons), "feeling: pain, feelings" beside "...: pain,
    feelings", and "sentence after sentence of thought" for a one-sentence "To-morrow," I thought."""
    from core.finder.scorer import _sentences

    text = (corpus / "brothers_karamazov_28054.txt").read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n\n") if len(p.strip()) > 20][200:1400]
    one_sentence = 0
    for paragraph in paragraphs:
        _, reasons = explain(paragraph)
        heads = [r.split(":")[0] for r in reasons]
        assert len(heads) == len(set(heads)), reasons
        quoted = [w.strip() for r in reasons if ": " in r for w in r.split(": ", 1)[1].split(",")]
        assert len(quoted) == len(set(quoted)), reasons
        if _sentences(paragraph) <= 1:
            one_sentence += 1
            assert "sentence after sentence of thought or feeling" not in reasons, (reasons, paragraph)
    assert one_sentence > 20
    assert explain("“To-morrow,” I thought.")[1][0] == "a sentence of thought or feeling"


def test_one_narrated_sentence_is_not_thought_in_fragments(corpus: Path) -> None:
    """Seen in `suggest` on War and Peace and Karamazov: "thought in fragments (short narrated sentences)" for
    "\u201cAh, she has come!\u201d thought he." -- one sentence, its only narration the tag of a quoted thought."""
    from core.finder.scorer import _sentences

    tagged = "\u201cHe\u2019s alone,\u201d thought Mitya, \u201cin all probability he\u2019s alone.\u201d"
    score, reasons = explain(tagged)
    assert score >= 0.5 and len(reasons) == 3
    assert not any(r.startswith("thought in fragments") for r in reasons), reasons
    text = (corpus / "brothers_karamazov_28054.txt").read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n\n") if len(p.strip()) > 20][200:1400]
    several = 0
    for paragraph in paragraphs:
        reasons = explain(paragraph)[1]
        if _sentences(paragraph) <= 1:
            assert "thought in fragments (short narrated sentences)" not in reasons, (reasons, paragraph)
        elif "thought in fragments (short narrated sentences)" in reasons:
            several += 1
    assert several >= 3  # still said where there are several short narrated sentences
    assert "thought in fragments (short narrated sentences)" in explain(
        "A few sheep. That was all. Not like that! Too late now, she thought. Gone.")[1]
