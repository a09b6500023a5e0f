"""Views follow the App's session and metric signals by themselves: no screen routes to
them, a view on another screen follows too, and hidden views catch up when shown."""

from __future__ import annotations

import asyncio
import time

from textual.widgets import TabbedContent

from tminus.ui.screens.metric_detail import MetricDetailScreen
from tminus.ui.widgets.metric_panel import MetricPanel
from tminus.ui.widgets.trigger_banner import TriggerBanner

from console_factory import make_app, until


async def test_the_chart_screen_banner_follows_a_trigger_declared_while_it_is_open(tmp_path):
    app, engine = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        app.push_screen(MetricDetailScreen(engine, engine.plan.metrics[0]))
        await pilot.pause()
        banner = app.screen.query_one(TriggerBanner)
        assert isinstance(app.screen, MetricDetailScreen)
        assert not banner.has_class("firing")
        await engine.declare_trigger("data-corruption", "rows missing in orders")
        await pilot.pause()
        await pilot.pause()
        assert banner.has_class("firing")
        assert "rows missing in orders" in str(banner.content)


async def test_a_hidden_metric_panel_waits_and_catches_up_when_shown(tmp_path):
    app, engine = make_app(tmp_path)
    assert engine.poller is not None
    metric = engine.plan.metrics[0]
    async with app.run_test(size=(120, 40)) as pilot:
        # hidden tabs' views are mounted after the first full frame
        await until(pilot, lambda: bool(app.screen.query(f"#metric-{metric.id}")), "the panel")
        panel = app.screen.query_one(f"#metric-{metric.id}", MetricPanel)  # mounted, hidden
        head = panel.query_one(".metric-head")
        before = str(head.content)
        deadline = time.monotonic() + 20
        while engine.poller.series[metric.id].last_value is None:
            assert time.monotonic() < deadline, "no poll within 20 s"
            await asyncio.sleep(0.05)
        await pilot.pause()
        await pilot.pause()
        assert str(head.content) == before  # polled, but not on screen: not redrawn
        tabs = app.screen.query_one(TabbedContent)
        tabs.active = "metrics"
        await pilot.pause()
        await pilot.pause()
        assert str(head.content) != before
        assert metric.title in str(head.content)
