"""`interiority templates`: the project's elicitation templates, with their versions and when to use them."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli import add_command


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = add_command(sub, "templates", help="list the elicitation templates (files in the project's "
                                                "templates/ folder; edit them freely, each edit is a new version)")
    parser.set_defaults(handler=list_templates)


def list_templates(args: argparse.Namespace, ctx: Any) -> int:
    from core.templates import load_templates

    templates = load_templates(ctx.project, ctx.db)
    if ctx.json:
        ctx.print_json([t.to_json() for t in templates])
        return 0
    ctx.print(f"{len(templates)} templates in {ctx.project.templates_dir}")
    for t in templates:
        ctx.print(f"\n{t.id}  {t.name}  (version {t.version})")
        ctx.print(f"  use when:     {t.use_when}")
        ctx.print(f"  not when:     {t.avoid_when}")
        ctx.print(f"  avoid:        {len(t.avoid)} phrases/patterns")
        ctx.print(f"  student:      {t.student_shape}" + (f" ({t.shape_note})" if t.shape_note else ""))
        ctx.print(f"  file:         {t.path}")
    return 0
