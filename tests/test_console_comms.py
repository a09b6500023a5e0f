"""The Contacts & Comms tab: channels with their state, the next update's preview, `u` to
send it now (not offered read-only), and the header's channel marks, through real keys."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from textual.widgets import Static

from tminus.engine.session import load_events
from tminus.plan.loader import load_plan
from tminus.ui.widgets.comms_state import CommsState

from console_factory import DATA, make_app, until

RECORDER = (
    "import os, sys\nopen(sys.argv[1], 'a').write(os.environ['TMINUS_NOTIFICATION'] + '\\n')\n"
)


def plan_with_channel(tmp_path: Path, argv: list[str]):
    text = (DATA / "small_plan.toml").read_text()
    text += '\n[comms]\n[[comms.notify]]\nkind = "command"\nname = "pager"\n'
    text += f"argv = {json.dumps(argv)}\nretries = 0\n"
    path = tmp_path / "plan.toml"
    path.write_text(text)
    return load_plan(path)


async def test_send_now_from_the_comms_tab_and_the_header_shows_the_channel(tmp_path: Path):
    script = tmp_path / "rec.py"
    script.write_text(RECORDER)
    out = tmp_path / "sent.jsonl"
    plan = plan_with_channel(tmp_path, [sys.executable, str(script), str(out)])
    app, engine = make_app(tmp_path / "s", plan)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        header = app.screen.query_one(CommsState)
        assert str(header.content) == "✉ pager ·"
        await pilot.press("6")  # Contacts & Comms: after Metrics, Rollout, Rollback
        await pilot.pause()
        preview = str(app.screen.query_one("#comms-preview", Static).content)
        assert "Next status update" in preview and "press u to send it now" in preview
        assert "SmallLaunch (production) at T-00:15:00: Readiness" in preview
        assert app.screen.check_action("send_update", ()) is True
        await pilot.press("u")
        await until(
            pilot,
            lambda: (
                engine.state.notify.get("pager") is not None
                and engine.state.notify["pager"].status == "ok"
            ),
            "the pager's notice sent",
        )
        assert str(header.content) == "✉ [$success]pager ✔[/]"
        channels = str(app.screen.query_one("#comms-channels", Static).content)
        assert "pager (command" in channels and "ok · 1 sent" in channels
        await pilot.press("1")
        assert app.screen.check_action("send_update", ()) is None or not app.screen.check_action(
            "send_update", ()
        )
    (sent,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert sent["topic"] == "status" and sent["summary"]["launch"] == "SmallLaunch"
    types = [e.type for e in load_events(engine.session.path).events]  # type: ignore[union-attr]
    assert "notify.sent" in types


async def test_a_failing_channel_shows_in_the_header(tmp_path: Path):
    plan = plan_with_channel(tmp_path, ["false"])
    app, engine = make_app(tmp_path / "s", plan)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6", "u")  # Contacts & Comms
        await until(pilot, lambda: "pager" in engine.state.notify, "the pager's notice")
        assert str(app.screen.query_one(CommsState).content) == "✉ [$error]pager ✘[/]"
        channels = str(app.screen.query_one("#comms-channels", Static).content)
        assert "failed · false exited 1" in channels


async def test_read_only_console_does_not_offer_send_now(tmp_path: Path):
    plan = plan_with_channel(tmp_path, ["true"])
    app, engine = make_app(tmp_path / "s", plan, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")  # Contacts & Comms: after Metrics, Rollout, Rollback
        await pilot.pause()
        assert engine.notifier is None
        assert app.screen.check_action("send_update", ()) is False
        preview = str(app.screen.query_one("#comms-preview", Static).content)
        assert "press u" not in preview
        await pilot.press("u")  # not bound: nothing happens, nothing is written
        await asyncio.sleep(0.1)
        assert engine.state.notify == {}
