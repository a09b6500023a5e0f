"""The Metrics tab at rest costs little: what wakes up each second or on each poll does no
work it can skip. Counted, not timed: whole-screen layouts, scoreboard redraws, messages
posted per poll, panels judged again. Real keys and real polls of the demo world through
the real app (Pilot)."""

from __future__ import annotations

from typing import Any

from textual._compositor import Compositor
from textual.message_pump import MessagePump

from test_offscreen_cost import many_metrics, poll_every_metric, settle
from tminus.ui.widgets import metric_panel
from tminus.ui.widgets.in_view import in_view
from tminus.ui.widgets.metrics_view import MetricsView
from tminus.ui.widgets.scoreboard import Scoreboard

from console_factory import make_app, until


async def metrics_tab(pilot: Any, app: Any, engine: Any) -> MetricsView:
    await settle(pilot, app)
    await pilot.press("4")
    await poll_every_metric(engine)
    for _ in range(3):
        await pilot.pause()
    return app.screen.query_one(MetricsView)


def count_full_layouts(monkeypatch: Any) -> list[bool]:
    layouts: list[bool] = []
    arrange = Compositor._arrange_root

    def counted(self: Compositor, root: Any, size: Any, visible_only: bool = True) -> Any:
        if not visible_only:
            layouts.append(True)
        return arrange(self, root, size, visible_only=visible_only)

    monkeypatch.setattr(Compositor, "_arrange_root", counted)
    return layouts


async def test_asking_what_is_in_view_never_lays_out_the_whole_tab(tmp_path, monkeypatch):
    app, engine = make_app(tmp_path, many_metrics(), read_only=True)
    layouts = count_full_layouts(monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await metrics_tab(pilot, app, engine)
        last = view.panels[engine.plan.metrics[-1].id]
        for _ in range(3):  # as each second: something off screen changed, then the tick
            last.query_one(".metric-head").refresh()
            await pilot.pause()
            layouts.clear()
            view._tick()
            assert not in_view(last)
            assert layouts == []


async def test_the_scoreboard_out_of_view_does_not_redraw_and_catches_up_in_view(
    tmp_path, monkeypatch
):
    redraws: list[str] = []
    redraw = Scoreboard.refresh_scores

    def counted(self: Scoreboard) -> None:
        redraws.append("scores")
        redraw(self)

    monkeypatch.setattr(Scoreboard, "refresh_scores", counted)
    app, engine = make_app(tmp_path, many_metrics(), read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await metrics_tab(pilot, app, engine)
        assert not in_view(view.scoreboard)  # below 40 panels
        redraws.clear()
        await poll_every_metric(engine)
        view._tick()
        await pilot.pause()
        assert redraws == []
        view.scroll_end(animate=False)
        await until(pilot, lambda: in_view(view.scoreboard), "the scoreboard scrolled into view")
        await until(pilot, lambda: bool(redraws), "its catch-up redraw")
        assert "Success criteria" in str(view.scoreboard.content)


async def test_a_poll_posts_no_message_to_the_views(tmp_path, monkeypatch):
    posted: list[str] = []
    call_next = MessagePump.call_next

    def counted(self: MessagePump, callback: Any, *args: Any, **kwargs: Any) -> None:
        posted.append(getattr(callback, "__qualname__", repr(callback)))
        call_next(self, callback, *args, **kwargs)

    app, engine = make_app(tmp_path, many_metrics(), read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await metrics_tab(pilot, app, engine)
        monkeypatch.setattr(MessagePump, "call_next", counted)
        await poll_every_metric(engine)  # 40 metrics, with the criteria's polls
        assert [p for p in posted if "_on_metric" in p or "_on_change" in p] == []


async def test_a_tick_with_nothing_changed_judges_no_panel_and_staleness_still_counts(
    tmp_path, monkeypatch
):
    judged: list[str] = []
    describe = metric_panel.describe_state

    def counted(engine: Any, metric: Any, series: Any) -> tuple[str, str]:
        judged.append(metric.id)
        return describe(engine, metric, series)

    monkeypatch.setattr(metric_panel, "describe_state", counted)
    app, engine = make_app(tmp_path, many_metrics(), read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await metrics_tab(pilot, app, engine)
        # only the ticks below: the view's own 1 s ticker firing during the pause
        # judged the stale panel a second time on a loaded machine
        view._ticker.pause()
        judged.clear()
        for _ in range(3):
            view._tick()
        assert judged == []  # nothing polled, nothing stale: nothing to look at again
        first = engine.plan.metrics[0]
        series = engine.poller.series[first.id]
        series.received = (series.received or 0.0) - 3600  # an hour without a poll
        view._tick()
        await pilot.pause()
        assert judged == [first.id]  # that one only
        assert "stale 36" in str(view.panels[first.id].query_one(".metric-head").content)


async def test_a_failing_listener_does_not_stop_polling(tmp_path):
    _app, engine = make_app(tmp_path, many_metrics(), read_only=True)
    poller = engine.poller
    assert poller is not None

    def broken(_metric_id: str) -> None:
        raise RuntimeError("a view's bug")

    heard: list[str] = []
    poller.subscribe(broken)
    poller.subscribe(heard.append)
    poll = poller.polls[0]
    await poller.poll_once(poll)
    await poller.poll_once(poll)
    assert heard == [poll.id, poll.id]  # the listener after the broken one still hears
    assert poller.series[poll.id].version >= 2


def test_polls_after_the_first_fall_on_the_interval_grid():
    from tminus.engine.metrics import on_grid

    # metrics whose first polls ended at different moments wake together afterwards
    ends = [100.03, 101.2, 102.49, 104.999]
    assert {round(end + on_grid(end, 5.0), 9) for end in ends} == {105.0}
    assert on_grid(105.0, 5.0) == 5.0  # on a grid point: a full interval, never zero
    assert 0 < on_grid(7.3, 0.25) <= 0.25
