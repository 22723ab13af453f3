"""The planner starts from a build's real token count (issue 18): `tokens_from_build` and `interiority plan --build`.

Builds here are real ones (`build_dataset` over synthetic accepted examples), so the card read is the card the
builder writes; the figure must be the train split's whole token count of the chosen stage.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.cli import main
from core.errors import UserError
from core.planner import build_choices, build_tokens, tokens_from_build
from core.planner.dataset_tokens import ESTIMATE_NOTE, NO_COUNTS_NOTE, card_tokens
from tests.dataset.synthetic import add_book


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _card(project, name: str) -> dict:
    return json.loads((project.exports / name / "card.json").read_text(encoding="utf-8"))


def _train_tokens(card: dict, size) -> int:
    stage = next(s for s in card["stages"] if s["size"] == size)
    return stage["stats"]["tokens"]["by_split"]["train"]


@pytest.fixture
def staged(project, db) -> str:
    from core.dataset import BuildSpec, build_dataset

    add_book(db, "War and Peace", "Leo Tolstoy", passages=20, per_passage=3)
    build_dataset(project, db, BuildSpec(name="staged", stages=[20, 40], mix="balanced", formats="mlx-chat"))
    return "staged"


def test_a_staged_build_gives_its_largest_stage_train_tokens(project, staged):
    card = _card(project, staged)
    found = tokens_from_build(project, staged)
    train = _train_tokens(card, 40)
    assert found.label == "staged" and found.tokens == train > 0
    # The train split only: less than the stage's total (valid and test rows are evaluated, not trained on).
    assert found.all_splits == next(s for s in card["stages"] if s["size"] == 40)["stats"]["tokens"]["total"]
    assert found.tokens < found.all_splits
    assert found.note == f"staged: {train:,} tokens (train split, {ESTIMATE_NOTE})"
    assert 0 < found.answer_share < 1
    small = tokens_from_build(project, "staged/stage-20")
    assert small.label == "staged/stage-20" and small.tokens == _train_tokens(card, 20) < found.tokens
    # The folder-based entry point (scale-out, the evaluation's next step) reads the same number.
    assert build_tokens(project.exports / staged) == (train, card["stages"][0]["stats"]["tokens"]["method"])
    assert build_choices(project) == ["staged/stage-40", "staged/stage-20"]


def test_cli_plan_and_progressive_from_a_build(project, staged, capsys):
    train = _train_tokens(_card(project, staged), 40)
    code, out, _ = _run(capsys, "plan", "--project", str(project.root), "--model", "llama-3.1-8b", "--device",
                        "h100", "--build", staged, "--epochs", "2", "--json")
    data = json.loads(out)
    assert code == 0 and data["tokens"] == train and data["dataset"]["split"] == "train"
    assert data["tokens_counted"] == f"staged: {train:,} tokens (train split, {ESTIMATE_NOTE})"
    code, out, _ = _run(capsys, "plan", "--project", str(project.root), "--model", "llama-3.1-8b", "--device",
                        "h100", "--build", staged)
    assert code == 0 and f"dataset: staged: {train:,} tokens (train split, {ESTIMATE_NOTE}) x 1 epochs" in out
    small = _train_tokens(_card(project, staged), 20)
    code, out, _ = _run(capsys, "plan", "--project", str(project.root), "--progressive", "--build",
                        "staged/stage-20", "--home", "m3-ultra-512")
    assert code == 0 and f"Dataset: staged/stage-20: {small:,} tokens (train split, {ESTIMATE_NOTE})" in out
    code, out, _ = _run(capsys, "plan", "--project", str(project.root), "--model", "llama-3.1-8b", "--device",
                        "h100", "--tokens", "3000000")
    assert code == 0 and "dataset: 3,000,000 tokens (given with --tokens) x 1 epochs" in out


def test_cli_build_errors_are_sentences(project, staged, capsys):
    root = str(project.root)
    code, _, err = _run(capsys, "plan", "--project", root, "--model", "llama-3.1-8b", "--device", "h100",
                        "--build", "nope")
    assert code == 2 and "No dataset build named 'nope'" in err and "Builds here: staged" in err
    code, _, err = _run(capsys, "plan", "--project", root, "--progressive", "--build", "staged/stage-7")
    assert code == 2 and "has no stage-7" in err and "staged/stage-20" in err
    code, _, err = _run(capsys, "plan", "--project", root, "--progressive", "--build", "staged/latest")
    assert code == 2 and "NAME/stage-N" in err
    code, _, err = _run(capsys, "plan", "--project", root, "--progressive", "--build", "../outside")
    assert code == 2 and "names no build stage" in err
    code, _, err = _run(capsys, "plan", "--project", root, "--progressive", "--build", "..")
    assert code == 2 and "not a plain name" in err
    code, _, err = _run(capsys, "plan", "--project", root, "--progressive", "--build", staged, "--tokens", "5")
    assert code == 2 and "either --tokens or --build" in err


def test_a_tokenizer_count_names_the_tokenizer():
    card = {"stages": [{"size": None, "path": ".", "stats": {
        "tokens": {"method": "tokenizer of /models/Qwen2.5-7B-Instruct (chat template applied)", "exact": True,
                   "by_split": {"train": 412_300, "valid": 20_000, "test": 0}, "total": 432_300},
        "conversation": {"tokens": {"answer_share": 0.71}}}}]}
    found = card_tokens(card, "build-1")
    assert found is not None and found.exact and found.answer_share == 0.71
    assert found.note == "build-1: 412,300 tokens (train split, tokenizer of Qwen2.5-7B-Instruct)"


def test_a_card_without_counts_is_estimated_from_the_train_rows(project):
    folder = project.exports / "old"
    (folder / "mlx-chat").mkdir(parents=True)
    (folder / "mlx-chat" / "train.jsonl").write_text("x" * 4000)
    (folder / "card.json").write_text(json.dumps({"name": "old", "stages": [{"path": ".", "stats": {}}]}))
    found = tokens_from_build(project, "old")
    assert found.tokens == 1000 and found.method == NO_COUNTS_NOTE and not found.exact
    # A card that points its stage outside the build is not followed.
    (folder / "card.json").write_text(json.dumps({"stages": [{"path": "../../..", "stats": {}}]}))
    with pytest.raises(UserError, match="has no token counts"):
        tokens_from_build(project, "old")


_json = st.recursive(st.none() | st.booleans() | st.integers(-10, 10**7) | st.floats(allow_nan=True)
                     | st.text(max_size=12),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                 max_size=4), max_leaves=20)
_stage = st.fixed_dictionaries({}, optional={
    "size": st.none() | st.integers(-5, 500) | st.booleans() | st.text(max_size=4),
    "path": st.text(max_size=12),
    "stats": _json | st.fixed_dictionaries({"tokens": _json | st.fixed_dictionaries({}, optional={
        "by_split": _json | st.fixed_dictionaries({}, optional={"train": _json}),
        "method": _json, "total": _json, "exact": _json})})})
_cards = st.fixed_dictionaries({}, optional={"staged": _json, "stages": _json | st.lists(_stage | _json, max_size=4)})


@settings(max_examples=300, deadline=None)
@given(card=_cards, stage=st.none() | st.integers(-5, 500))
def test_card_tokens_reads_any_card_without_crashing(card, stage):
    """A card is outside input (hand-edited, older, truncated): a count or None, never an exception."""
    found = card_tokens(card, "b", stage)
    if found is not None:
        assert isinstance(found.tokens, int) and found.tokens >= 0 and found.note.startswith("b: ")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=40) | st.from_regex(r"staged/stage-[0-9]{1,14}", fullmatch=True)
       | st.sampled_from(["staged", "staged/stage-20", "staged/stage-40", " staged/stage-20 ", "staged/stage-020"]))
def test_any_build_name_is_a_count_or_one_sentence(project, staged, name):
    """What a person types after --build: a count for a real build or stage, else a UserError (no traceback)."""
    try:
        found = tokens_from_build(project, name)
    except UserError as exc:
        assert str(exc).endswith((".", ")")) and "\n" not in str(exc)
    else:
        assert found.label in ("staged", "staged/stage-20", "staged/stage-40") and found.tokens > 0
