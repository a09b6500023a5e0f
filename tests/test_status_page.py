"""The status page's server side: one reader of the session log for every observer, one
render per change, and what the page says (phase, clock, weight, triggers, metrics,
decisions) from the folded state."""

from __future__ import annotations

import asyncio
import json

import aiohttp
from aiohttp import web

from tminus.engine.events import SessionStarted
from tminus.engine.session import create_session
from tminus.plan.loader import default_plan
from tminus.web.status import StatusHub

from console_factory import eventually


async def read_states(session: aiohttp.ClientSession, url: str, want: int) -> list[dict]:
    out: list[dict] = []
    async with session.get(url) as resp:
        assert resp.headers["Content-Type"] == "text/event-stream"
        async for raw in resp.content:
            line = raw.decode()
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
                if len(out) >= want:
                    return out
    return out


async def test_many_observers_share_one_reader_and_one_render_per_change(tmp_path):
    writer = create_session("status", directory=tmp_path)
    writer.append(
        SessionStarted.for_plan(
            default_plan(), session=writer.session_id, mode="run", plan_path="plan.toml"
        )
    )
    hub = StatusHub(default_plan(), writer.path, interval=0.05)
    app = web.Application()
    hub.add_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/status/events"
            readers = [asyncio.create_task(read_states(http, url, 3)) for _ in range(20)]
            await eventually(lambda: hub.observers == 20, "20 observers")
            renders = hub.renders
            await asyncio.to_thread(
                writer.append, "phase.signed_off", actor="c@h", phase="pre-launch", note=""
            )
            await asyncio.sleep(0.3)
            await asyncio.to_thread(
                writer.append,
                "trigger.fired",
                trigger="error-rate",
                metric="error_rate",
                value=0.09,
                condition="> 5%",
                held_s=30.0,
            )
            results = await asyncio.wait_for(asyncio.gather(*readers), 10)
            assert hub.renders - renders == 2  # two changes, two renders, for 20 observers
            for states in results:
                assert [s["seq"] for s in states] == [1, 2, 3]
                assert "FIRING" in states[2]["html"] and "Error rate &gt; 5%" in states[2]["html"]
                assert '<p class="big">Launch Day</p>' in states[2]["html"]
            async with http.get(f"http://127.0.0.1:{port}/status") as page:
                html = await page.text()
            assert "<title>MusicConnect · status</title>" in html
            assert 'id="clock">T-' in html and "Signed off Pre-Launch Validation" in html
            await eventually(lambda: hub.observers == 0, "observers that left forgotten")
    finally:
        await runner.cleanup()
        writer.close(mark_closed=False)
