"""Where tminus keeps its files: $TMINUS_HOME when set, else the platform directories.

On a shared bastion another local user must not be able to plant or swap files there, so,
as ssh does for ~/.ssh, a folder writable by group or others, or owned by someone else, is
refused with a message that says how to fix it. Folders tminus creates are 0700.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tminus.core.errors import UsageError


class UnsafeDirectory(UsageError):
    """A tminus folder that cannot be used safely (or at all); printed as one line, exit 2."""


def _ensure_private_dir(path: Path) -> Path:
    """Create `path` 0700 (and missing parents 0700), or check an existing one is safe."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        _create(path)
        st = os.stat(path)
    except OSError as exc:
        raise UnsafeDirectory(f"{path}: cannot use this folder: {exc.strerror}") from None
    _check_safe(path, st)
    if stat.S_IMODE(st.st_mode) & 0o077:
        # ours and not writable by others: tighten it (mkdir's mode is masked by umask)
        try:
            os.chmod(path, 0o700)
        except OSError as exc:
            raise UnsafeDirectory(f"{path}: cannot make it private: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UnsafeDirectory(f"{path}: not writable by you: run `chmod u+rwx {path}`")
    return path


def _create(path: Path) -> None:
    missing: list[Path] = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    if not p.is_dir():
        raise UnsafeDirectory(f"{path}: cannot create it: {p} is not a folder")
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
            os.chmod(d, 0o700)
        except FileExistsError:
            pass  # created meanwhile by another tminus: checked below like any existing one
        except OSError as exc:
            raise UnsafeDirectory(f"{d}: cannot create this folder: {exc.strerror}") from None


def _check_safe(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeDirectory(f"{path}: is not a folder (set TMINUS_HOME to a folder)")
    if st.st_uid != os.geteuid():
        raise UnsafeDirectory(
            f"{path}: owned by another user (uid {st.st_uid}); tminus uses only folders"
            " you own: set TMINUS_HOME to a folder of yours"
        )
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o022:
        raise UnsafeDirectory(
            f"{path}: writable by group or others (mode {mode:04o}), so another user could"
            f" plant or swap files: run `chmod go-w {path}`"
        )


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
    _ensure_private_dir(data_dir())
    return _ensure_private_dir(data_dir() / "sessions")


def private_dir(path: Path) -> Path:
    """A folder of ours (the config folder): checked like the sessions folder."""
    home = os.environ.get("TMINUS_HOME")
    if home and Path(home) in path.parents:
        _ensure_private_dir(Path(home))
    return _ensure_private_dir(path)
