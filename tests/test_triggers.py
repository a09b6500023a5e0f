"""Trigger semantics: hold time, missing data never clears a firing trigger, clearing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tminus.engine.history import MetricSeries
from tminus.engine.session import load_events

from console_factory import folded, make_app


async def test_hold_time_missing_data_and_clear(tmp_path):
    _, engine = make_app(tmp_path)
    engine.attach_loop(asyncio.get_running_loop())
    clock = engine.clock  # FrozenClock: the test moves time
    trig = next(t for t in engine.plan.triggers if t.id == "error-rate")
    assert trig.hold == timedelta(seconds=30)
    series = MetricSeries("error_rate")

    async def observe(value: float | None, *, error: str = "") -> None:
        if error:
            series.failed(error)
        elif value is None:
            series.no_data()
        else:
            series.add(clock.now(), value)
        await engine.triggers.observe(series)
        await folded(engine)

    await observe(0.07)  # over 5%: starts holding
    clock.advance(20)
    await observe(0.08)
    assert not engine.state.firing  # held 20 s of 30
    clock.advance(11)
    await observe(0.06)
    assert [t.id for t in engine.state.firing] == ["error-rate"]
    assert engine.state.triggers["error-rate"].value == 0.06
    # no data and a query error say nothing: still firing
    clock.advance(5)
    await observe(None)
    await observe(None, error="unreachable: connection refused")
    assert [t.id for t in engine.state.firing] == ["error-rate"]
    # a real value below the line clears it
    await observe(0.001)
    assert not engine.state.firing
    # a dip resets the hold: 25 s over, a dip, 25 s over again does not fire
    await observe(0.09)
    clock.advance(25)
    await observe(0.02)
    await observe(0.09)
    clock.advance(25)
    await observe(0.09)
    assert not engine.state.firing
    types = [e.type for e in load_events(engine.session.path).events]
    assert types.count("trigger.fired") == 1 and types.count("trigger.cleared") == 1
    engine.session.close()


async def test_a_failing_view_does_not_stop_the_fold(tmp_path):
    _, engine = make_app(tmp_path)
    engine.attach_loop(asyncio.get_running_loop())

    def broken_view(event) -> None:
        raise RuntimeError("the screen is gone")

    engine.subscribe(broken_view)
    await asyncio.gather(*(engine.session.emit("note.added", text=str(i)) for i in range(20)))
    await folded(engine)
    assert len(engine.state.notes) == 20 and engine.state.last_seq == 20
    engine.session.close()
