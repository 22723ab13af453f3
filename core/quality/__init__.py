"""Quality flags for generated examples: cliches (pattern families and fuzzy phrases), formulaic and
repeated openings, near-duplicates, length outliers and per-template format checks; and for the student
conversation, exercise leaks in user turns, copies of the passage in any turn, and continuity
conversations that never refer back (`student_flags`).  See `flagger.QualityFlagger`."""

from core.quality.cliches import SEED_CLICHES, SEED_OPENINGS, ClicheMatcher, PhraseList, normalize
from core.quality.copying import MIN_RUN, CopiedSpans, conversation_copies, copied_spans
from core.quality.flagger import (FLAG_CODES, FlagInput, QualityFlagger, as_input, flag_example, inputs_from_store,
                                  load_project_templates, refresh_student_flags, reflag_all, student_detector)
from core.quality.leaks import LeakDetector
from core.quality.student_flags import STUDENT_FLAG_CODES, student_flags
from core.quality.near_duplicates import NearDuplicateIndex, near_duplicate_clusters
from core.quality.patterns import FAMILIES, Family, FamilyMatcher, hedge_density, match_form

__all__ = [
    "FAMILIES", "FLAG_CODES", "MIN_RUN", "SEED_CLICHES", "SEED_OPENINGS", "STUDENT_FLAG_CODES", "ClicheMatcher",
    "CopiedSpans", "Family", "FamilyMatcher", "FlagInput", "LeakDetector", "NearDuplicateIndex", "PhraseList",
    "QualityFlagger", "as_input", "conversation_copies", "copied_spans", "flag_example", "hedge_density",
    "inputs_from_store", "load_project_templates", "match_form", "near_duplicate_clusters", "normalize",
    "refresh_student_flags", "reflag_all", "student_detector", "student_flags",
]
