"""Notifications through real loopback receivers: an HTTP endpoint (generic and Slack-style
webhooks), a real SMTP server (aiosmtpd) and a real command; retries with backoff, a
hanging channel, the schedule on an accelerated clock, and news from the console engine."""

from __future__ import annotations

import asyncio
import email
import itertools
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tminus.backends.factory import build_backends
from tminus.backends.notify import Notification, preview, probe
from tminus.core.clock import ScaledClock
from tminus.core.redact import REDACTED
from tminus.engine.console import ConsoleEngine
from tminus.engine.notify import Dispatcher
from tminus.engine.session import create_session, load_events
from tminus.engine.state import SessionState, fold
from tminus.plan.loader import PlanError, parse_plan

from console_factory import eventually
from fixtures.receivers import SMTPReceiver, WebhookReceiver

T0 = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
BASE = """
[launch]
name = "MusicConnect"
t0 = 2026-12-04T16:00:00Z

[[phases]]
id = "go"
title = "Go"
at = "0"
  [[phases.sections]]
  title = "Go"
    [[phases.sections.items]]
    title = "Ready"
    manual = true
    blocking = false

[[triggers]]
id = "declared"
title = "Data corruption"
manual = true
"""

RECORDER = """
import json, os, sys
with open(sys.argv[1], "a") as fh:
    call = {"argv": sys.argv[2:], "env": os.environ.get("TMINUS_NOTIFICATION", ""),
            "token": os.environ.get("HOOK_TOKEN", "")}
    fh.write(json.dumps(call) + "\\n")
"""


def plan_with(channels: str, status_every: str | None = None) -> object:
    comms = "\n[comms]\n" + (f'status_every = "{status_every}"\n' if status_every else "")
    return parse_plan(BASE + comms + channels, "plan.toml")


def note() -> Notification:
    return Notification(
        "status",
        "MusicConnect status T-00:10:00",
        ("line one", "line two"),
        {"summary": {"weight": 5}},
    )


async def dispatcher(plan, tmp_path: Path, *, speed: float = 1.0, env=None):
    session = create_session("notify", directory=tmp_path)
    state = SessionState()
    session.subscribe(lambda ev: None)
    d = Dispatcher(plan, state, ScaledClock(T0, speed), session=session, env=env)
    return d, session


def events(session, type_=None):
    out = load_events(session.path).events
    return [e for e in out if type_ is None or e.type == type_]


async def test_generic_webhook_gets_the_json_body_and_the_secret_header(tmp_path):
    with WebhookReceiver() as hook:
        plan = plan_with(
            f'[[comms.notify]]\nkind = "webhook"\nname = "ops"\nurl = "{hook.url}/hook"\n'
            'headers_env = { Authorization = "HOOK_TOKEN" }\n'
        )
        d, session = await dispatcher(plan, tmp_path, env={"HOOK_TOKEN": "Bearer s3cr3t-value"})
        ok = await d.deliver(plan.comms.notify[0], note())
        session.close(mark_closed=False)
        assert ok
        (req,) = hook.received("/hook")
        assert req.method == "POST"
        assert req.headers["Authorization"] == "Bearer s3cr3t-value"
        assert req.body["title"] == "MusicConnect status T-00:10:00"
        assert req.body["text"] == "line one\nline two"
        assert req.body["summary"] == {"weight": 5}
        (sent,) = events(session, "notify.sent")
        assert sent.data["channel"] == "ops" and sent.data["receipt"] == "HTTP 200"
        assert "s3cr3t-value" not in session.path.read_text()
        # the preview names the header but never its value
        shown = json.dumps(preview(plan.comms.notify[0], note()))
        assert "Authorization" in shown and "s3cr3t-value" not in shown


async def test_slack_style_webhook_gets_text_and_blocks_from_a_url_in_the_environment(tmp_path):
    with WebhookReceiver() as hook:
        plan = plan_with('[[comms.notify]]\nkind = "slack"\nname = "chat"\nurl_env = "SLACK_URL"\n')
        url = f"{hook.url}/hook"
        d, session = await dispatcher(plan, tmp_path, env={"SLACK_URL": url})
        assert await d.deliver(plan.comms.notify[0], note())
        session.close(mark_closed=False)
        (req,) = hook.received("/hook")
        assert req.body["text"].startswith("MusicConnect status T-00:10:00\nline one")
        assert req.body["blocks"][0] == {
            "type": "header",
            "text": {"type": "plain_text", "text": "MusicConnect status T-00:10:00"},
        }
        assert req.body["blocks"][1]["text"]["type"] == "mrkdwn"
        shown = json.dumps(preview(plan.comms.notify[0], note()))
        assert "$SLACK_URL" in shown and url not in shown


async def test_email_reaches_a_real_smtp_server(tmp_path):
    with SMTPReceiver() as smtp:
        plan = plan_with(
            '[[comms.notify]]\nkind = "email"\nname = "users"\nhost = "127.0.0.1"\n'
            f'port = {smtp.port}\nstarttls = false\nsender = "launch@example.com"\n'
            'to = ["ops@example.com", "users@example.com"]\n'
        )
        d, session = await dispatcher(plan, tmp_path)
        assert await d.deliver(plan.comms.notify[0], note())
        session.close(mark_closed=False)
        ((sender, rcpts, raw),) = smtp.messages
        assert sender == "launch@example.com"
        assert rcpts == ["ops@example.com", "users@example.com"]
        msg = email.message_from_bytes(raw)
        assert msg["Subject"] == "MusicConnect status T-00:10:00"
        assert msg.get_payload().splitlines() == ["line one", "line two"]
        (sent,) = events(session, "notify.sent")
        assert sent.data["receipt"] == "SMTP accepted 2 of 2"


async def test_command_channel_gets_argv_placeholders_the_json_and_env_from(tmp_path):
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    out = tmp_path / "calls.jsonl"
    argv = json.dumps([sys.executable, str(script), str(out), "{title}"])
    plan = plan_with(
        f'[[comms.notify]]\nkind = "command"\nname = "pager"\nargv = {argv}\n'
        'env_from = { HOOK_TOKEN = "PAGER_TOKEN" }\n'
    )
    d, session = await dispatcher(
        plan, tmp_path, env={"PAGER_TOKEN": "pager-secret-1", "PATH": "/usr/bin:/bin"}
    )
    assert await d.deliver(plan.comms.notify[0], note())
    session.close(mark_closed=False)
    (call,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert call["argv"] == ["MusicConnect status T-00:10:00"]
    assert json.loads(call["env"])["text"] == "line one\nline two"
    assert call["token"] == "pager-secret-1"  # the program gets it...
    assert "pager-secret-1" not in session.path.read_text()  # ...the log never does


async def test_a_failing_channel_retries_with_doubling_backoff_then_delivers(tmp_path):
    with WebhookReceiver() as hook:
        hook.fail_next = 2
        plan = plan_with(
            f'[[comms.notify]]\nkind = "webhook"\nname = "ops"\nurl = "{hook.url}/hook"\n'
            'retries = 3\nbackoff = "10s"\n'
        )
        # 10 s of backoff at speed 100 is 0.1 s of real time, 20 s is 0.2 s
        d, session = await dispatcher(plan, tmp_path, speed=100)
        assert await d.deliver(plan.comms.notify[0], note())
        session.close(mark_closed=False)
        reqs = hook.received("/hook")
        assert len(reqs) == 3
        gaps = [b.at - a.at for a, b in itertools.pairwise(reqs)]
        assert gaps[0] >= 0.09  # sleeps are lower bounds; the doubling is in the log below
        assert gaps[1] >= 0.19
        log = [
            (e.type, e.data["attempt"], e.data.get("retry_in"))
            for e in events(session)
            if e.type.startswith("notify.")
        ]
        assert log == [
            ("notify.failed", 1, 10.0),
            ("notify.failed", 2, 20.0),
            ("notify.sent", 3, None),
        ]
        state = fold(events(session))
        assert state.notify["ops"].status == "ok" and state.notify["ops"].sent == 1


async def test_a_channel_that_keeps_failing_gives_up_and_says_so(tmp_path):
    with WebhookReceiver() as hook:
        hook.fail_next = 100
        plan = plan_with(
            f'[[comms.notify]]\nkind = "webhook"\nname = "ops"\nurl = "{hook.url}/hook"\n'
            'retries = 2\nbackoff = "1s"\n'
        )
        d, session = await dispatcher(plan, tmp_path, speed=100)
        assert not await d.deliver(plan.comms.notify[0], note())
        session.close(mark_closed=False)
        assert len(hook.received("/hook")) == 3
        failed = events(session, "notify.failed")
        assert [e.data["final"] for e in failed] == [False, False, True]
        assert failed[-1].data["error"] == "HTTP 500: try again"
        state = fold(events(session))
        assert state.notify["ops"].status == "failed" and state.notify["ops"].failed == 1


async def test_a_hanging_channel_blocks_neither_the_caller_nor_the_other_channels(tmp_path):
    with WebhookReceiver() as hook:
        plan = plan_with(
            f'[[comms.notify]]\nkind = "webhook"\nname = "stuck"\nurl = "{hook.url}/hang"\n'
            'timeout = "30s"\n'
            f'[[comms.notify]]\nkind = "slack"\nname = "chat"\nurl = "{hook.url}/hook"\n'
        )
        d, session = await dispatcher(plan, tmp_path)
        d.start()
        try:
            assert d.enqueue(note()) == 2
            # the caller only enqueues: no channel has been reached yet when it returns
            assert hook.received("/hang") == [] and hook.received("/hook") == []
            await eventually(lambda: bool(events(session, "notify.sent")), "the other channel's")
            (sent,) = events(session, "notify.sent")
            assert sent.data["channel"] == "chat"
            assert len(hook.received("/hang")) == 1  # still waiting for its answer
        finally:
            await d.stop()
            session.close(mark_closed=False)


async def test_status_updates_follow_the_schedule_on_an_accelerated_clock(tmp_path):
    with WebhookReceiver() as hook:
        plan = plan_with(
            f'[[comms.notify]]\nkind = "webhook"\nname = "ops"\nurl = "{hook.url}/hook"\n',
            status_every="1m",
        )
        d, session = await dispatcher(plan, tmp_path, speed=300)  # a minute every 0.2 s
        d.start()
        try:
            await asyncio.sleep(1.1)
        finally:
            await d.stop()
            session.close(mark_closed=False)
        reqs = hook.received("/hook")
        assert 4 <= len(reqs) <= 6  # 1.1 s of real time is 5.5 minutes of launch time
        dues = [datetime.fromisoformat(r.body["due"]) for r in reqs]
        assert all((b - a).total_seconds() == 60 for a, b in itertools.pairwise(dues)), dues
        body = reqs[0].body
        assert body["topic"] == "status"
        assert body["summary"]["launch"] == "MusicConnect"
        assert body["summary"]["phases"][0]["title"] == "Go"
        assert "Rollout" not in body["text"]  # no [rollout] in this plan


async def test_the_engine_sends_news_at_once_and_send_now_from_the_writer_only(tmp_path):
    with WebhookReceiver() as hook:
        plan = plan_with(
            f'[[comms.notify]]\nkind = "webhook"\nname = "ops"\nurl = "{hook.url}/hook"\n'
            '[[comms.notify]]\nkind = "command"\nname = "quiet"\nargv = ["true"]\n'
            'on = ["rollback"]\n'
        )
        session = create_session("engine", directory=tmp_path)
        engine = ConsoleEngine(plan, build_backends(plan), session=session)
        engine.attach_loop(asyncio.get_running_loop())
        await engine.start(mode="run", plan_path="plan.toml", resumed=False)
        try:
            assert await engine.sign_off("go", "all good") == []
            await engine.declare_trigger("declared", "rows lost")
            engine.send_status_now()
        finally:
            await engine.shutdown()  # what was queued still goes out before it stops
        titles = [r.body["title"] for r in hook.received("/hook")]
        assert titles[0] == f"MusicConnect: Go signed off by {engine.actor}"
        assert titles[1].startswith("MusicConnect: rollback trigger DECLARED: Data corruption")
        assert titles[2].startswith("MusicConnect status T")
        assert hook.received("/hook")[1].body["event"]["note"] == "rows lost"
        sent = [e.data["channel"] for e in events(session, "notify.sent")]
        assert sent == ["ops", "ops", "ops"]  # "quiet" wants rollback news only

        follower = ConsoleEngine(plan, build_backends(plan), session=None, read_only=True)
        assert follower.notifier is None
        from tminus.engine.console import ReadOnlyError

        with pytest.raises(ReadOnlyError):
            follower.send_status_now()


async def test_probes_send_nothing(tmp_path):
    with WebhookReceiver() as hook, SMTPReceiver() as smtp:
        plan = plan_with(
            f'[[comms.notify]]\nkind = "slack"\nname = "chat"\nurl = "{hook.url}/hook"\n'
            '[[comms.notify]]\nkind = "email"\nname = "mail"\nhost = "127.0.0.1"\n'
            f'port = {smtp.port}\nstarttls = false\nsender = "a@example.com"\n'
            'to = ["b@example.com"]\n'
            '[[comms.notify]]\nkind = "command"\nname = "gone"\nargv = ["no-such-notifier-xyz"]\n'
            '[[comms.notify]]\nkind = "webhook"\nname = "down"\nurl = "http://127.0.0.1:9/x"\n'
            'timeout = "2s"\n'
        )
        chat, mail, gone, down = plan.comms.notify
        assert "HTTP 200" in await probe(chat)
        assert "250" in await probe(mail)
        from tminus.backends.notify import NotifyError

        with pytest.raises(NotifyError, match="not found on PATH"):
            await probe(gone)
        with pytest.raises(NotifyError, match="cannot reach"):
            await probe(down)
        assert [r.method for r in hook.requests] == ["HEAD"]
        assert smtp.messages == []


def test_bad_channels_are_named_by_file_line_and_field():
    with pytest.raises(PlanError) as err:
        plan_with(
            '[[comms.notify]]\nkind = "slack"\nname = "chat"\nurl = "ftp://x"\n'
            '[[comms.notify]]\nkind = "email"\nname = "chat"\nhost = "h"\nsender = "a@b"\nto = []\n'
            '[[comms.notify]]\nkind = "pigeon"\nname = "p"\n'
        )
    text = [str(p) for p in err.value.problems]
    assert any(
        t.startswith("plan.toml:") and "comms.notify[0].url: must start with http" in t
        for t in text
    ), text
    assert any("comms.notify[1].to: name at least one recipient" in t for t in text), text
    assert any("comms.notify[2].kind: unknown kind 'pigeon'" in t for t in text), text
    lines = {p.field: p.line for p in err.value.problems}
    assert (
        lines["comms.notify[0].url"] == BASE.count("\n") + 6
    )  # [comms], [[comms.notify]], kind, name, url


def test_redaction_marker_is_the_shared_one():
    assert REDACTED == "[redacted]"
