"""Quality flags for generated examples: cliches (pattern families and fuzzy phrases), formulaic and
repeated openings, near-duplicates, length outliers and per-template format checks; and for the student
conversation, exercise leaks in user turns, copies of the passage in any turn, and continuity
conversations that never refer back (`student_flags`).  See `flagger.QualityFlagger`.

The names below load on first use (PEP 562): the Review screen imports `core.quality.copying` to mark
copied words, and must not pay for numpy and rapidfuzz (~130 ms) that only the flagger needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.quality.cliches import SEED_CLICHES, SEED_OPENINGS, ClicheMatcher, PhraseList, normalize
    from core.quality.copying import MIN_RUN, CopiedSpans, conversation_copies, copied_spans
    from core.quality.flagger import (FLAG_CODES, FlagInput, QualityFlagger, as_input, flag_example,
                                      inputs_from_store, load_project_templates, refresh_student_flags, reflag_all,
                                      student_detector)
    from core.quality.leaks import LeakDetector
    from core.quality.near_duplicates import NearDuplicateIndex, near_duplicate_clusters
    from core.quality.patterns import FAMILIES, Family, FamilyMatcher, hedge_density, match_form
    from core.quality.student_flags import STUDENT_FLAG_CODES, student_flags

_HOMES = {
    "core.quality.cliches": ("SEED_CLICHES", "SEED_OPENINGS", "ClicheMatcher", "PhraseList", "normalize"),
    "core.quality.copying": ("MIN_RUN", "CopiedSpans", "conversation_copies", "copied_spans"),
    "core.quality.flagger": ("FLAG_CODES", "FlagInput", "QualityFlagger", "as_input", "flag_example",
                             "inputs_from_store", "load_project_templates", "refresh_student_flags", "reflag_all",
                             "student_detector"),
    "core.quality.leaks": ("LeakDetector",),
    "core.quality.near_duplicates": ("NearDuplicateIndex", "near_duplicate_clusters"),
    "core.quality.patterns": ("FAMILIES", "Family", "FamilyMatcher", "hedge_density", "match_form"),
    "core.quality.student_flags": ("STUDENT_FLAG_CODES", "student_flags"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_HOME_OF)


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'core.quality' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain lookup
    return value
