"""The project folder: what a user's work is, and where it lives.

Opening one refuses, each with one sentence, what would otherwise surprise later:
an empty `--project ""` (which used to fall back silently to the default project,
so a script's unset variable wrote into the wrong place), a file where the folder
should be, and a folder the program cannot write (a read-only disk or missing
permissions: the database takes a lock file and every command writes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from core.errors import ProjectError
from core.paths import inside
from core.settings import DEFAULT_TOML, Settings, load_settings

SETTINGS_NAME = "interiority.toml"
SUBFOLDERS = ("library", "templates", "db", "exports", "runs")


def default_project_path() -> Path:
    """The default project in the platform's user data directory (INTERIORITY_HOME overrides it)."""
    override = os.environ.get("INTERIORITY_HOME")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("interiority", appauthor=False)) / "default"


def resolve_project_path(explicit: Optional[Union[str, Path]] = None, cwd: Optional[Path] = None) -> Path:
    """`--project PATH`, else the current directory when it holds interiority.toml, else the default.

    `explicit` is None when no `--project` was given; an empty or blank one is an error.
    """
    if explicit is not None:
        if not str(explicit).strip():
            raise ProjectError("--project was given an empty path; name a project folder "
                               "(e.g. --project ~/interiority-project) or leave --project out for the default project.")
        try:
            return Path(explicit).expanduser().resolve()
        except (RuntimeError, ValueError, OSError) as exc:  # "~nobody/x", a NUL byte, a symlink loop
            raise ProjectError(f"--project {str(explicit)!r} is not a usable path ({exc}); "
                               f"name an existing or new folder.") from None
    cwd = cwd or Path.cwd()
    if (cwd / SETTINGS_NAME).exists():
        return cwd.resolve()
    return default_project_path()


@dataclass
class Project:
    root: Path
    settings: Settings

    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_NAME

    @property
    def library(self) -> Path:
        return self.root / "library"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def db_path(self) -> Path:
        return self.root / "db"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    def reload_settings(self) -> Settings:
        self.settings = load_settings(self.settings_path)
        return self.settings


def open_project(path: Union[str, Path], create: bool = True) -> Project:
    """Open (and when missing, create) a project folder with its settings validated.

    `create=False` opens only an existing project and writes nothing (a command that only reads, given a
    mistyped `--project`, must not leave a new project folder there, nor need a writable disk).
    """
    root = Path(path).expanduser()
    if root.exists() and not root.is_dir():
        raise ProjectError(f"{root} is a file, not a project folder; pass another --project path.")
    settings_path = root / SETTINGS_NAME
    if not create:
        if not settings_path.is_file():
            raise ProjectError(f"No project at {root} (no {SETTINGS_NAME} there); check the --project path, or "
                               f"create the project with `interiority --project {root}`.")
        return Project(root=root.resolve(), settings=load_settings(settings_path))
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name in SUBFOLDERS:
            folder = root / name
            if not os.path.lexists(folder):
                inside(root, name).mkdir()
            elif not folder.is_dir():
                raise ProjectError(f"{folder} is not a folder; move it away so the project can use that name.")
        # A dangling symlink is left alone (writing through it could land outside the project): reading it fails.
        if not os.path.lexists(settings_path):
            inside(root, SETTINGS_NAME).write_text(DEFAULT_TOML, encoding="utf-8")
    except OSError as exc:
        raise ProjectError(f"Cannot create the project at {root}: {exc.strerror or exc}. "
                           f"Choose a writable folder with --project.") from None
    for folder in (root, *(root / name for name in SUBFOLDERS)):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ProjectError(f"The project folder {folder} is read-only; make it writable for your user "
                               f"(chmod -R u+w {root}) or copy the project to a writable disk and pass --project.")
    return Project(root=root.resolve(), settings=load_settings(settings_path))
