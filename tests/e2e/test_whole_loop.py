"""The whole loop as a newcomer lives it, by keystrokes alone, in a real terminal (tmux).

`python -m core --project P` runs in a detached tmux session of 140x45 on a fresh
project whose `interiority.toml` points the teacher at a fake Anthropic server on
127.0.0.1 and the trainer at the tiny MLX model.  The test then does what a person
would: imports Notes from Underground on the Library screen, opens it, highlights
and tags three passages (verdict, tag, template), enqueues and runs the generation
on the Queue screen, reviews the examples (accept, reject with a reason, edit and
save, undo) after a short careful start, builds a dataset, trains the tiny model
for a few iterations, and evaluates it.  Every step is checked on the screen
(capture-pane) and no capture may show a traceback; after the app has quit, the
project's database and files are checked.

Skipped only where tmux is missing.  Marked slow: about a minute and a half on 2 cores.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from tests.e2e.tmux_driver import ANSI_ESCAPE, ScreenTimeout, TmuxSession, tmux_available

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")]

REPO = Path(__file__).resolve().parents[2]
BOOK = "notes_from_underground_600.txt"
SAMPLES = 2  # examples per passage x template


# One row per passage: the words searched for, how many sentences `)` extends the mark by,
# the verdict key and the label the sidebar shows, the tag typed (and what Tab completes it to),
# and the template chosen (how many rows down in the list, and the start of its "use when" hint).
PASSAGES = [
    {"search": "I am a sick man", "sentences": 3, "verdict_key": "+", "verdict": "valuable",
     "tag_typed": "spite", "tag": "spite", "template_row": 0, "template": "monologue",
     "hint": "Use when: A standalone moment"},
    {"search": "I was rude and took pleasure", "sentences": 2, "verdict_key": "=", "verdict": "unsure",
     "tag_typed": "cruelty", "tag": "cruelty", "template_row": 2, "template": "meta-awareness",
     "hint": "Use when: Consciousness observing"},
    {"search": "I have been going on like that", "sentences": 1, "verdict_key": "+", "verdict": "valuable",
     "tag_typed": "spi\t", "tag": "spite", "template_row": 4, "template": "uncertainty",
     "hint": "Use when: Passages about not knowing"},
]
EDIT_PREFIX = "Still, the kettle. "
# The Train form's numeric fields in focus order, with the value typed (None: the default is kept).
TRAIN_FORM = [("Iterations", "6"), ("Batch", "1"), ("Learning rate", None), ("LoRA rank", None),
              ("Layers (-1 all)", "-1"), ("Max sequence", "256"), ("Report every", "2"),
              ("Validate every", "3"), ("Checkpoint every", "3")]
FORM_WIDTH = 46  # columns of the Train screen's form, left of its rule


def write_settings(project: Path, base_url: str, model: Path) -> None:
    """A small, fast configuration: the fake teacher, 2 samples, a 2-review careful start, the tiny model."""
    project.mkdir(parents=True)
    (project / "interiority.toml").write_text(f'''
[teacher]
provider = "anthropic"
model = "claude-sonnet-4-6"
base_url = "{base_url}"
max_tokens = 300
timeout_s = 30.0

[queue]
concurrency = 2
samples = {SAMPLES}
max_retries = 2
backoff_base_s = 0.1
backoff_max_s = 0.5
budget_usd = 1.0

[review]
careful_reviews = 2
careful_pause_s = 0.3

[dataset]
valid_ratio = 0.3
test_ratio = 0.3

[training]
local_model = "{model}"
''', encoding="utf-8")


def sidebar(screen: str) -> str:
    """The reader's tagging sidebar as one line of text (right of the last vertical rule)."""
    parts = [line.rsplit("\u2502", 1)[1].strip() for line in screen.splitlines() if "\u2502" in line]
    return " ".join(part for part in parts if part)


def sidebar_has(*texts: str) -> Callable[[str], bool]:
    def check(screen: str) -> bool:
        side = sidebar(screen)
        return all(text in side for text in texts)

    check.__name__ = f"sidebar showing {texts!r}"
    return check


def verdict_is(label: str) -> Callable[[str], bool]:
    def check(screen: str) -> bool:
        return f"Verdict {label} Tags" in sidebar(screen)

    check.__name__ = f"verdict {label!r}"
    return check


def review_done(count: int, total: int) -> Callable[[str], bool]:
    def check(screen: str) -> bool:
        return f"{count}/{total} done" in screen

    check.__name__ = f"{count}/{total} done"
    return check


def form_values(screen: str) -> dict[str, str]:
    """The Train form's visible fields: label -> the value in the input box two lines below it."""
    lines = [line[:FORM_WIDTH].rstrip() for line in screen.splitlines()]
    values = {}
    for index, line in enumerate(lines[:-2]):
        label = line.strip(" \u2502")
        box = lines[index + 2].strip()
        if label and box.startswith("\u258a") and not label.startswith("\u258a"):
            values[label] = box.strip("\u258a\u258e\u2502 ").strip()
    return values


BOX_EDGE = re.compile(r"((?:\x1b\[[0-9;]*m)*)\u258a")  # the tall left edge of an input box, with its style


def focused_field(styled_screen: str) -> str:
    """The label of the Train form's field that has the focus ("" if none can be told).

    Plain text cannot show the focus; the focused box's left edge is drawn in the accent
    colour, so among the form's box edges it is the style that the fewest lines share.
    """
    edges: dict[str, list[int]] = {}
    plain = [ANSI_ESCAPE.sub("", line) for line in styled_screen.splitlines()]
    for row, line in enumerate(styled_screen.splitlines()):
        found = BOX_EDGE.search(line)
        if found and plain[row].lstrip().startswith("\u258a") and plain[row].index("\u258a") < 3:
            edges.setdefault(found.group(1), []).append(row)
    if len(edges) < 2:
        return ""
    rows = min(edges.values(), key=len)
    value_rows = [row for row in rows if not plain[row].strip()[1:2] in ("\u2594", "\u2581")]
    if not value_rows or value_rows[0] < 2:
        return ""
    return plain[value_rows[0] - 2][:FORM_WIDTH].strip(" \u2502")


def focus_is(label: str) -> Callable[[str], bool]:
    def check(styled_screen: str) -> bool:
        return focused_field(styled_screen) == label

    check.__name__ = f"the focus on {label!r}"
    return check


def form_shows(label: str, value: str) -> Callable[[str], bool]:
    def check(screen: str) -> bool:
        return form_values(screen).get(label) == value

    return check


def card_header(screen: str) -> tuple[int, str]:
    """The example id and status of the review card on screen."""
    found = re.search(r"#(\d+)\s+\d+/\d+\s+(pending|accepted|rejected|skipped)", screen)
    assert found, f"no review card on the screen:\n{screen}"
    return int(found.group(1)), found.group(2)


def open_database_when_released(db_path: Path, timeout: float = 30.0):
    """The app holds an exclusive lock until its process ends: wait for it."""
    from store import Database, StoreLockedError

    deadline = time.monotonic() + timeout
    while True:
        try:
            return Database(db_path)
        except StoreLockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


IN_SIDEBAR = "Back to the text"  # the footer while the focus is in the tagging sidebar
IN_TEXT = "v Mark"  # the footer while the focus is on the book's text


def focus_sidebar(tmux: TmuxSession, key: str) -> None:
    """Press a key that moves the focus into the sidebar and wait until it is there."""
    tmux.send(key)
    tmux.wait_for(IN_SIDEBAR, what=f"the sidebar focused by {key!r}")


def back_to_text(tmux: TmuxSession) -> None:
    """Escape out of the sidebar and wait for the text to have the focus.

    Waiting matters: a key sent right after Escape may reach a busy app in the same read and
    be taken for alt+key.
    """
    tmux.send("Escape")
    tmux.wait_for(lambda screen: IN_TEXT in screen and IN_SIDEBAR not in screen, what="the text focused again")


def make_passage(tmux: TmuxSession, number: int, spec: dict) -> None:
    """Search for the passage's words, mark the sentences, make the passage, tag it."""
    tmux.send("/")
    tmux.wait_for("Search the book")
    tmux.type(spec["search"])
    tmux.send("Enter")
    tmux.wait_for("1 match for")
    tmux.wait_gone("Search the book")
    tmux.send("v", *([")"] * spec["sentences"]), "Enter")
    tmux.wait_for(f"Passage {number} created")
    tmux.wait_for(sidebar_has(f"Passage {number} (", spec["search"]))

    tmux.send(spec["verdict_key"])
    tmux.wait_for(verdict_is(spec["verdict"]))

    focus_sidebar(tmux, "t")
    typed = spec["tag_typed"]
    if typed.endswith("\t"):  # type a prefix and let Tab complete it from the tags already used
        tmux.type(typed[:-1])
        time.sleep(0.3)
        tmux.send("Tab")
    else:
        tmux.type(typed)
    time.sleep(0.2)
    tmux.send("Enter")
    tmux.wait_for(sidebar_has(f"#{spec['tag']}"))
    back_to_text(tmux)

    focus_sidebar(tmux, "T")  # the template list, its first row highlighted (so Space alone picks it)
    if spec["template_row"]:
        tmux.send("Home", *(["Down"] * spec["template_row"]))
    tmux.wait_for(sidebar_has(spec["hint"]))
    tmux.send("space")
    time.sleep(0.3)
    back_to_text(tmux)


def test_the_whole_loop_by_keyboard(tmp_path, corpus, tiny_model, fake_anthropic):
    project = tmp_path / "project"
    write_settings(project, fake_anthropic.base_url, tiny_model)
    env = {"ANTHROPIC_API_KEY": fake_anthropic.api_key, "MLX_DISABLE_COMPILE": "1", "PYTHONPATH": str(REPO),
           "INTERIORITY_HOME": str(tmp_path / "home")}
    command = f"unset ANTHROPIC_BASE_URL; {sys.executable} -m core --project {project}"
    started = time.monotonic()
    tmux = TmuxSession.start(command, size=(140, 45), cwd=REPO, env=env, keep_open_s=5)
    try:
        # ---- Library: the first-run steps, then the import ---------------------------------------
        screen = tmux.wait_for("Import a file:", timeout=30)
        assert "Import a book" in screen  # the first step a newcomer is told to take
        time.sleep(0.5)  # let the empty library draw; `i` (as the first step says) focuses the path box
        tmux.send("i")
        tmux.type(str(corpus / BOOK))
        tmux.send("Enter")
        screen = tmux.wait_for_all(["Imported", "Notes from the Underground", "Dostoevsky"], timeout=30)
        # title, author, strong suggestions (a count, or "…" while counting), passages, examples, accepted, chapters, size
        assert re.search(r"Notes from the Underground\s+Feodor Dostoevsky\s+\S+\s+0\s+0\s+0\s+\d+\s+\S+ chars", screen), screen

        # ---- Reader: three passages, each with a verdict, a tag and a template --------------------
        tmux.send("Enter")
        tmux.wait_for_all(["Phenomenology", "I am a sick man"], timeout=30)
        for number, spec in enumerate(PASSAGES, start=1):
            make_passage(tmux, number, spec)
        focus_sidebar(tmux, "p")  # a phenomenology for the last passage, saved as typed
        tmux.type("weariness")
        time.sleep(0.3)
        back_to_text(tmux)

        # ---- Queue: enqueue the passages' jobs and run them against the fake server ---------------
        tmux.send("3")
        tmux.wait_for("Teacher: anthropic:claude-sonnet-4-6", timeout=30)
        tmux.send("e")
        jobs = len(PASSAGES) * SAMPLES
        tmux.wait_for(f"Enqueued {jobs} new jobs from {len(PASSAGES)} passages")
        tmux.wait_for(f"pending {jobs}")
        tmux.send("g")
        screen = tmux.wait_for(lambda s: "stopped (done)" in s and f"done {jobs}" in s, timeout=60,
                               what="the queue run finished")
        assert "failed 0" in screen
        assert f"{jobs}/{jobs}" in screen
        assert re.search(r"Cost\s+\$0\.\d+ so far", screen)
        assert len(fake_anthropic.message_requests()) == jobs

        # ---- Review: careful start, accept, reject with a reason, edit + save, undo ---------------
        tmux.send("4")
        screen = tmux.wait_for(review_done(0, jobs), timeout=30)
        assert "careful start" in screen
        assert card_header(screen)[1] == "pending"
        time.sleep(0.5)  # the careful start refuses an accept before careful_pause_s on the card
        tmux.send("a")
        screen = tmux.wait_for(review_done(1, jobs))
        rejected, _ = card_header(screen)
        time.sleep(0.5)
        tmux.send("r")
        tmux.wait_for(f"Reject example #{rejected} because")
        tmux.send("1")  # formulaic
        # The careful start is over: the studio asks which failure patterns the teacher showed.
        tmux.wait_for("You have finished the careful start", timeout=15)
        time.sleep(0.3)
        tmux.type("opens with the kettle")
        tmux.send("Enter")
        screen = tmux.wait_for("Noted")
        assert review_done(2, jobs)(screen)

        edited, _ = card_header(screen)
        tmux.send("e")
        tmux.wait_for("Save edit")
        time.sleep(0.3)
        tmux.type(EDIT_PREFIX)
        tmux.send("C-s")
        screen = tmux.wait_for(f"Saved your edit of #{edited}")
        assert EDIT_PREFIX.strip() in screen and "edited" in screen
        tmux.send("a")
        screen = tmux.wait_for(review_done(3, jobs))
        undone, _ = card_header(screen)
        tmux.send("a")
        tmux.wait_for(review_done(4, jobs))
        tmux.send("u")
        screen = tmux.wait_for(f"Undid accept of example {undone}")
        assert review_done(3, jobs)(screen)
        assert card_header(screen) == (undone, "pending")
        for done in range(4, jobs + 1):
            tmux.send("a")
            tmux.wait_for(review_done(done, jobs))
        accepted = jobs - 1

        # ---- Build: preview shows the accepted examples, F8 builds ------------------------------
        tmux.send("5")
        tmux.wait_for(lambda s: re.search(rf"Feodor Dostoevsky\s+100\.0%\s+{accepted}\s+{accepted}/{accepted}", s)
                      is not None, timeout=30, what="the preview of the mix")
        tmux.send("F8")
        screen = tmux.wait_for("Built build-1", timeout=60)
        built = int(re.search(r"Built build-1 in [\d.]+ s: all: (\d+) examples", screen).group(1))
        assert 3 <= built <= accepted
        assert "Card of build-1" in screen

        # ---- Train: the tiny model for a few iterations, then the evaluation ---------------------
        tmux.send("6")
        tmux.wait_for(lambda s: "build-1" in s and "llama, 2 layers" in s, timeout=30,
                      what="the train form with the build and the model")
        # No field has the focus on arrival (digits switch screens); Tab walks the form: build, model,
        # method, then the numeric fields in order.  Tab until the first numeric field, as a person would.
        for _press in range(8):
            tmux.send("Tab")
            try:
                tmux.wait_for(focus_is(TRAIN_FORM[0][0]), styled=True, timeout=1.5)
                break
            except ScreenTimeout:
                continue
        for index, (label, value) in enumerate(TRAIN_FORM):
            if index:
                tmux.send("Tab")
            tmux.wait_for(focus_is(label), styled=True)
            if value is not None:
                tmux.send("C-a", "C-k")
                # ctrl+a / ctrl+k are bindings, run after the key has been offered to the input; a
                # digit sent right behind them can be inserted first and then deleted with the rest.
                tmux.wait_for(form_shows(label, ""), what=f"{label} emptied")
                tmux.type(value)
                tmux.wait_for(form_shows(label, value), what=f"{label} = {value}")
        tmux.send("F5")
        screen = tmux.wait_for(lambda s: re.search(r"build-1\s+done\s+iteration 6/6", s) is not None,
                               timeout=120, what="the run done at iteration 6/6")
        assert re.search(r"loss \d+\.\d+\s+val \d+\.\d+", screen), screen
        tmux.send("F8")
        screen = tmux.wait_for("Checklist", timeout=120)
        assert "Test loss on" in screen and "tuned" in screen

        # ---- Quit -------------------------------------------------------------------------------
        tmux.send("C-q")
        screen = tmux.wait_for("[exited", timeout=30)
        assert "[exited 0]" in screen
    finally:
        tmux.kill()
    elapsed = time.monotonic() - started

    # ---- What the loop left in the project ----------------------------------------------------
    db = open_database_when_released(project / "db")
    try:
        books = db.books.all()
        assert [b.title for b in books] == ["Notes from the Underground"]
        passages = sorted(db.passages.all(), key=lambda p: p.id)
        assert len(passages) == len(PASSAGES)
        for passage, spec in zip(passages, PASSAGES):
            assert passage.text.startswith(spec["search"])
            assert passage.verdict == spec["verdict"]
            assert passage.tags == [spec["tag"]]
            assert passage.template_ids == [spec["template"]]
        assert passages[-1].phenomenology == "weariness"

        jobs_stored = db.jobs.all()
        assert len(jobs_stored) == jobs and all(job.status == "done" for job in jobs_stored)
        examples = {example.id: example for example in db.examples.all()}
        assert len(examples) == jobs
        decisions = db.decisions.all()
        actions = [d.action for d in decisions if d.example_id is not None and d.action]
        for action in ("accept", "reject", "edit", "undo"):
            assert action in actions, f"no {action} decision in {actions}"
        assert any(d.action == "reject" and d.reason == "formulaic" and d.example_id == rejected for d in decisions)
        edit = next(d for d in decisions if d.action == "edit")
        # The edit is of the student conversation (every turn is editable); the teacher's original is kept.
        assert edit.example_id == edited
        assert any(EDIT_PREFIX.strip() in turn["content"] for turn in edit.edited_student)
        assert not any(EDIT_PREFIX.strip() in turn["content"] for turn in examples[edited].student)
        assert any(EDIT_PREFIX.strip() in turn["content"] for turn in examples[edited].final_student)
        teacher_system = examples[edited].messages[0]["content"]
        runs = db.runs.all()
        assert len(runs) == 1 and runs[0].status == "done" and runs[0].iteration == 6
        assert runs[0].evaluation.get("tuned"), "the evaluation was not stored with the run"
        run = runs[0]
    finally:
        db.close()

    exports = project / "exports" / "build-1"
    card = json.loads((exports / "card.json").read_text(encoding="utf-8"))
    assert (exports / "README.md").is_file()
    train_rows = (exports / "mlx-chat" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert train_rows and all(json.loads(row)["messages"] for row in train_rows)
    for row in train_rows:  # student conversations only: never the teacher's request
        assert "<passage>" not in row and teacher_system[:200] not in row
        assert json.loads(row)["messages"][0]["role"] == "user"
    split_files = [exports / "mlx-chat" / f"{split}.jsonl" for split in ("train", "valid", "test")]
    rows_in_splits = sum(len(path.read_text(encoding="utf-8").splitlines()) for path in split_files if path.exists())
    assert rows_in_splits == built
    assert json.dumps(card)  # a card that reads back as JSON
    run_dir = project / "runs" / run.name
    assert run_dir.is_dir() and any(run_dir.rglob("*.safetensors"))
    assert (run_dir / "evaluation.json").is_file()
    assert elapsed < 240, f"the loop took {elapsed:.0f} s"
