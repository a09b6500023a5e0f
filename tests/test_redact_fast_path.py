"""The session log's redaction fast path (`json_is_clean`) never lets through what `scrub`
would have blanked: every line is what encoding the scrubbed payload gives."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tminus.core.redact import (
    _SECRET_KEY,
    REDACTED,
    forget_secrets,
    json_is_clean,
    register_secret,
    scrub,
)
from tminus.engine.session import make_event

ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode


def finished(values: Any) -> dict[str, Any]:
    result = {"outcome": "pass", "message": "200 in 3 ms", "values": values}
    return {"item": "i", "run": "r", "kind": "http", "result": result}


def line_of(data: dict[str, Any]) -> dict[str, Any]:
    line, _ = make_event("check.finished", None, data, 1)
    obj: dict[str, Any] = json.loads(line)
    return {k: v for k, v in obj.items() if k not in ("v", "seq", "ts", "type")}


def reference(data: dict[str, Any]) -> dict[str, Any]:
    """What the log held before the fast path: the scrubbed payload, encoded."""
    obj: dict[str, Any] = json.loads(ENCODE(scrub(data)))
    return obj


def test_clean_text_takes_the_fast_path() -> None:
    text = ENCODE({"status": 200, "headers": {"content-type": "application/json"}})
    assert json_is_clean(text)


@pytest.mark.parametrize(
    "key", ["Authorization", "X-API-KEY", "api_key", "Set-Cookie", "db_password", "TOKEN"]
)
def test_secret_named_key_is_blanked(key: str) -> None:
    text = ENCODE({"headers": {key: "hunter2-value"}})
    assert not json_is_clean(text)
    result = {"outcome": "pass", "values": {"headers": {key: "hunter2-value"}}}
    line, ev = make_event(
        "check.finished", None, {"item": "i", "run": "r", "kind": "http", "result": result}, 1
    )
    assert b"hunter2-value" not in line and REDACTED.encode() in line
    assert ev.data["result"]["values"]["headers"][key] == REDACTED


def test_secret_word_in_non_ascii_text_is_found() -> None:
    # U+212A KELVIN SIGN matches "k" under re.I: such text goes through the full search
    key = "api\u212aey"
    assert _SECRET_KEY.search(key)
    assert not json_is_clean(ENCODE({key: "v4lue"}))
    data = finished({"headers": {key: "v4lue"}})
    assert line_of(data) == reference(data)
    assert line_of(data)["result"]["values"]["headers"][key] == REDACTED


def test_registered_secret_is_replaced() -> None:
    register_secret("s3cret-launch-token")
    data = {"text": "server said: bad header s3cret-launch-token"}
    assert not json_is_clean(ENCODE(data))
    line, _ = make_event("note.added", None, data, 1)
    assert b"s3cret-launch-token" not in line and REDACTED.encode() in line


@pytest.mark.parametrize("secret", ['quo"te-secret', "back\\slash-secret", "tab\tsecret"])
def test_secret_that_json_escapes_is_replaced(secret: str) -> None:
    """Its JSON form differs from the text, so a search of the line cannot be trusted."""
    register_secret(secret)
    data = {"text": f"echoed {secret} back"}
    assert not json_is_clean(ENCODE(data))
    line, _ = make_event("note.added", None, data, 1)
    assert json.loads(line)["text"] == f"echoed {REDACTED} back"


def test_secret_word_pattern_is_lowercase() -> None:
    """The fast search lowercases ASCII text and drops re.I: the words must be lowercase."""
    assert _SECRET_KEY.pattern == _SECRET_KEY.pattern.lower()


ALPHABET = string.ascii_letters + string.digits + '_-: "\\\u00e9\u212a\u0131\u0130\u017f'
WORDS = [
    "token",
    "Secret",
    "PASSWORD",
    "api-key",
    "Cookie",
    "to\u212aen",
    "pa\u017fsword",
    "hunter22",
]
text = st.one_of(
    st.text(ALPHABET, max_size=12),
    st.builds(
        lambda a, w, b: a + w + b,
        st.text(ALPHABET, max_size=4),
        st.sampled_from(WORDS),
        st.text(ALPHABET, max_size=4),
    ),
)
values = st.recursive(
    st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(payload=st.dictionaries(text, values, max_size=4), secret=st.sampled_from([*WORDS, None]))
def test_every_line_equals_the_scrubbed_encoding(
    payload: dict[str, Any], secret: str | None
) -> None:
    forget_secrets()
    register_secret(secret)
    if json_is_clean(ENCODE(payload)):  # the fast path's promise
        assert scrub(payload) == payload
    data = finished(payload)
    assert line_of(data) == reference(data)
    forget_secrets()
