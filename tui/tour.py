"""Regenerate the README's tour: an SVG screenshot of every screen, and the key tables.

    python -m tui.tour                 # writes tui/screenshots/*.svg and prints the keys as Markdown
    python -m tui.tour --keys-only     # just the Markdown key tables

The screenshots are taken headless (Textual's `save_screenshot`) of a demo project
built in a temporary folder: Notes from Underground (from ../shared/corpus when it
is there, else a few paragraphs of the same public-domain text), three tagged
passages, a handful of reviewed examples and a small dataset build.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from tui import keymap as keymap_table
from tui.screens import registry

HERE = Path(__file__).resolve().parent
CORPUS_BOOK = HERE.parent.parent / "shared" / "corpus" / "notes_from_underground_600.txt"
SIZE = (120, 36)

FALLBACK_TEXT = """NOTES FROM UNDERGROUND

I

I am a sick man.... I am a spiteful man. I am an unattractive man. I believe my liver is diseased. However, I know nothing at all about my disease, and do not know for certain what ails me.

I could not become anything: neither spiteful nor kind, neither a rascal nor an honest man, neither a hero nor an insect. Now, I am living out my life in my corner, taunting myself with the spiteful and useless consolation that an intelligent man cannot become anything seriously, and it is only the fool who becomes anything.

II

I want now to tell you, gentlemen, whether you care to hear it or not, why I could not even become an insect. I tell you solemnly, that I have many times tried to become an insect. But I was not equal even to that.
"""


def build_demo_project(root: Path) -> Any:
    """A small but complete project to photograph."""
    from core.library import import_book
    from core.passages import create_passage
    from core.project import open_project
    from core.review import record_decision
    from store import Database, Example

    project = open_project(root / "demo")
    source = CORPUS_BOOK
    if not source.exists():
        source = root / "notes_from_underground.txt"
        source.write_text(FALLBACK_TEXT, encoding="utf-8")
    db = Database(project.db_path)
    try:
        book = import_book(project, db, source)
        from core.library import load_book_text

        text = load_book_text(project, book)
        passages = []
        picks = [("valuable", ["self-contempt", "irony"], "spite", "monologue"),
                 ("valuable", ["ambivalence"], "paralysis", "desire-resistance"),
                 ("unsure", ["memory"], "recollection", "meta-awareness")]
        # the first long paragraphs of the book, two of them close together so one screen shows both
        long_ones = [i for i, (s, e) in enumerate(text.paragraphs) if e - s > 400][:3]
        for index, (verdict, tags, phenomenology, template) in zip(long_ones, picks):
            start, end = text.paragraphs[index]
            passages.append(create_passage(project, db, book.id, start, min(end, start + 600), tags=tags,
                                           verdict=verdict, phenomenology=phenomenology,
                                           note="The narrator watches himself refuse to be consoled.",
                                           template_ids=[template]))
        samples = [
            "The stove ticks. I hear it and tell myself I am not listening, which is a way of listening twice.",
            "She asked if I was well. I said yes before the question had finished, and then stood there, "
            "holding the yes like a coin I had not meant to spend.",
            "As I reflect on this moment, I find myself overwhelmed by a wave of emotion.",
            "I wanted to go down to them. I also wanted them to come up and find me not wanting to.",
        ]
        user_turns = [  # what a person might say to an AI: the student conversation's user turn
            "it's late and the radiator keeps ticking. what's going on with you?",
            "Someone asked how you were today and you answered too fast. Why?",
            "Be honest: how are you, really?",
            "Do you ever want two opposite things at once?",
        ]
        examples = []
        for i, text_sample in enumerate(samples * 2):
            passage = passages[i % len(passages)]
            answer = text_sample + f" ({i})"
            examples.append(Example(
                passage_id=passage.id, book_id=book.id, template_id=passage.template_ids[0], template_version="demo",
                teacher="anthropic:claude-sonnet-4-6",
                messages=[{"role": "system", "content": "Write a first-person interior moment."},
                          {"role": "user", "content": passage.text},
                          {"role": "assistant", "content": answer}],
                student=[{"role": "user", "content": user_turns[i % len(user_turns)]},
                         {"role": "assistant", "content": answer}], student_shape="single",
                usage={"input": 900, "output": 120, "cache_read": 800, "cache_write": 0}, cost_usd=0.0031))
        db.examples.add_many(examples)
        from core.quality.flagger import QualityFlagger, load_project_templates, reflag_all

        reflag_all(db, QualityFlagger(project.settings, load_project_templates(project, db)))
        for example in examples[:3]:
            record_decision(db, project.settings, example.id, "accept", seconds=4.0, session="demo")
        record_decision(db, project.settings, examples[3].id, "reject", reason="cliche", seconds=3.0,
                        session="demo")
        from core.dataset import BuildSpec, build_dataset

        build_dataset(project, db, BuildSpec(name="demo-build", formats=("mlx-chat", "openai"), near_dedup=False))
    finally:
        db.close()
    return project


async def _photograph(project: Any, out: Path) -> list[Path]:
    from tui.app import InteriorityApp

    written = []
    app = InteriorityApp(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        for spec in registry.available_screens():
            if spec.id == "reader":
                first = min(app.db.passages.all(), key=lambda p: p.start)
                app.open_reader(first.book_id, first.start)
            else:
                app.show_screen(spec.id)
            await pilot.pause(1.0)
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)
            path = out / f"{spec.id}.svg"
            app.save_screenshot(filename=path.name, path=str(out))
            written.append(path)
        app.action_help()
        await pilot.pause(0.5)
        app.save_screenshot(filename="help.svg", path=str(out))
        written.append(out / "help.svg")
    return written


def keys_markdown(settings_keymap: dict[str, str] | None = None) -> str:
    """Every screen's keys as Markdown tables (the same rows the help screen shows)."""
    from textual.app import App

    from tui.app import InteriorityApp

    keymap = settings_keymap or {}
    display = App()  # only for `get_key_display`: keys shown as the footer shows them
    lines: list[str] = []
    sections = [("Everywhere", keymap_table.rows_for([InteriorityApp], display, keymap))]
    for spec in registry.available_screens():
        screen_class = registry.load_screen_class(spec)
        if screen_class is not None:
            sections.append((f"{spec.key} {spec.title}", keymap_table.rows_for(
                keymap_table.binding_sources(screen_class), display, keymap)))
    for title, rows in sections:
        lines += [f"**{title}**", "", "| key | id | what it does |", "|---|---|---|"]
        lines += [f"| `{row.key}` | `{row.binding_id}` | {row.description} |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "screenshots")
    parser.add_argument("--keys-only", action="store_true")
    args = parser.parse_args(argv)
    if not args.keys_only:
        args.out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            project = build_demo_project(Path(tmp))
            for path in asyncio.run(_photograph(project, args.out)):
                print(f"wrote {path}", file=sys.stderr)
    print(keys_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
