"""The event schema, the fold and the writers stay in step: every event type in
engine/events.py has a fold function and at least one writer in src/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tminus.engine.events import (
    EVENT_TYPES,
    EventData,
    EventSchemaError,
    SessionStarted,
    parse_payload,
)
from tminus.engine.state import FOLDS

SRC = Path(__file__).resolve().parents[1] / "src" / "tminus"
WRITE_CALLS = {"emit", "append", "submit", "_emit", "_record"}  # writer methods and wrappers


def writers_in(source: str) -> set[str]:
    """Event types a module writes: a type string passed first to a writer call, or an
    events.py class constructed (directly or through a classmethod such as for_plan)."""
    by_class = {cls.__name__: type_ for type_, cls in EVENT_TYPES.items()}
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in WRITE_CALLS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and first.value in EVENT_TYPES:
                found.add(first.value)
        if name in by_class:
            found.add(by_class[name])
        owner = func.value if isinstance(func, ast.Attribute) else None
        if isinstance(owner, ast.Name) and owner.id in by_class:
            found.add(by_class[owner.id])
    return found


def all_writers() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "events.py" and path.parent.name == "engine":
            continue  # the schema itself writes nothing
        for type_ in writers_in(path.read_text()):
            out.setdefault(type_, []).append(str(path.relative_to(SRC)))
    return out


def test_every_event_type_has_a_fold_function():
    assert set(FOLDS) == set(EVENT_TYPES), (
        f"no fold for {sorted(set(EVENT_TYPES) - set(FOLDS))}; "
        f"fold without a type: {sorted(set(FOLDS) - set(EVENT_TYPES))}"
    )


def test_every_event_type_has_a_writer_in_src():
    writers = all_writers()
    unwritten = sorted(set(EVENT_TYPES) - set(writers))
    assert not unwritten, (
        f"event types nothing writes (remove them or build the writer): {unwritten}"
    )


def test_the_writer_finder_sees_both_forms_and_misses_nothing_else():
    # so the test above can fail: a type only mentioned, never written, is not a writer
    source = """
session.emit("note.added", text="x")
session.append(ItemConfirmed(item="a"))
started = SessionStarted.for_plan(plan, session="s", mode="run", plan_path="p")
KNOWN = {"phase.signed_off": 1}
log.append("trigger.fired")  # a list append of a type string still counts as a call
"""
    assert writers_in(source) == {
        "note.added",
        "item.confirmed",
        "session.started",
        "trigger.fired",
    }
    assert "phase.signed_off" not in writers_in('x = "phase.signed_off"')


def test_every_event_class_has_a_type_and_a_version():
    for type_, cls in EVENT_TYPES.items():
        assert issubclass(cls, EventData) and type_ == cls.TYPE and cls.VERSION >= 1
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("type_", "data", "message"),
    [
        ("metric.sample", {"metric": "m", "value": "1.0"}, "field 'value' is a str"),
        ("metric.sample", {"metric": "m", "value": True}, "field 'value' is a bool"),
        ("check.started", {"item": "a", "run": "r", "kind": "http", "phase": 3}, "'phase'"),
        ("check.finished", {"item": "a", "run": "r", "kind": "x", "result": []}, "'result'"),
        (
            "check.finished",
            {"item": "a", "run": "r", "kind": "x", "result": {"parts": [1]}},
            "result",
        ),
        ("rollout.reverted", {"weight": 5}, "unknown event type"),
        ("rollout.applied", {"weight": 5}, "missing field 'previous'"),
        (
            "rollout.requested",
            {"weight": 5, "previous": 0, "step": 1, "regions": "eu"},
            "field 'regions' is a str",
        ),
        (
            "rollout.applied",
            {"weight": 5, "previous": 0, "step": 1, "regions": {}, "at": "soon"},
            "not an ISO 8601 time",
        ),
    ],
)
def test_payloads_off_the_schema_are_refused(type_, data, message):
    with pytest.raises(EventSchemaError, match=message):
        parse_payload(type_, data)


def test_the_demo_session_start_fits_the_schema():
    from tminus.plan.loader import default_plan

    started = SessionStarted.for_plan(
        default_plan(),
        session="s",
        mode="demo",
        plan_path="<default plan>",
        scenario="bad-release",
        speed=2.5,
        seed=3,
    )
    payload = started.payload()
    assert parse_payload("session.started", payload) == started
    assert payload["scenario"] == "bad-release" and payload["environment"] == "production"
