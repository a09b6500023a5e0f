"""User settings (theme...) as TOML in the user config directory, written with tomli-w."""

from __future__ import annotations

import contextlib
import os
import tomllib
from pathlib import Path
from typing import Any

from tminus.core.paths import config_dir, private_dir


def config_path() -> Path:
    return config_dir() / "config.toml"


def load_config() -> dict[str, Any]:
    """The saved settings; an unreadable file is ignored (settings are a convenience)."""
    try:
        return tomllib.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def save_config(updates: dict[str, Any]) -> None:
    import tomli_w  # only a save needs the writer: off the path to the first frame

    data = {**load_config(), **updates}
    path = config_path()
    private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)  # atomic: a crash never leaves half a config
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)
