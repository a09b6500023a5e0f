"""Keep secrets out of the session log.

Two nets: keys that name a secret are blanked wherever they appear, and every value read
from an environment variable the plan names as a secret is registered here and replaced
wherever it shows up in text (an error message that echoes a header, say).
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"(authorization|password|passwd|secret|token|api[_-]?key|cookie|credential)", re.I
)
_lock = threading.Lock()
_values: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value; very short values are skipped (they would blank common text)."""
    if value and len(value) >= 4:
        with _lock:
            _values.add(value)


def secret_from_env(env: Mapping[str, str], var: str) -> str | None:
    """Read a secret named by the plan, and make sure it can never reach the session log."""
    value = env.get(var)
    register_secret(value)
    return value


def forget_secrets() -> None:
    """Drop every registered value: for tests, which share one process."""
    with _lock:
        _values.clear()


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    # *_env fields hold the *name* of a variable, not its value: those are fine to log
    return bool(_SECRET_KEY.search(key)) and not key.endswith("_env")


def scrub(value: Any) -> Any:
    with _lock:
        secrets = sorted(_values, key=len, reverse=True)  # longest first: no partial leftovers
    return _scrub(value, secrets)


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, dict):
        return {
            k: (REDACTED if is_secret_key(str(k)) and v not in (None, "") else _scrub(v, secrets))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, str):
        for s in secrets:
            if s in value:
                value = value.replace(s, REDACTED)
        return value
    return value


_SECRET_WORD = re.compile(_SECRET_KEY.pattern)  # for ASCII text already lowercased


def _json_plain(value: str) -> bool:
    """Whether JSON (ensure_ascii=False) writes this text as is, so a search finds it."""
    return json.dumps(value, ensure_ascii=False)[1:-1] == value


def json_is_clean(text: str) -> bool:
    """True when `scrub` would change nothing in the value that `text` is the JSON of
    (written with ensure_ascii=False): no key there names a secret and no registered secret
    appears. The session log's fast path: one search in C over the encoded line instead of
    a scrubbed copy of every event. Conservative: a secret's word anywhere in the text, or
    a secret JSON would escape, sends the value through `scrub`.
    """
    if text.isascii():  # re.I is slow (~10x here): same words, lowercase text, no flag
        if _SECRET_WORD.search(text.lower()) is not None:
            return False
    elif _SECRET_KEY.search(text) is not None:
        return False
    with _lock:
        values = tuple(_values)
    return all(_json_plain(v) and v not in text for v in values)
