"""What is not on screen costs nothing: metric panels scrolled away or on a hidden tab do
not redraw on polls, hidden tabs' tickers do not run, the rollout gate does not judge a
metric again until a poll changed it, and the engine's first polls and the hidden tabs'
views wait for the first full frame. Real keys and real polls of the demo world, through
the real app (Pilot); renders are counted on our own panels."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools

from textual.widgets import TabbedContent
from textual.widgets._footer import FooterKey

from tminus.plan.loader import default_plan
from tminus.plan.model import Plan
from tminus.ui.widgets.in_view import in_view
from tminus.ui.widgets.metric_panel import MetricPanel
from tminus.ui.widgets.metrics_view import MetricsView

from console_factory import make_app, until

METRICS = 40


def many_metrics(n: int = METRICS) -> Plan:
    plan = default_plan()
    base = list(plan.metrics)
    extra = [
        dataclasses.replace(m, id=f"{m.id}_{i}", title=f"{m.title} {i}")
        for i, m in zip(range(len(base), n), itertools.cycle(base), strict=False)
    ]
    return dataclasses.replace(plan, metrics=tuple(base + extra))


def count_renders(monkeypatch) -> dict[str, int]:
    renders: dict[str, int] = {}
    draw = MetricPanel.refresh_metric

    def counted(self: MetricPanel) -> None:
        renders[self.metric.id] = renders.get(self.metric.id, 0) + 1
        draw(self)

    monkeypatch.setattr(MetricPanel, "refresh_metric", counted)
    return renders


async def poll_every_metric(engine) -> None:
    assert engine.poller is not None
    for poll in engine.poller.polls:
        await engine.poller.poll_once(poll)


async def settle(pilot, app) -> None:
    """Until the hidden tabs' views are mounted (after the first full frame)."""
    await until(pilot, lambda: bool(app.screen.query(MetricsView)), "the Metrics tab's view")


async def test_panels_out_of_view_and_on_hidden_tabs_do_not_redraw_on_polls(tmp_path, monkeypatch):
    app, engine = make_app(tmp_path, many_metrics(), read_only=True)
    renders = count_renders(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.pause()
        renders.clear()
        await poll_every_metric(engine)  # the Metrics tab is hidden: nothing redraws
        await pilot.pause()
        assert renders == {}

        await pilot.press("4")  # the Metrics tab
        await pilot.pause()
        await pilot.pause()
        panels = list(app.screen.query(MetricPanel))
        assert len(panels) == METRICS
        shown = {p.metric.id for p in panels if in_view(p)}
        assert 0 < len(shown) < METRICS // 2  # 80x24 shows a few panels of 40
        renders.clear()
        await poll_every_metric(engine)
        await pilot.pause()
        assert set(renders) == shown  # each panel in view redrew; none of the rest did

        await pilot.press("1")  # away again: polls draw nothing
        await pilot.pause()
        renders.clear()
        await poll_every_metric(engine)
        await pilot.pause()
        assert renders == {}


async def test_panels_scrolled_into_view_catch_up(tmp_path, monkeypatch):
    app, engine = make_app(tmp_path, many_metrics(), read_only=True)
    renders = count_renders(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("4")
        await pilot.pause()
        view = app.screen.query_one(MetricsView)
        last = view.panels[engine.plan.metrics[-1].id]
        assert not in_view(last)
        renders.clear()
        await poll_every_metric(engine)
        await pilot.pause()
        assert last.metric.id not in renders
        view.scroll_end(animate=False)
        await until(pilot, lambda: in_view(last), "the last panel scrolled into view")
        await until(pilot, lambda: renders.get(last.metric.id, 0) >= 1, "its catch-up redraw")
        assert last.metric.title in str(last.query_one(".metric-head").content)


async def test_a_hidden_tabs_ticker_does_not_run(tmp_path, monkeypatch):
    ticks: list[str] = []
    tick = MetricsView._tick

    def counted(self: MetricsView) -> None:
        ticks.append("tick")
        tick(self)

    monkeypatch.setattr(MetricsView, "_tick", counted)
    app, _engine = make_app(tmp_path, many_metrics(), read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await asyncio.sleep(2.5)  # the ticker's period is 1 s
        await pilot.pause()
        assert ticks == []  # hidden all along
        await pilot.press("4")
        await until(pilot, lambda: len(ticks) >= 2, "two ticks of the shown view")  # it ticks
        await pilot.press("1")
        await pilot.pause()
        ticks.clear()
        await asyncio.sleep(2.5)
        await pilot.pause()
        assert ticks == []  # hidden again: paused


async def test_metric_verdicts_are_judged_again_only_when_a_poll_changed_them(
    tmp_path, monkeypatch
):
    from tminus.engine import console

    _app, engine = make_app(tmp_path, many_metrics(), read_only=True)
    assert engine.poller is not None
    await poll_every_metric(engine)
    judged: list[str] = []
    real = console.metric_state

    def counted(metric, *args):  # type: ignore[no-untyped-def]
        judged.append(metric.id)
        return real(metric, *args)

    monkeypatch.setattr(console, "metric_state", counted)
    first = engine.metric_states()
    assert len(judged) == len(engine.plan.metrics)  # each judged once
    judged.clear()
    assert engine.metric_states() == first
    assert judged == []  # nothing polled since: none judged again
    metric = engine.plan.metrics[0]  # the error rate: ok below 0.1%
    series = engine.poller.series[metric.id]
    assert first[metric.id] == "ok"
    series.add(engine.clock.now(), 0.5)  # 50% errors: a poll that changed it
    assert engine.metric_states()[metric.id] == "bad"
    assert judged == [metric.id]  # only the one that changed
    judged.clear()
    series.received = (series.received or 0.0) - 3600  # an hour without a poll: stale
    assert engine.metric_states()[metric.id] == "stale"
    assert judged == [metric.id]


async def test_the_engine_and_hidden_tabs_wait_for_the_first_full_frame(tmp_path, monkeypatch):
    from tminus.ui.screens.main import MainScreen

    app, _engine = make_app(tmp_path)
    seen: dict[str, object] = {}
    start = app.on_start
    assert start is not None
    ready = MainScreen.on_key_footer_ready

    async def recording_ready(self: MainScreen, message) -> None:  # type: ignore[no-untyped-def]
        # the footer's keys were painted: the first full frame is on screen
        seen.setdefault("metrics view in the first frame", len(self.query(MetricsView)))
        await ready(self, message)

    monkeypatch.setattr(MainScreen, "on_key_footer_ready", recording_ready)

    async def recording_start() -> None:
        seen["footer keys"] = len(app.screen.query(FooterKey))
        await start()

    app.on_start = recording_start
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await until(pilot, lambda: "footer keys" in seen, "the engine's start")
        assert seen["footer keys"] > 0  # the footer, painted last, was on screen
        assert seen["metrics view in the first frame"] == 0  # the hidden tab's: not yet
        tabs = app.screen.query_one(TabbedContent)
        assert tabs.active == "phase-pre-launch"
        assert len(app.screen.query(MetricsView)) == 1  # built after the frame


async def test_a_tab_switch_with_the_same_keys_leaves_the_footer_alone(tmp_path):
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.pause()
        before = list(app.screen.query(FooterKey))
        assert before
        await pilot.press("3")  # T+1d: a phase tab with the same keys as the first
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "phase-post-launch"
        assert list(app.screen.query(FooterKey)) == before  # not recomposed
        await pilot.press("5")  # Rollout: its own keys
        await pilot.pause()
        await pilot.pause()
        after = list(app.screen.query(FooterKey))
        assert after != before


async def test_hidden_trigger_states_wait_for_their_tab(tmp_path, monkeypatch):
    from tminus.ui.widgets.trigger_states import TriggerStates

    redraws: list[str] = []
    draw = TriggerStates.refresh_states

    def counted(self: TriggerStates) -> None:
        redraws.append("redraw")
        draw(self)

    monkeypatch.setattr(TriggerStates, "refresh_states", counted)
    app, engine = make_app(tmp_path, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.pause()
        redraws.clear()
        await poll_every_metric(engine)  # the triggers' metrics among them
        await pilot.pause()
        assert redraws == []  # the Rollback tab is hidden
        await pilot.press("6")  # Rollback: its trigger states catch up when shown
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "rollback"
        assert redraws
        shown = app.screen.query_one(TriggerStates)
        assert engine.plan.triggers[0].title in str(shown.content)
