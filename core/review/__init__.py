"""Review: decisions as an append-only log (`log`), the reviewer's edits of student conversations (`edits`), the session the Review screen drives (`session`),
the analytics the screen and `interiority review-stats` share (`stats`), reviewer fatigue (`fatigue`) and
the reviewer's notes (`notes`).

The names below are the package's public surface; modules inside it import each other directly, never
through this file, so there is no cycle.
"""

from core.review.edits import (conversation_text, parse_conversation_text, parse_edit_file, replace_last_answer,
                               shape_of)
from core.review.fatigue import SessionSample, fatigue_warning
from core.review.log import (ACTIONS, DUPLICATE_REASON, MAX_COUNTED_SECONDS, VERDICTS, DecisionEvent, Folded,
                             ReviewError, check_reason, effective_events, fold, fold_events, record_decision)
from core.review.notes import add_failure_patterns, failure_patterns, has_failure_patterns
from core.review.session import FACETS, CardEntry, DecisionResult, Progress, ReviewSession
from core.review.stats import ReviewStats, format_stats, review_report, review_stats

__all__ = ["ACTIONS", "DUPLICATE_REASON", "FACETS", "MAX_COUNTED_SECONDS", "VERDICTS", "CardEntry", "DecisionEvent",
           "DecisionResult", "Folded", "Progress", "ReviewError", "ReviewSession", "ReviewStats", "SessionSample",
           "add_failure_patterns", "check_reason", "conversation_text", "effective_events", "failure_patterns",
           "fatigue_warning", "fold", "fold_events", "format_stats", "has_failure_patterns", "parse_conversation_text",
           "parse_edit_file", "record_decision", "replace_last_answer", "review_report", "review_stats", "shape_of"]
