"""Every export format read back; mlx-lm formats through mlx-lm's loader and a real tokenizer."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest

from core.dataset import BuildSpec, GeneralDataError, build_dataset, load_general
from core.dataset.formats import ALL_FORMATS
from core.dataset.split import SPLITS
from core.dataset.validate import ExportValidationError, check_structure
from tests.dataset.synthetic import add_book


def rows(folder: Path) -> list[dict]:
    out = []
    for split in SPLITS:
        path = folder / f"{split}.jsonl"
        if path.exists():
            out += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return out


def test_every_format_with_the_tiny_model_tokenizer(project, db, tiny_model: Path) -> None:
    add_book(db, "War and Peace", "Leo Tolstoy", passages=12, per_passage=2, edited_every=3)
    add_book(db, "Swann's Way", "Marcel Proust", passages=12, per_passage=2)
    persona = "You are someone who notices small things and says what is on your mind."
    result = build_dataset(project, db, BuildSpec(name="all", formats=("all",), tokenizer_model=str(tiny_model),
                                                  near_dedup=False, persona=persona))
    stage = result.card["stages"][0]
    total = stage["stats"]["examples"]
    assert total == 48
    for fmt in ALL_FORMATS:
        assert (result.path / fmt / "train.jsonl").exists(), fmt
        report = stage["formats"][fmt]
        assert report["structure"] == "ok"
        expected = 8 if fmt == "dpo" else total  # every third War and Peace example is edited
        assert sum(report["rows"].values()) == expected == len(rows(result.path / fmt)), fmt
    tokens = stage["stats"]["tokens"]
    assert tokens["exact"] is True and str(tiny_model) in tokens["method"]
    chat_tokens = stage["formats"]["mlx-chat"]["mlx_lm"]["tokens"]
    assert chat_tokens == tokens["by_split"]  # the card counts what mlx-lm will train on
    # Read back independently with mlx-lm's own loader and the tokenizer.
    from mlx_lm.tuner.datasets import load_local_dataset
    from mlx_lm.utils import load_tokenizer

    tokenizer = load_tokenizer(tiny_model)
    for fmt, cls in (("mlx-chat", "ChatDataset"), ("mlx-completions", "CompletionsDataset"),
                     ("mlx-text", "TextDataset")):
        train, valid, test = load_local_dataset(result.path / fmt, tokenizer, types.SimpleNamespace())
        assert type(train).__name__ == cls
        assert len(train) + len(valid) + len(test) == total
        ids, offset = train.process(train[0])
        assert len(ids) > 10 and offset == 0
    sharegpt = rows(result.path / "sharegpt")[0]["conversations"]
    assert [m["from"] for m in sharegpt] == ["system", "human", "gpt"]
    alpaca = rows(result.path / "alpaca")[0]
    assert set(alpaca) == {"instruction", "input", "output", "system"}
    assert rows(result.path / "openai")[0]["messages"][0] == {"role": "system", "content": persona}
    assert alpaca["system"] == persona
    plain = build_dataset(project, db, BuildSpec(name="plain", formats=("mlx-chat", "sharegpt"), near_dedup=False))
    assert all(r["messages"][0]["role"] == "user" for r in rows(plain.path / "mlx-chat"))  # no persona: no system turn
    assert [m["from"] for m in rows(plain.path / "sharegpt")[0]["conversations"]] == ["human", "gpt"]
    assert "alpaca/train.jsonl" in (result.path / "axolotl.yaml").read_text()
    assert "tokenizer of" in (result.path / "README.md").read_text()


def test_structure_check_names_the_bad_line(tmp_path: Path) -> None:
    folder = tmp_path / "mlx-chat"
    folder.mkdir()
    good = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "there"}]}
    bad = {"messages": [{"role": "user", "content": "hi"}]}
    (folder / "train.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(ExportValidationError, match=r"train.jsonl line 2 is not a mlx-chat row"):
        check_structure("mlx-chat", folder, {"train": 2})
    (folder / "train.jsonl").write_text(json.dumps(good) + "\n", encoding="utf-8")
    with pytest.raises(ExportValidationError, match="holds 1 rows, but 3 were written"):
        check_structure("mlx-chat", folder, {"train": 3})


@pytest.mark.parametrize("lines, message", [
    (['{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}', "{not json"],
     r"line 2: not JSON"),
    (['{"prompt": "a", "completion": "b"}', '', '{"instruction": "x", "output": "y"}'],
     r"line 3: expected a completions row like the first row, got alpaca"),
    (['{"text": "just text"}'], r"line 1: cannot tell the format"),
    (['{"messages": [{"role": "user", "content": "a"}, {"role": "robot", "content": "b"}]}'],
     r"line 1: message 2 has role 'robot'"),
    (['{"messages": [{"role": "user", "content": "a"}]}'], r"line 1: the last message must be a non-empty assistant"),
    (['{"instruction": "x", "output": 5}'], r"line 1: \"output\" must be a string"),
    ([], r"is empty"),
])
def test_bad_general_data_names_file_and_line(tmp_path: Path, lines: list[str], message: str) -> None:
    path = tmp_path / "general.jsonl"
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    with pytest.raises(GeneralDataError, match=message) as info:
        load_general(path)
    assert str(path) in str(info.value)


def test_general_formats_are_detected(tmp_path: Path) -> None:
    cases = {
        "chat": {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                              {"role": "assistant", "content": "a"}]},
        "sharegpt": {"conversations": [{"from": "human", "value": "u"}, {"from": "gpt", "value": "a"}]},
        "alpaca": {"instruction": "u", "input": "more", "output": "a"},
        "completions": {"prompt": "u", "completion": "a"},
    }
    for fmt, row in cases.items():
        path = tmp_path / f"{fmt}.jsonl"
        path.write_text(json.dumps(row) + "\n", encoding="utf-8")
        detected, items = load_general(path)
        assert detected == fmt
        assert items[0].messages[-1] == {"role": "assistant", "content": "a"}
        assert items[0].source == "general" and items[0].key == -1
    assert load_general(tmp_path / "alpaca.jsonl")[1][0].messages[0]["content"] == "u\n\nmore"
    with pytest.raises(GeneralDataError, match="No general-data file at"):
        load_general(tmp_path / "nope.jsonl")
