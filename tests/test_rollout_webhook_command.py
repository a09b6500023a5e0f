"""The webhook actuator against a loopback receiver, the command actuator with real
programs, and the registry: every actuator kind has an implementation and a demo one."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from tminus.actions.actuators import ACTUATORS, ActuatorError, build_actuator
from tminus.actions.actuators.demo import DemoWorldActuator
from tminus.actions.actuators.registry import factory
from tminus.backends.commands import LocalCommands
from tminus.backends.demo import make_world
from tminus.backends.factory import build_backends
from tminus.core.clock import FrozenClock
from tminus.plan.loader import default_plan
from tminus.plan.model import (
    Actuator,
    CommandActuator,
    DemoActuator,
    DemoConfig,
    GatewayApiActuator,
    IngressNginxActuator,
    WebhookActuator,
)

from fixtures._loop import AiohttpServerThread


class Receiver:
    """A feature-flag service stand-in: POST sets the weight, GET reads it."""

    def __init__(self) -> None:
        self.weight = 0
        self.seen: list[tuple[str, dict[str, str], object]] = []
        self.fail_with: int | None = None
        app = web.Application()
        app.router.add_route("*", "/flags/canary", self.handle)
        self.server = AiohttpServerThread("flag-receiver")
        self.port = self.server.start(app)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        self.seen.append((request.method, dict(request.headers), body))
        if self.fail_with:
            return web.Response(status=self.fail_with, text="flag service is read-only now")
        if request.method == "GET":
            return web.json_response({"flag": {"weight": self.weight}})
        assert isinstance(body, dict)
        self.weight = int(body["flag"]["weight"]) if "flag" in body else int(body["weight"])
        return web.json_response({"ok": True})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/flags/canary"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.stop()


async def test_webhook_posts_the_weight_and_reads_it_back(receiver):
    spec = WebhookActuator(
        kind="webhook",
        url=receiver.url,
        method="PUT",
        field_name="weight",
        read_url=receiver.url,
        headers_env={"Authorization": "FLAG_TOKEN"},
    )
    from tminus.actions.actuators.webhook import WebhookWeight

    act = WebhookWeight(spec, {"FLAG_TOKEN": "Bearer s3cret"})
    [change] = await act.preview(25)
    assert change.request == f"PUT {receiver.url}"
    assert '"weight": 25' in change.body
    assert "s3cret" not in change.body and "$FLAG_TOKEN" in change.body  # never shown
    await act.set_weight("default", 25)
    method, headers, body = receiver.seen[-1]
    assert method == "PUT" and body == {"weight": 25}
    assert headers["Authorization"] == "Bearer s3cret"
    assert headers["Content-Type"].startswith("application/json")
    # GET read-back is a separate request; here the answer nests the field
    spec2 = WebhookActuator(
        kind="webhook", url=receiver.url, read_url=receiver.url, field_name="flag.weight"
    )
    act2 = WebhookWeight(spec2, {})
    assert (await act2.read_weight("default")).weight == 25
    receiver.fail_with = 409
    with pytest.raises(ActuatorError, match="HTTP 409"):
        await act.set_weight("default", 50)
    assert receiver.weight == 25
    await act.close()
    await act2.close()


def recorder(tmp_path: Path) -> Path:
    script = tmp_path / "record.py"
    script.write_text(
        "import json, sys\n"
        f"open({str(tmp_path / 'argv.json')!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        f"open({str(tmp_path / 'weight')!r}, 'w').write(sys.argv[1].split('=')[-1])\n"
    )
    return script


async def test_command_substitutes_the_weight_as_one_argument_without_a_shell(tmp_path):
    script = recorder(tmp_path)
    spec = CommandActuator(
        kind="command",
        argv=(sys.executable, str(script), "--weight={weight}", "a b; rm -rf {weight}"),
        read_argv=(sys.executable, "-c", f"print(open({str(tmp_path / 'weight')!r}).read())"),
    )
    from tminus.actions.actuators.command import CommandWeight

    act = CommandWeight(spec, LocalCommands(), {})
    [change] = await act.preview(25)
    assert change.request == "argv (no shell)"
    assert " --weight=25 " in change.body and "'a b; rm -rf 25'" in change.body
    await act.set_weight("default", 25)
    argv = json.loads((tmp_path / "argv.json").read_text())
    assert argv == ["--weight=25", "a b; rm -rf 25"]  # one argument each, nothing ran
    assert (await act.read_weight("default")).weight == 25


async def test_command_failure_is_an_actuator_error(tmp_path):
    spec = CommandActuator(
        kind="command", argv=(sys.executable, "-c", "import sys; sys.exit('lb refused')")
    )
    from tminus.actions.actuators.command import CommandWeight

    act = CommandWeight(spec, LocalCommands(), {})
    with pytest.raises(ActuatorError, match="exit code 1: lb refused"):
        await act.set_weight("default", 5)
    assert not act.can_read


SAMPLES: dict[str, Actuator] = {
    "ingress-nginx": IngressNginxActuator(
        kind="ingress-nginx", context="prod-us-east", namespace="web", ingress="api-canary"
    ),
    "gateway-api": GatewayApiActuator(
        kind="gateway-api",
        context="prod-us-east",
        namespace="web",
        route="api",
        stable="s",
        canary="c",
    ),
    "webhook": WebhookActuator(kind="webhook", url="http://127.0.0.1:9/x"),
    "command": CommandActuator(kind="command", argv=("true", "{weight}")),
    "demo": DemoActuator(kind="demo"),
}


def test_every_actuator_kind_has_an_implementation_and_a_demo_one():
    assert set(Actuator.KINDS) == set(ACTUATORS) == set(SAMPLES)
    for kind, entry in ACTUATORS.items():
        assert Actuator.KINDS[kind] is entry.spec
        assert callable(factory(entry.build))


@pytest.mark.parametrize("kind", sorted(SAMPLES))
async def test_every_kind_runs_on_the_demo_world(kind):
    plan = default_plan()
    clock = FrozenClock(datetime(2026, 12, 4, tzinfo=UTC))
    world = make_world(DemoConfig(), plan.launch.t0, clock)
    act = build_actuator(SAMPLES[kind], build_backends(plan, world=world))
    assert isinstance(act, DemoWorldActuator)
    changes = await act.preview(25)
    assert changes and all(c.body for c in changes)
    await act.set_weight(act.regions[0], 25)
    assert world.weight == 25
    assert (await act.read_weight(act.regions[0])).weight == 25
