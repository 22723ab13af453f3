"""Template versions: each content hash a template ever had, so examples keep their provenance."""

from __future__ import annotations

from typing import Optional

from store.records import TemplateVersion
from store.repository import Repository


class TemplateVersionRepository(Repository[TemplateVersion]):
    record_class = TemplateVersion

    def find_version(self, template_id: str, version: str) -> Optional[TemplateVersion]:
        found = self.where_eq(template_id=template_id, version=version)
        return found[0] if found else None

    def remember(self, template_id: str, version: str, name: str, content: str) -> TemplateVersion:
        """Store this version unless it is already known."""
        existing = self.find_version(template_id, version)
        if existing is not None:
            return existing
        return self.add(TemplateVersion(template_id=template_id, version=version, name=name, content=content))
