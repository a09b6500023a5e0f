"""The launch summary (status page, notifications) reads the folded rollout and rollback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tminus.engine.session import SessionWriter, load_events
from tminus.engine.state import fold
from tminus.engine.summary import summarize
from tminus.plan.loader import default_plan


def _summary(path: Path):
    plan = default_plan()
    return summarize(plan, fold(load_events(path).events), datetime(2026, 12, 4, 16, tzinfo=UTC))


def test_rollback_state_follows_the_log(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with SessionWriter(path, resume=False) as w:
        w.append(
            "rollout.applied",
            actor="a@b",
            weight=25,
            previous=0,
            step=2,
            regions={"r": 25},
            at="2026-12-04T16:00:00Z",
        )
    quiet = _summary(path)
    # an idle rollback is not "armed" (a bool False is still "not None")
    assert quiet.rollback == ""
    assert quiet.weight == 25
    assert any("traffic to 25%" in d.text for d in quiet.decisions)
    with SessionWriter(path, resume=True) as w:
        w.append("rollback.armed", actor="a@b", reason="errors up", triggers=[], steps=[])
    armed = _summary(path)
    assert armed.rollback == "armed"
    assert any(d.text == "rollback armed: errors up" for d in armed.decisions)
    with SessionWriter(path, resume=True) as w:
        w.append(
            "rollback.completed",
            actor="a@b",
            outcome="rolled back",
            skipped=[],
            triggers_firing=[],
        )
    assert _summary(path).rollback == "completed"
