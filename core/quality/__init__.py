"""Quality flags for generated examples: cliches (pattern families and fuzzy phrases), formulaic and
repeated openings, near-duplicates, length outliers and per-template format checks.  See
`flagger.QualityFlagger`."""

from core.quality.cliches import SEED_CLICHES, SEED_OPENINGS, ClicheMatcher, PhraseList, normalize
from core.quality.flagger import (FLAG_CODES, FlagInput, QualityFlagger, as_input, flag_example,
                                  load_project_templates, reflag_all)
from core.quality.near_duplicates import NearDuplicateIndex, near_duplicate_clusters
from core.quality.patterns import FAMILIES, Family, FamilyMatcher, hedge_density, match_form

__all__ = [
    "FAMILIES", "FLAG_CODES", "SEED_CLICHES", "SEED_OPENINGS", "ClicheMatcher", "Family", "FamilyMatcher",
    "FlagInput", "NearDuplicateIndex", "PhraseList", "QualityFlagger", "as_input", "flag_example", "hedge_density",
    "load_project_templates", "match_form", "near_duplicate_clusters", "normalize", "reflag_all",
]
