"""Keep secrets out of every output: the one redaction step.

Everything tminus shows or writes passes through `scrub`: check results as the runner
produces them (so the screen, `tminus check` output, --json and --junit only ever see
redacted text), every session-log event, and the notifications to come.

Two nets: keys that name a secret are blanked wherever they appear, and every value read
from an environment variable the plan names as a secret (and every kubeconfig credential)
is registered here and replaced wherever it shows up in text (an error message that echoes
a header, say), in its common encodings too: as is, URL-encoded, base64 (also inside a
longer base64 text, such as `echo "$TOKEN" | base64`), and `Basic base64(user:password)`.
Redact before cutting: a secret cut in half is no longer found.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"(authorization|password|passwd|secret|token|api[_-]?key|cookie|credential)", re.I
)
_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None  # every form of every secret, longest first
MIN_SECRET = 4  # shorter values are skipped: they would blank common text
_MIN_FORM = 6  # shortest derived form (a base64 fragment) worth matching


def encodings(value: str) -> set[str]:
    """The forms a secret takes in text: as is, URL-encoded, and base64 at each alignment."""
    raw = value.encode()
    forms = {value, quote(value, safe=""), quote_plus(value)}
    for codec in (base64.b64encode, base64.urlsafe_b64encode):
        forms.add(codec(raw).decode())
        forms.add(codec(raw).decode().rstrip("="))
        for shift in (1, 2):  # the secret inside a longer text starts mid-group
            enc = codec(b"\0" * shift + raw).decode()
            whole = (shift + len(raw)) // 3 * 4  # groups made only of known bytes end here
            core = enc[4:whole]  # the first group mixes in the unknown prefix
            if len(core) >= _MIN_FORM:
                forms.add(core)
        # unaligned start, aligned: only complete groups of the secret alone
        enc = codec(raw).decode()
        core = enc[: len(raw) // 3 * 4]
        if len(core) >= _MIN_FORM:
            forms.add(core)
    return {f for f in forms if len(f) >= MIN_SECRET}


def register_secret(value: str | None) -> None:
    """Remember a secret value (and its encodings) so that it never reaches an output."""
    if value and len(value) >= MIN_SECRET:
        _add(encodings(value))


def register_basic(user: str, password: str) -> None:
    """A basic-auth pair: the password, and the `base64(user:password)` of the header."""
    register_secret(password)
    register_secret(f"{user}:{password}")


def _add(forms: set[str]) -> None:
    global _pattern
    with _lock:
        if forms <= _values:
            return
        _values.update(forms)
        ordered = sorted(_values, key=len, reverse=True)  # longest first: no partial leftovers
        _pattern = re.compile("|".join(map(re.escape, ordered)))


def secret_from_env(env: Mapping[str, str], var: str) -> str | None:
    """Read a secret named by the plan, and make sure it can never reach the session log."""
    value = env.get(var)
    register_secret(value)
    return value


def forget_secrets() -> None:
    """Drop every registered value: for tests, which share one process."""
    global _pattern
    with _lock:
        _values.clear()
        _pattern = None


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    # *_env fields hold the *name* of a variable, not its value: those are fine to log
    return bool(_SECRET_KEY.search(key)) and not key.endswith("_env")


def scrub(value: Any) -> Any:
    """`value` with every secret replaced: dicts, lists and strings, at any depth."""
    return _scrub(value, _pattern)


def scrub_text(text: str) -> str:
    pattern = _pattern
    return text if pattern is None else pattern.sub(REDACTED, text)


_ATOMS = frozenset({int, float, bool, type(None)})  # nothing to scrub, nothing to walk


def _scrub(value: Any, pattern: re.Pattern[str] | None) -> Any:
    kind = type(value)
    if kind in _ATOMS:  # most leaves: one set lookup instead of three isinstance calls
        return value
    if isinstance(value, dict):
        return {
            (pattern.sub(REDACTED, k) if pattern is not None and isinstance(k, str) else k): (
                REDACTED if is_secret_key(str(k)) and v not in (None, "") else _scrub(v, pattern)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v, pattern) for v in value]
    if isinstance(value, str) and pattern is not None:
        return pattern.sub(REDACTED, value)
    return value


_SECRET_WORD = re.compile(_SECRET_KEY.pattern)  # for ASCII text already lowercased


def _may_name_secret(low: str) -> bool:
    """A prefilter for _SECRET_WORD on lowercased text: plain substring tests ("api" for
    api[_-]?key, "passw" for password and passwd) run in C several times faster than the
    alternation, and are true whenever it would match."""
    return (
        "token" in low
        or "secret" in low
        or "passw" in low
        or "api" in low
        or "cookie" in low
        or "authorization" in low
        or "credential" in low
    )


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
        low = text.lower()
        if _may_name_secret(low) and _SECRET_WORD.search(low) is not None:
            return False
    elif _SECRET_KEY.search(text) is not None:
        return False
    if not _values:  # no secret registered, the usual case: nothing more to look for
        return True
    with _lock:
        values = tuple(_values)
    return all(_json_plain(v) and v not in text for v in values)


def has_registered_secret(text: str) -> bool:
    """Whether a registered secret (or one JSON would escape) may be in this JSON text."""
    with _lock:
        values = tuple(_values)
    return not all(_json_plain(v) and v not in text for v in values)


def scrub_values(value: Any) -> Any:
    """`value` with every registered secret replaced in every string, keys included, at
    any depth; unlike `scrub`, no key is blanked for its name (for state keyed by plan
    ids, such as an item called `secrets-rotated`, whose fields were scrubbed when
    logged)."""
    pattern = _pattern
    if pattern is None:
        return value
    return _scrub_values(value, pattern)


def _scrub_values(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, dict):
        return {
            (pattern.sub(REDACTED, k) if isinstance(k, str) else k): _scrub_values(v, pattern)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub_values(v, pattern) for v in value]
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    return value
