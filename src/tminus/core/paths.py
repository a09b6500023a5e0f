"""Where tminus keeps its files: $TMINUS_HOME when set, else the platform directories."""

from __future__ import annotations

import os
from pathlib import Path


def _ensure_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)  # mkdir's mode is masked by umask and ignored for existing dirs
    return path


def data_dir() -> Path:
    home = os.environ.get("TMINUS_HOME")
    if home:
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_data_dir("tminus", appauthor=False))


def config_dir() -> Path:
    home = os.environ.get("TMINUS_HOME")
    if home:
        return Path(home) / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir("tminus", appauthor=False))


def sessions_dir() -> Path:
    return _ensure_private_dir(data_dir() / "sessions")


def private_dir(path: Path) -> Path:
    return _ensure_private_dir(path)
