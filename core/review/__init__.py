"""Review: decisions as an append-only log (`log`), the reviewer's edits of student conversations (`edits`)
and their word diff (`diff`), the session the Review screen drives (`session`, with bulk decisions: `bulk`),
search within the examples (`search`), the guidelines panel (`guidelines`), the analytics the screen and
`interiority review-stats` share (`stats`), reviewer fatigue (`fatigue`) and the reviewer's notes (`notes`).

The names below are the package's public surface; modules inside it import each other directly, never
through this file, so there is no cycle.
"""

from core.review.bulk import BulkPlan
from core.review.diff import TurnDiff, changed_words, turn_diffs, word_diff
from core.review.edits import (conversation_text, parse_conversation_text, parse_edit_file, replace_last_answer,
                               shape_of)
from core.review.fatigue import SessionSample, fatigue_warning
from core.review.log import (ACTIONS, DUPLICATE_REASON, MAX_COUNTED_SECONDS, VERDICTS, DecisionEvent, Folded,
                             ReviewError, check_reason, effective_events, fold, fold_events, record_decision)
from core.review.notes import add_failure_patterns, failure_patterns, has_failure_patterns
from core.review.search import SearchIndex, SearchQuery, parse_query, searchable_text
from core.review.session import FACETS, CardEntry, DecisionResult, ListProgress, Progress, ReviewSession
from core.review.stats import ReviewStats, format_stats, review_report, review_stats

__all__ = ["ACTIONS", "DUPLICATE_REASON", "FACETS", "MAX_COUNTED_SECONDS", "VERDICTS", "BulkPlan", "CardEntry",
           "DecisionEvent", "DecisionResult", "Folded", "ListProgress", "Progress", "ReviewError", "ReviewSession",
           "ReviewStats", "SearchIndex", "SearchQuery", "SessionSample", "TurnDiff", "add_failure_patterns",
           "changed_words", "check_reason", "conversation_text", "effective_events",
           "failure_patterns", "fatigue_warning", "fold", "fold_events", "format_stats", "has_failure_patterns",
           "parse_conversation_text", "parse_edit_file", "parse_query", "record_decision", "replace_last_answer",
           "review_report", "review_stats", "searchable_text", "shape_of", "turn_diffs", "word_diff"]
