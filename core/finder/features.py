"""Per-paragraph features of inner life, computed for a whole book at once.

Why these features (one column each in `FEATURE_NAMES`; "narration" is the paragraph with its
quoted speech cut out -- a paragraph opening with a dash or a play's "NAME:" label is all speech;
rates are per word, smoothed by 5 words so that a three-word line cannot score an extreme rate).
Several are sums of related counts: with a few hundred labelled paragraphs, a few strong
composite features generalise better than many weak ones.  Each column below was kept because
leave-one-book-out cross-validation over seven books (`tests/finder/measure.py`) said so: the
six added last took the pooled out-of-fold AUC from 0.874 to 0.914 (over the nine books of the
later fitting set, 17 columns give 0.838 and 23 give 0.883).

- `log_words` (narrated words): a mind needs room; one-line dialogue turns are rarely interior.
- `quote_share`: quoted speech is conversation told from outside.
- `inner_evidence` (log count) and `inner_density` (per narrated word): verbs and nouns of
  cognition, perception, feeling and the mind, hedges ("perhaps", "somehow"), self-corrections
  ("or rather", "not that") and, counted twice, attributions ("he thought", "she felt", "I
  knew", "thought Kitty,", "said to himself", "it seemed to her": a mind named as the subject of
  an inner verb, or quoted thought tagged as thought), all in the narration.
- `feeling`: emotions named anywhere, speech included ("I feel somehow ashamed").
- `first_person_narration`: "I" outside quotes is a narrator reflecting (Proust, the
  Underground Man); `first_person_speech`: a speaker talking about themself.
- `third_person_narration`: free indirect discourse rides on he/she/his/her.
- `interrupted_syntax`: dashes, ellipses and semicolons -- thought breaking off or running on.
- `narrated_exclamations`: "!" and "?" outside quotes are free indirect thought ("Horror!
  horror!"); in plain narration they are rare.
- `negation`: the inner voice denies and argues ("not", "never", "n't").
- `outer_evidence` (log count): the outside world -- speech tags, history and money, things,
  names -- in the narration; `action`: bodily movement a camera would film; `concrete`: things.
- `sentence_length`, `commas`: rhythm; long, clause-laden sentences follow a mind's turns.
- `modal_past`: "had" and "would" carry memory and habitual reverie.
- `fragments`: the share of narrated sentences of four words or fewer that are not speech tags
  ("A few sheep. That was all.") -- thought arriving in pieces, the other rhythm of a mind.
- `present_narration`: "is", "must", "can" outside quotes in past-tense prose are the
  character's own time ("He must be cautious").
- `deixis`: "now", "here", "today" in narration keep the character's vantage (free indirect).
- `interjections`: "oh", "O", "alas" outside quotes: the inner voice exclaiming.
- `speech_introspection`: inner verbs in quoted speech whose speaker says "I" -- a character
  examining themself aloud ("I remember there was real feeling in me").
- `repetition`: content words repeated within the paragraph ("under this roof, under this roof")
  -- a mind circling.
- `sentence_peak` and `sentence_mean`: per narrated sentence (or clause), inner words and
  attributions (twice) less half the outer words, per word; the paragraph's highest and mean.
  One long interior sentence in a mostly plain paragraph counts (0.883 -> 0.888 over nine books,
  within noise; other sentence-level and interaction terms tried are in `tests/finder/data`).
- `verbless`: the share of narrated sentences (two words or more) with no verb from the lists,
  no auxiliary and no word in -ed -- a mind's telegraphic notes ("Tinge of purple. Damned old
  tub pitching about.").  `subjectless`: short narrated sentences (eight words or fewer) that open
  without a pronoun, an article or "and"/"but"/"then"/"there" ("Must get that grey suit of mine
  turned").  Together 0.888 -> 0.899 leave-one-book-out (bootstrap sd of the gain 0.005; found by
  reading the Ulysses paragraphs the scorer missed), and 0.819 -> 0.846 on the fresh slice.
- `title_list` (not fitted: a gate in `core.finder.scorer`): a heading or a table of contents,
  mostly capitalised words with a "Chapter I" / "BOOK ONE" mark or two roman-numbered titles.

Hashed word unigrams and bigrams (2^16 buckets) are extracted in the same pass for the learner.
"""

from __future__ import annotations

import re
import zlib
from itertools import repeat
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import numpy.typing as npt

from core.finder.lexicon import FAMILY_NAMES, word_families

FEATURE_NAMES: tuple[str, ...] = (
    "log_words", "quote_share", "inner_evidence", "inner_density", "feeling", "first_person_narration",
    "third_person_narration", "first_person_speech", "interrupted_syntax", "narrated_exclamations", "negation",
    "outer_evidence", "action", "concrete", "sentence_length", "commas", "modal_past",
    "fragments", "present_narration", "deixis", "interjections", "speech_introspection", "repetition",
    "sentence_peak", "sentence_mean", "verbless", "subjectless", "title_list",
)
# `title_list` is a gate, not a fitted column: its weight is 0 and the scorer caps the log-odds of a
# paragraph that is a list of titles (`core.finder.scorer`).
TITLE_LIST = FEATURE_NAMES.index("title_list")
N_FEATURES = len(FEATURE_NAMES)
HASH_BITS = 16
HASH_BUCKETS = 1 << HASH_BITS

WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
QUOTED = re.compile(r'“[^”]*(?:”|$)|"[^"]*(?:"|$)')
SENTENCE_END = re.compile(r"[.!?…]+")
PROPER_NAME = re.compile(r"[a-z,;] [A-Z][a-z]")
SELF_CORRECTION = re.compile(
    r"\b(?:or rather|that is to say|i mean|in fact|or even|and yet|not that|or was it|no, no)\b")
ATTRIBUTION = re.compile(
    r"\b(?:he|she|i|they|we)\s+(?:had\s+|could\s+|did\s+not\s+|would\s+)?"
    r"(?:thought|think|felt|feel|knew|know|wondered|remembered|realised|realized|fancied|imagined|supposed|"
    r"recalled|understood|longed|wished|feared|dreaded|loved|hated|seemed|dreamed|dreamt|believed)\b"
    r"|\bthought\s+(?:he|she|i)\b"
    r"|\b(?:said|says|whispered|muttered|repeated)\s+to\s+(?:him|her|my)self\b"
    r"|\b(?:thought|wondered|reflected)\s+[a-z]+[,.;!]"
    r"|\b(?:seemed|seems|occurred|struck|appeared)\s+to\s+(?:him|her|me)\b")
# Dialogue set off by a dash at the start of the paragraph (Joyce, many translations) and a
# play's speaker label ("BLOOM: (Smiles.) More") are quoted speech without quotation marks.
# Speech in single quotes, the convention of many British editions ('I can't,' she said): taken as quoted only in
# a paragraph with no double quotes (where single ones are nested speech inside double ones), and only from an
# opening quote (after a space, a bracket or a dash, before a letter) to a closing one not followed by a letter,
# so that the apostrophes of "can't" and "o'clock" stay words.  Without it, every line of dialogue in such a book
# read as narration ("I" in speech counted as a narrating "I").
SINGLE_QUOTED = re.compile(r"(?<![^\s(\[—–-])['‘](?=[^\W\d_]|[—–-])(?:[^'’\n]|['’](?=[^\W\d_]))*(?:['’]|$)")


def normalize_quotes(text: str) -> str:
    """`text` with speech in single quotes turned into double quotes (see SINGLE_QUOTED) and curly apostrophes
    straightened: what the features read."""
    if "“" not in text and '"' not in text and ("‘" in text or "'" in text):
        text = SINGLE_QUOTED.sub(lambda m: "“" + m.group(0)[1:].rstrip("'’") + "”", text)
    return text.replace("’", "'").replace("‘", "'")


SPEECH_LINE = re.compile(r"\s*(?:[—―–]|--|[A-Z][A-Z .'’]{1,40}:\s)")
SENTENCE_SPLIT = re.compile(r"[.!?…:;]+")
# A table of contents or a heading: "Chapter I. Fyodor Pavlovitch Karamazov Chapter II. He Gets Rid ..."
# (the reader joins its lines into one paragraph).  Heading words with a numeral, or two or more
# distinct roman numerals of two letters or more opening a title ("II. The Pool of Tears").
HEADING_MARK = re.compile(r"\b(?:CHAPTER|Chapter|BOOK|Book|PART|Part|VOLUME|Volume|EPILOGUE|Epilogue|CONTENTS|Contents)"
                          r"(?:\s+(?:[IVXLC]+|\d+|[A-Z][a-z]+|[A-Z]+)\b|$)")
ROMAN_TITLE = re.compile(r"\b([IVXLC]{2,7})\.\s+[A-Z]")
CASED_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
SPEECH_TAG_PIECE = re.compile(r"\b(?:said|says|asked|replied|answered|cried|added|observed|continued)\b")

_FAMILY_INDEX = word_families()
_INNER_WORDS = frozenset(w for w, f in _FAMILY_INDEX.items()
                         if FAMILY_NAMES[f] in ("cognition", "perception", "feeling", "mind", "hedge"))
# A finite verb, roughly: any listed verb family, the auxiliaries, or a word in -ed.  A narrated
# sentence without one is a mind's telegraphic note ("Tinge of purple. Damned old tub pitching about").
_VERB_WORDS = frozenset(w for w, f in _FAMILY_INDEX.items()
                        if FAMILY_NAMES[f] in ("action", "cognition", "perception", "speech_tag", "present", "modal_past")
                        ) | frozenset("was were be been being has have having do did could should may might "
                                      "feel feels felt feeling".split())
_SUBJECT_OPENERS = frozenset("i he she they we you it the a an but and then there".split())
_OUTER_WORDS = frozenset(w for w, f in _FAMILY_INDEX.items()
                         if FAMILY_NAMES[f] in ("speech_tag", "public", "concrete", "action"))
_N_FAMILIES = len(FAMILY_NAMES)
_FAM = {name: i for i, name in enumerate(FAMILY_NAMES)}


@dataclass
class Extraction:
    """A book's features (`paragraphs x N_FEATURES`) and, when asked, its hashed word n-grams.

    `ngram_indices[ngram_indptr[i]:ngram_indptr[i + 1]]` are paragraph i's unigram and bigram
    buckets (a CSR row without values: each occurrence counts once), for the learner.
    """

    features: npt.NDArray[np.float32]
    ngram_indices: npt.NDArray[np.int32]
    ngram_indptr: npt.NDArray[np.int64]


def _word_hash(word: str) -> int:
    """A stable 32-bit hash (Python's `hash` changes per process, and buckets are cached on disk)."""
    return zlib.crc32(word.encode("utf-8"))


def extract(texts: Sequence[str], *, ngrams: bool = True) -> Extraction:
    """Features for every paragraph in `texts` (and hashed n-grams unless `ngrams=False`).

    One pass of C-level string methods and regexes per paragraph; the per-word work is a dict
    lookup, and counts are gathered with one `np.bincount` for the whole book.
    """
    count = len(texts)
    raw = np.zeros((count, 19), dtype=np.float64)
    family_ids: list[int] = []
    narration_ids: list[int] = []
    token_lengths = np.zeros(count, dtype=np.int64)
    narration_lengths = np.zeros(count, dtype=np.int64)
    all_tokens: list[str] = []
    get = _FAMILY_INDEX.get
    none = _N_FAMILIES
    for row, original in enumerate(texts):
        text = normalize_quotes(original)
        spoken = SPEECH_LINE.match(text) is not None
        narration_cased, quotes = ("", 0) if spoken else QUOTED.subn("\n", text)
        lower = text.lower()
        tokens = WORD.findall(lower)
        if quotes or spoken:
            narration = narration_cased.lower()
            narration_tokens = WORD.findall(narration)
        else:  # most narrative paragraphs: the narration is the text, tokenized once
            narration, narration_tokens = lower, tokens
        token_lengths[row] = len(tokens)
        narration_lengths[row] = len(narration_tokens)
        family_ids.extend(map(get, tokens, repeat(none)))  # map: the per-word loop stays in C
        narration_ids.extend(map(get, narration_tokens, repeat(none)))
        if ngrams:
            all_tokens.extend(tokens)
        chars = len(text)
        short = sentences = 0
        peak, total, pieces = float("-inf"), 0.0, 0
        verbless = subjectless = clauses = 0
        for piece in SENTENCE_SPLIT.split(narration):
            words = len(piece.split())
            if words:
                piece_words = WORD.findall(piece)
                inner_here = sum(map(_INNER_WORDS.__contains__, piece_words)) + 2 * len(ATTRIBUTION.findall(piece))
                level = (inner_here - 0.5 * sum(map(_OUTER_WORDS.__contains__, piece_words))) / (len(piece_words) + 4)
                peak = max(peak, level)
                total += level
                pieces += 1
                if len(piece_words) >= 2:
                    clauses += 1
                    if not any(w in _VERB_WORDS or w.endswith("ed") for w in piece_words):
                        verbless += 1
                    if len(piece_words) <= 8 and piece_words[0] not in _SUBJECT_OPENERS:
                        subjectless += 1
                if words > 4:
                    sentences += 1
                elif not SPEECH_TAG_PIECE.search(piece):  # "he said" is a tag, not a fragment
                    sentences += 1
                    short += 1
        long_words = [w for w in tokens if len(w) > 4]
        raw[row] = (
            (chars - len(narration_cased) + quotes) / chars if chars else 0.0,
            len(ATTRIBUTION.findall(narration)),
            len(SELF_CORRECTION.findall(lower)),
            text.count("—") + text.count("--") + text.count(" - "),
            text.count("...") + text.count("…") + text.count(". . ."),
            text.count(";"),
            narration.count("!") + narration.count("?"),
            len(PROPER_NAME.findall(narration_cased)),
            len(SENTENCE_END.findall(text)),
            text.count(","),
            lower.count("n't"),
            short,
            sentences,
            len(long_words) - len(set(long_words)),
            peak if pieces else 0.0,
            total / pieces if pieces else 0.0,
            verbless / (clauses + 2),
            subjectless / (clauses + 2),
            _title_list(original),
        )
    rows = np.repeat(np.arange(count, dtype=np.int64), token_lengths)
    families = np.bincount(rows * (none + 1) + np.asarray(family_ids, dtype=np.int64),
                           minlength=count * (none + 1)).reshape(count, none + 1).astype(np.float64)
    narration_rows = np.repeat(np.arange(count, dtype=np.int64), narration_lengths)
    narration_families = np.bincount(narration_rows * (none + 1) + np.asarray(narration_ids, dtype=np.int64),
                                     minlength=count * (none + 1)).reshape(count, none + 1).astype(np.float64)
    features = _assemble(raw, families, narration_families, token_lengths.astype(np.float64),
                         narration_lengths.astype(np.float64))
    if not ngrams:
        empty = np.zeros(0, dtype=np.int32)
        return Extraction(features, empty, np.zeros(count + 1, dtype=np.int64))
    indices, indptr = _hash_ngrams(all_tokens, token_lengths)
    return Extraction(features, indices, indptr)


def _title_list(text: str) -> float:
    """1.0 when `text` reads as a list of titles or a heading: a heading mark, and mostly
    capitalised words.  The marks are searched first (one C-level scan); few paragraphs have one."""
    marked = HEADING_MARK.search(text) is not None or len(set(ROMAN_TITLE.findall(text))) >= 2
    if not marked:
        return 0.0
    words = CASED_WORD.findall(text)
    return 1.0 if words and sum(w[0].isupper() for w in words) >= 0.6 * len(words) else 0.0


def _assemble(raw: npt.NDArray[np.float64], families: npt.NDArray[np.float64],
              narration_families: npt.NDArray[np.float64],
              words: npt.NDArray[np.float64], narration_words: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    per_word = 1.0 / (words + 5.0)
    per_narrated_word = 1.0 / (narration_words + 5.0)
    fam = narration_families
    inner = (fam[:, _FAM["cognition"]] + fam[:, _FAM["perception"]] + fam[:, _FAM["feeling"]] + fam[:, _FAM["mind"]]
             + fam[:, _FAM["hedge"]] + 2.0 * raw[:, 1] + raw[:, 2])
    outer = fam[:, _FAM["speech_tag"]] + fam[:, _FAM["public"]] + fam[:, _FAM["concrete"]] + raw[:, 7]
    first = families[:, _FAM["first_person"]]
    first_narration = fam[:, _FAM["first_person"]]
    sentences = np.maximum(raw[:, 8], 1.0)
    speech = families - narration_families
    speech_inner = (speech[:, _FAM["cognition"]] + speech[:, _FAM["feeling"]] + speech[:, _FAM["mind"]]
                    + speech[:, _FAM["hedge"]])
    speech_first = speech[:, _FAM["first_person"]]
    columns = [
        np.log1p(narration_words),
        raw[:, 0],
        np.log1p(inner),
        inner * per_narrated_word,
        families[:, _FAM["feeling"]] * per_word,
        first_narration * per_narrated_word,
        fam[:, _FAM["third_person"]] * per_narrated_word,
        (first - first_narration) * per_word,
        (raw[:, 3] + raw[:, 4] + raw[:, 5]) * per_word,
        raw[:, 6] * per_narrated_word,
        (families[:, _FAM["negation"]] + raw[:, 10]) * per_word,
        np.log1p(outer),
        narration_families[:, _FAM["action"]] * per_narrated_word,
        families[:, _FAM["concrete"]] * per_word,
        np.log1p(words / sentences),
        raw[:, 9] * per_word,
        families[:, _FAM["modal_past"]] * per_word,
        raw[:, 11] / (raw[:, 12] + 2.0),
        fam[:, _FAM["present"]] * per_narrated_word,
        fam[:, _FAM["deixis"]] * per_narrated_word,
        fam[:, _FAM["interjection"]] * per_narrated_word,
        speech_inner * np.minimum(speech_first, 1.0) * per_word,
        raw[:, 13] * per_word,
        raw[:, 14],
        raw[:, 15],
        raw[:, 16],
        raw[:, 17],
        raw[:, 18],
    ]
    return np.stack(columns, axis=1).astype(np.float32)


def _hash_ngrams(tokens: list[str], lengths: npt.NDArray[np.int64]
                 ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Unigram and in-paragraph bigram buckets, each paragraph's run contiguous (CSR order).

    Each distinct word is hashed once (a book has ~20,000 of them against ~600,000 tokens);
    bigrams combine the two word hashes in numpy.
    """
    vocabulary = {word: index for index, word in enumerate(dict.fromkeys(tokens))}
    ids = np.fromiter(map(vocabulary.__getitem__, tokens), dtype=np.int64, count=len(tokens))
    word_hashes = np.fromiter((_word_hash(w) for w in vocabulary), dtype=np.uint64, count=len(vocabulary))
    hashes = word_hashes[ids]
    mask = np.uint64(HASH_BUCKETS - 1)
    unigrams = (hashes & mask).astype(np.int32)
    count = len(lengths)
    ends = np.cumsum(lengths)
    if len(hashes) > 1:
        mixed = (hashes[:-1] * np.uint64(0x9E3779B1) + hashes[1:] * np.uint64(0x85EBCA6B)) >> np.uint64(7)
        bigrams = (mixed & mask).astype(np.int32)
        # a bigram at token t joins t and t+1: keep it when both lie in the same paragraph
        same = np.ones(len(hashes) - 1, dtype=bool)
        last = ends[lengths > 0] - 1
        same[last[last < len(hashes) - 1]] = False
        bigram_rows = np.repeat(np.arange(count, dtype=np.int64), lengths)[:-1][same]
        bigrams = bigrams[same]
    else:
        bigrams = np.zeros(0, dtype=np.int32)
        bigram_rows = np.zeros(0, dtype=np.int64)
    unigram_rows = np.repeat(np.arange(count, dtype=np.int64), lengths)
    rows = np.concatenate([unigram_rows, bigram_rows])
    order = np.argsort(rows, kind="stable")
    indices = np.concatenate([unigrams, bigrams])[order]
    per_row = np.bincount(rows, minlength=count)
    indptr = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(per_row, out=indptr[1:])
    return indices.astype(np.int32), indptr


def family_words(text: str, family: str) -> list[str]:
    """The words of `text` that belong to lexicon `family`, in order of appearance (for reasons)."""
    index = _FAM[family]
    lower = text.replace("’", "'").replace("‘", "'").lower()
    return [w for w in WORD.findall(lower) if _FAMILY_INDEX.get(w) == index]
