"""Templates: seeded once, versioned by content, validated with errors that name the file."""

from __future__ import annotations

import json

import pytest

from core.cli import main
from core.templates import (FIELDS, TemplateError, load_templates, render, render_prompt, seed_templates,
                            template_from_version)
from store.records import Book, Passage

METHOD = ["monologue", "conversation", "meta-awareness", "continuity", "uncertainty", "desire-resistance"]


def test_the_six_templates_are_seeded_in_order(project):
    templates = load_templates(project)
    assert [t.id for t in templates] == METHOD
    for t in templates:
        assert "{passage}" in t.body and t.use_when and t.avoid_when
        assert any("As I reflect on" in a for a in t.avoid) and any("I find myself" in a for a in t.avoid)
        assert t.system.startswith("You write training material"), "the shared system prompt is used"
        assert len(t.version) == 12 and t.path.parent == project.templates_dir
    assert (project.templates_dir / "_system.md").exists()


def test_seeding_never_overwrites_user_files(project):
    load_templates(project)
    path = project.templates_dir / "01-monologue.md"
    edited = path.read_text().replace("Task: a direct inner monologue.", "Task: my own wording.")
    path.write_text(edited)
    (project.templates_dir / "02-conversation.md").unlink()
    assert seed_templates(project.templates_dir) == []
    templates = load_templates(project)
    assert path.read_text() == edited
    assert "conversation" not in [t.id for t in templates]  # a deleted seed stays deleted


def test_version_changes_on_edit_and_each_version_is_remembered(project, db):
    before = {t.id: t.version for t in load_templates(project, db)}
    path = project.templates_dir / "03-meta-awareness.md"
    path.write_text(path.read_text() + "\nOne more line of guidance.\n")
    after = {t.id: t.version for t in load_templates(project, db)}
    assert after["meta-awareness"] != before["meta-awareness"]
    assert all(after[k] == before[k] for k in before if k != "meta-awareness")
    versions = {v.version for v in db.templates.where_eq(template_id="meta-awareness")}
    assert versions == {before["meta-awareness"], after["meta-awareness"]}
    old = template_from_version(db, "meta-awareness", before["meta-awareness"])
    assert old is not None and old.version == before["meta-awareness"] and "One more line" not in old.body


def test_editing_the_shared_system_prompt_changes_every_version(project):
    before = {t.id: t.version for t in load_templates(project)}
    system = project.templates_dir / "_system.md"
    system.write_text(system.read_text() + "\nAlways write in British English.\n")
    after = {t.id: t.version for t in load_templates(project)}
    assert all(after[k] != before[k] for k in before)


@pytest.mark.parametrize("front, body, expected", [
    ('id = "x"\nname = "X"\nuse_when = "a"\navoid_when = "b"\n', "No passage here.", "has no {passage}"),
    ('id = "x"\nname = "X"\nuse_when = "a"\navoid_when = "b\n', "{passage}", "not valid TOML"),
    ('id = "x"\nname = "X"\nuse_when = "a"\navoid_when = "b"\n', "{passage} {pasage}", "unknown placeholder {pasage}"),
    ('id = "Bad Id"\nname = "X"\nuse_when = "a"\navoid_when = "b"\n', "{passage}", "must be lowercase"),
    ('id = "x"\nname = "X"\nuse_when = "a"\n', "{passage}", "needs avoid_when"),
    ('id = "x"\nname = "X"\nuse_when = "a"\navoid_when = "b"\navoid = "one"\n', "{passage}", "avoid must be a list"),
    ('id = "x"\nname = "X"\nuse_when = "a"\navoid_when = "b"\ncolour = 1\n', "{passage}", "unknown front matter key colour"),
])
def test_bad_templates_are_rejected_naming_the_file(project, front, body, expected):
    load_templates(project)
    path = project.templates_dir / "09-mine.md"
    path.write_text(f"+++\n{front}+++\n{body}\n")
    with pytest.raises(TemplateError) as info:
        load_templates(project)
    assert str(path) in str(info.value) and expected in str(info.value)


def test_missing_front_matter_and_duplicate_ids(project):
    load_templates(project)
    path = project.templates_dir / "09-mine.md"
    path.write_text("Just a body with {passage}\n")
    with pytest.raises(TemplateError, match="starts with a line"):
        load_templates(project)
    path.write_text((project.templates_dir / "01-monologue.md").read_text())
    with pytest.raises(TemplateError, match="already used"):
        load_templates(project)


def test_render_fills_fields_and_keeps_a_static_cacheable_prefix(project):
    template = load_templates(project)[0]
    book = Book(title="War and Peace", author="Leo Tolstoy")
    first = Passage(text="The sky, the high sky.", tags=["awe", "war"], phenomenology="vastness", note="so quiet")
    second = Passage(text="Something else entirely.", tags=[])
    system, user = render(template, first, book)
    assert "The sky, the high sky." in user and "awe, war" in user and "vastness" in user and "so quiet" in user
    assert "War and Peace by Leo Tolstoy" in user and "{" not in user.replace("{{", "")
    assert "As I reflect on" in system and "You write training material" in system
    a, b = render_prompt(template, first, book), render_prompt(template, second, None)
    assert a.system_parts == b.system_parts and a.user_parts[0] == b.user_parts[0]
    assert "Something else entirely." in b.user_parts[-1] and "(none)" in b.user
    assert set(FIELDS) >= {"passage", "tags", "phenomenology", "note", "book", "author"}


def test_templates_command_json(project, capsys):
    assert main(["templates", "--project", str(project.root), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in listed] == METHOD and all(len(t["version"]) == 12 for t in listed)
    assert main(["templates", "--project", str(project.root)]) == 0
    assert "Direct inner monologue" in capsys.readouterr().out


def test_each_seed_declares_its_student_shape_and_guidance(project):
    templates = load_templates(project)
    assert [t.student_shape for t in templates] == ["single", "conversation", "single", "continuity", "single",
                                                    "single"]
    for t in templates:
        assert len(t.student_guidance) > 80 and not t.shape_note
        system, user = render(t, Passage(text="The sky, the high sky."), None)
        assert "record_student_conversation" in system and '{"turns":' in system
        assert "under 60 words" in system and "eight or more of its words" in system
        # the teacher is told never to name the exercise in a user turn
        assert "Never mention books, passages, authors" in system
    assert "two to four user turns" in render(templates[3], Passage(text="x"), None)[0]


def test_a_template_without_a_shape_defaults_to_single_with_a_note(project):
    load_templates(project)
    path = project.templates_dir / "09-mine.md"
    path.write_text('+++\nid = "mine"\nname = "Mine"\nuse_when = "a"\navoid_when = "b"\n+++\n{passage}\n')
    mine = {t.id: t for t in load_templates(project)}["mine"]
    assert mine.student_shape == "single" and str(path) in mine.shape_note and '"single"' in mine.shape_note
    assert mine.to_json()["student_shape"] == "single"


@pytest.mark.parametrize("value", ['"dialogue"', "3", '""'])
def test_an_unknown_shape_is_refused_naming_the_file(project, value):
    load_templates(project)
    path = project.templates_dir / "09-mine.md"
    path.write_text(f'+++\nid = "mine"\nname = "Mine"\nuse_when = "a"\navoid_when = "b"\n'
                    f'student_shape = {value}\n+++\n{{passage}}\n')
    with pytest.raises(TemplateError) as info:
        load_templates(project)
    assert str(path) in str(info.value) and "single, conversation, continuity" in str(info.value)
