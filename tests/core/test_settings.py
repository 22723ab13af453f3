"""interiority.toml: defaults, validation errors that name the key, the project folder."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from core.errors import ProjectError, SettingsError
from core.project import SUBFOLDERS, default_project_path, open_project, resolve_project_path
from core.settings import DEFAULT_TOML, Settings, load_settings, settings_from_dict


def test_the_default_file_parses_to_the_defaults() -> None:
    parsed = settings_from_dict(tomllib.loads(DEFAULT_TOML))
    defaults = Settings()
    assert parsed.teacher == defaults.teacher
    assert parsed.queue == defaults.queue
    assert parsed.review == defaults.review
    assert parsed.quality == defaults.quality
    assert parsed.dataset == defaults.dataset


@pytest.mark.parametrize("toml, message", [
    ("[queue]\nconcurrency = 0", "queue.concurrency must be between 1 and 512"),
    ("[queue]\nconcurrency = 'many'", "queue.concurrency must be a whole number"),
    ("[teacher]\nprovider = 'openai'", "teacher.provider must be one of anthropic, mlx"),
    ("[teacher]\nmodle = 'x'", "unknown setting teacher.modle"),
    ("[bogus]\nx = 1", "unknown section [bogus]"),
    ("[review]\nreject_reasons = [1, 2]", "review.reject_reasons must be a list of strings"),
    ("[prices.'my-model']\ninput = 1.0", "prices.my-model lacks output"),
    ("[prices.'claude-sonnet-4-5']\ninput = -1.0", "must not be negative"),
    ("[keymap]\n'reader.search' = 3", "[keymap] maps binding ids to keys"),
    ("[dataset]\nvalid_ratio = 0.5\ntest_ratio = 0.45", "must leave room for training"),
])
def test_bad_values_name_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "interiority.toml"
    path.write_text(toml)
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_invalid_toml_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "interiority.toml"
    path.write_text("[queue\nconcurrency = 3")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(path)


def test_ints_are_accepted_for_floats_and_prices_merge(tmp_path: Path) -> None:
    path = tmp_path / "interiority.toml"
    path.write_text("[queue]\nbudget_usd = 5\n[prices.'claude-sonnet-4-5']\noutput = 16\n[keymap]\n'reader.search' = 'ctrl+f'\n")
    settings = load_settings(path)
    assert settings.queue.budget_usd == 5.0
    assert settings.price_for("claude-sonnet-4-5") == {"input": 3.0, "output": 16.0, "cache_write": 3.75, "cache_read": 0.3}
    assert settings.price_for("claude-sonnet-4-5-20250929")["output"] == 16.0
    assert settings.price_for("unknown-model")["output"] == max(r["output"] for r in settings.prices.values())
    assert settings.keymap == {"reader.search": "ctrl+f"}


def test_open_project_creates_the_layout(tmp_path: Path) -> None:
    project = open_project(tmp_path / "p")
    for name in SUBFOLDERS:
        assert (project.root / name).is_dir()
    assert project.settings_path.read_text() == DEFAULT_TOML
    project.settings_path.write_text("[reader]\nmeasure = 80\n")
    assert open_project(tmp_path / "p").settings.reader.measure == 80


def test_project_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_project_path(str(tmp_path / "x")) == (tmp_path / "x").resolve()
    (tmp_path / "interiority.toml").write_text("")
    assert resolve_project_path(None, cwd=tmp_path) == tmp_path.resolve()
    monkeypatch.setenv("INTERIORITY_HOME", str(tmp_path / "home"))
    assert resolve_project_path(None, cwd=tmp_path / "elsewhere") == tmp_path / "home"
    monkeypatch.delenv("INTERIORITY_HOME")
    assert "interiority" in str(default_project_path())


def test_a_file_is_not_a_project(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(ProjectError, match="is a file"):
        open_project(tmp_path / "f")
