"""No planted secret ever reaches the console's screen. A plan names a secret in every
`*_env` field it has (Prometheus token, an http check's header, a command check's and a
rollback command's environment, the rollout webhook's header, a chat webhook's URL); a
loopback server echoes every request's headers back in its answers, and a command check
prints its secret. The real console runs the checks, then every tab, the check detail,
the rollback screen and its dry run are read as text and searched for every form of
every secret."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from textual.widgets import TabbedContent

from screen_lines import screen_lines
from tminus.commands.console import prepare_run
from tminus.plan.loader import load_plan
from tminus.ui.app import TminusApp

from console_factory import until
from fixtures.echo_server import forms

SECRETS = {
    "PILOT_PROM_TOKEN": "pilot-PROM/aa+11=zz-7777",
    "PILOT_HTTP_SECRET": "pilot-HTTP/bb+22=yy-7777",
    "PILOT_CMD_SECRET": "pilot-CMD/cc+33=xx-7777",
    "PILOT_HOOK_TOKEN": "pilot-HOOK/dd+44=ww-7777",
}


PLAN = """
[launch]
name = "Secrets"
t0 = 2026-12-04T16:00:00Z

[backends.prometheus]
url = "{echo}/prom"
token_env = "PILOT_PROM_TOKEN"

[[phases]]
id = "pre"
title = "Pre-Launch"
at = "-1d"
  [[phases.sections]]
  title = "Echoes"
    [[phases.sections.items]]
    id = "http-echo"
    title = "HTTP echo"
    check.kind = "http"
    check.url = "{echo}/echo"
    check.headers_env = {{ X-Api-Key = "PILOT_HTTP_SECRET" }}
    check.expect = 'status == 201'
    [[phases.sections.items]]
    id = "command-prints"
    title = "Command prints its secret"
    check.kind = "command"
    check.argv = [{python}, "-c", "import os, sys; print('plain', os.environ['S']); sys.exit(3)"]
    check.env_from = {{ S = "PILOT_CMD_SECRET" }}
    check.expect = "exit_code == 0"

[[metrics]]
id = "errors"
title = "Error rate"
query = "sum(rate(errors_total[1m]))"
ok = "< 1"

[rollout]
steps = [5, 50]
[rollout.actuator]
kind = "webhook"
url = "{echo}/flag"
headers_env = {{ Authorization = "PILOT_HOOK_TOKEN" }}

[[rollback.steps]]
title = "Flush with a token"
[rollback.steps.action]
kind = "command"
argv = ["true"]
env_from = {{ TOKEN = "PILOT_CMD_SECRET" }}

[[rollback.steps]]
title = "Maintenance page"
[rollback.steps.action]
kind = "webhook"
url = "{echo}/maintenance"
headers_env = {{ Authorization = "PILOT_HOOK_TOKEN" }}

[comms]
status_every = "30m"
[[comms.notify]]
kind = "webhook"
name = "ops-hook"
url = "{echo}/hook"
headers_env = {{ Authorization = "PILOT_HOOK_TOKEN" }}
"""


async def test_no_planted_secret_on_any_screen(tmp_path: Path, echo_url: str, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.format(echo=echo_url, python=json.dumps(sys.executable)))
    prepared = prepare_run(load_plan(path), str(path), read_only=False, new=True)
    app = TminusApp(prepared.engine, remember_theme=False, on_start=prepared.start)
    screens: dict[str, str] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("a")  # run every check of the phase
        for _ in range(100):
            await app.workers.wait_for_complete()
            await pilot.pause(0.05)
            items = prepared.engine.state.items
            if all(
                items.get(i) is not None and items[i].last is not None
                for i in ("http-echo", "command-prints")
            ):
                break
        poller = prepared.engine.poller
        assert poller is not None
        await until(  # a metric poll against the echoing Prometheus, or nothing is tested
            pilot,
            lambda: all(s.state != "waiting" for s in poller.series.values()),
            "every metric polled",
        )
        tabs = app.screen.query_one(TabbedContent)
        count = len(tabs.query("TabPane"))
        for n in range(1, count + 1):
            await pilot.press(str(n))
            await pilot.pause()
            screens[f"tab {n}"] = "\n".join(screen_lines(app))
        await pilot.press("3", "right", "enter")  # the rollout's preview of its change
        for _ in range(50):  # the preview waits on the confirmation: no waiting for workers
            await pilot.pause(0.05)
            if "PILOT_HOOK_TOKEN" in "\n".join(screen_lines(app)):
                break
        screens["rollout preview"] = "\n".join(screen_lines(app))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("1")
        for row in range(4):  # every row's detail pane
            await pilot.press("down")
            await pilot.pause()
            screens[f"detail {row}"] = "\n".join(screen_lines(app))
        await pilot.press("x")  # the rollback screen, then its dry run
        await pilot.pause()
        screens["rollback"] = "\n".join(screen_lines(app))
        await pilot.press("p")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screens["rollback dry run"] = "\n".join(screen_lines(app))
        await pilot.press("escape")
        await pilot.pause()
        await prepared.engine.shutdown()
    joined = "\n".join(screens.values())
    # the secrets did travel to the screen, redacted: the command printed its own
    assert "plain [redacted]" in joined, screens
    assert "Flush with a token" in screens["rollback dry run"], screens["rollback dry run"]
    assert "Authorization: $PILOT_HOOK_TOKEN" in screens["rollout preview"]  # masked
    leaks = [
        f"{name} as {form!r} on {where}"
        for name, secret in SECRETS.items()
        for form in forms(secret)
        for where, text in screens.items()
        if form in text
    ]
    assert not leaks, "\n".join(leaks)
