"""Teachers: the models that write examples (Claude through the API, or a local MLX model)."""

from __future__ import annotations

from typing import Any, Optional

from core.teacher.base import (Teacher, TeacherAuthError, TeacherBadRequest, TeacherError, TeacherFatal,
                               TeacherNotConfigured, TeacherOutputError, TeacherRateLimited, TeacherRequest,
                               TeacherResult, TeacherRetryable, TokenEstimate, Usage, check_output)

__all__ = ["Teacher", "TeacherAuthError", "TeacherBadRequest", "TeacherError", "TeacherFatal",
           "TeacherNotConfigured", "TeacherOutputError", "TeacherRateLimited", "TeacherRequest", "TeacherResult",
           "TeacherRetryable", "TokenEstimate", "Usage", "check_output", "make_teacher", "teacher_name",
           "teacher_problem"]


def teacher_name(settings: Any) -> str:
    """The name jobs are queued under for the configured teacher (no key or model needed to know it)."""
    if settings.teacher.provider == "mlx":
        from pathlib import Path

        return f"mlx:{Path(settings.teacher.local_model).expanduser().name}"
    return f"anthropic:{settings.teacher.model}"


def make_teacher(settings: Any, project_root: Any = None) -> Teacher:
    """The teacher the settings name; `TeacherNotConfigured` says how to configure one when none is."""
    if settings.teacher.provider == "mlx":
        from core.teacher.mlx_teacher import MLXTeacher

        return MLXTeacher.from_settings(settings)
    from core.teacher.anthropic_teacher import AnthropicTeacher

    return AnthropicTeacher(settings, project_root=project_root)


def teacher_problem(settings: Any, project_root: Any = None) -> Optional[str]:
    """Why no teacher can be made (a sentence saying how to configure one), or None when one can."""
    try:
        if settings.teacher.provider == "mlx":
            from core.teacher.mlx_teacher import check_model_folder

            check_model_folder(settings.teacher.local_model)
        else:
            from core.teacher.apikey import HOW_TO, resolve_api_key

            if not resolve_api_key(settings, project_root):
                return f"No teacher is configured: {HOW_TO}."
    except TeacherNotConfigured as exc:
        return str(exc)
    return None
