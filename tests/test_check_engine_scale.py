"""What the check engine does to stay cheap at 10,000 checks without changing what it
records: a check's start is queued (a command's is on disk before it runs), bursts are
paced over turns of the event loop, one scrub per result, the batch GC settings."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tminus.backends.factory import build_backends
from tminus.core import gc_policy
from tminus.core.redact import _SECRET_WORD, REDACTED, _may_name_secret
from tminus.core.results import CheckResult, Outcome
from tminus.engine import session as session_module
from tminus.engine.pacer import Pacer
from tminus.engine.runner import CheckRunner, may_act
from tminus.engine.session import create_session, load_events
from tminus.plan.loader import parse_plan

PLAN = """
[launch]
name = "Scale"
t0 = 2026-12-04T16:00:00Z
[settings]
concurrency = 4
check_timeout = "10s"
[[phases]]
id = "p"
title = "P"
at = "0"
[[phases.sections]]
title = "S"
"""


def item(title: str, check: str) -> str:
    return f'[[phases.sections.items]]\ntitle = "{title}"\ncheck = {{ {check} }}\n'


# ---------------------------------------------------------------- check.started
async def test_a_command_check_runs_only_once_its_start_is_on_disk(monkeypatch):
    # every event lingers 0.3 s in the writer before its write: a start that was only
    # queued is not yet in the file when the command reads it
    monkeypatch.setattr(session_module, "GROUP_DELAY", 0.3)
    monkeypatch.setattr(session_module, "BUSY_WITHIN", 1e9)
    session = create_session("scale")
    probe = 'import sys; sys.exit(b\\"check.started\\" not in open(sys.argv[1], \\"rb\\").read())'
    argv = f'"{sys.executable}", "-c", "{probe}", "{session.path}"'
    plan = parse_plan(PLAN + item("reads the log", f'kind = "command", argv = [{argv}]'))
    runner = CheckRunner(plan, build_backends(plan), session=session)
    (result,) = (await runner.run(actor="alice")).values()
    session.close()
    assert result.outcome is Outcome.PASS, result.message


@pytest.mark.parametrize(
    ("check", "acts"),
    [
        ('kind = "http", url = "http://127.0.0.1:9/"', False),
        ('kind = "http", url = "http://127.0.0.1:9/", method = "HEAD"', False),
        ('kind = "http", url = "http://127.0.0.1:9/", method = "POST"', True),
        ('kind = "http", url = "http://127.0.0.1:9/", method = "DELETE"', True),
        ('kind = "command", argv = ["true"]', True),
        ('kind = "tcp", host = "127.0.0.1", port = 9', False),
    ],
)
def test_only_a_check_that_may_act_waits_for_its_start_on_disk(check: str, acts: bool):
    plan = parse_plan(PLAN + item("c", check))
    (spec,) = [i.check for _, _, i in plan.items()]
    assert may_act(spec) is acts


async def test_every_finished_check_follows_its_start_with_the_actor(http_server):
    checks = "".join(
        item(f"c{i}", f'kind = "http", url = "{http_server.url}/slow?ms=20"') for i in range(12)
    )
    plan = parse_plan(PLAN + checks)
    session = create_session("scale")
    runner = CheckRunner(plan, build_backends(plan), session=session)
    results = await runner.run(actor="alice")
    session.close()
    await runner.backends.close()
    assert all(r.outcome is Outcome.PASS for r in results.values())
    events = load_events(session.path).events
    started = {e.data["item"]: e for e in events if e.type == "check.started"}
    finished = {e.data["item"]: e for e in events if e.type == "check.finished"}
    assert set(started) == set(finished) == set(results)
    for item_id, done in finished.items():
        begun = started[item_id]
        assert begun.seq < done.seq and begun.data["run"] == done.data["run"]
        assert begun.actor == "alice" and begun.data["phase"] == "p"


# ---------------------------------------------------------------- the pacer
async def run_in_turns(pacer: Pacer, steps: int) -> tuple[dict[int, int], list[int]]:
    """Start `steps` tasks at once, each passing the pacer once: how many passed in each
    turn of the loop, and in which order."""
    loop = asyncio.get_running_loop()
    turn = 0
    ticking = True

    def tick() -> None:  # one call per turn of the loop
        nonlocal turn
        turn += 1
        if ticking:
            loop.call_soon(tick)

    per_turn: dict[int, int] = {}
    order: list[int] = []

    async def step(n: int) -> None:
        await pacer.turn()
        per_turn[turn] = per_turn.get(turn, 0) + 1
        order.append(n)

    loop.call_soon(tick)
    await asyncio.gather(*(step(n) for n in range(steps)))
    ticking = False
    return per_turn, order


async def test_the_pacer_lets_a_limited_number_of_steps_through_per_turn():
    per_turn, order = await run_in_turns(Pacer(8), 100)
    assert sum(per_turn.values()) == 100
    assert max(per_turn.values()) <= 8
    assert order == list(range(100))  # in arrival order
    # the measure can fail: without a limit they all go in one turn
    unpaced, _ = await run_in_turns(Pacer(1000), 100)
    assert max(unpaced.values()) == 100


async def test_a_cancelled_step_does_not_stall_the_pacer():
    pacer = Pacer(2)
    for _ in range(2):
        await pacer.turn()
    waiting = asyncio.create_task(pacer.turn())
    later = asyncio.create_task(pacer.turn())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.wait_for(later, 1)  # admitted in a later turn despite the cancelled one


def test_a_pacer_used_again_on_a_new_loop_starts_afresh():
    pacer = Pacer(1)

    async def fill() -> None:
        await pacer.turn()
        asyncio.get_running_loop().stop()  # the loop ends before the pacer's reset runs

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(fill())
    finally:
        loop.close()
    assert pacer.used == 1  # full, and its reset was lost with that loop
    asyncio.run(asyncio.wait_for(pacer.turn(), 1))


# ---------------------------------------------------------------- one scrub per result
def test_a_redacted_result_is_not_scrubbed_again_but_a_changed_copy_is():
    result = CheckResult(Outcome.PASS, values={"headers": {"Authorization": "Bearer abc"}})
    clean = result.redacted()
    assert clean.to_dict()["values"]["headers"]["Authorization"] == REDACTED
    # dataclasses.replace may bring new values: the copy is scrubbed again
    changed = dataclasses.replace(clean, values={"password": "hunter2"})
    assert changed.to_dict()["values"]["password"] == REDACTED
    assert result.to_dict()["values"]["headers"]["Authorization"] == REDACTED
    assert clean == result.redacted()  # the marker is not part of equality


@given(
    st.lists(
        st.sampled_from(
            [
                "token",
                "secret",
                "password",
                "passwd",
                "api_key",
                "api-key",
                "apikey",
                "cookie",
                "authorization",
                "credential",
                "a",
                "x",
                "_",
                "-",
                "p",
                "ap",
                "k",
            ]
        )
        | st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-", max_size=6),
        max_size=8,
    )
)
def test_the_redaction_prefilter_never_misses_a_secret_word(parts: list[str]):
    low = "".join(parts)
    if _SECRET_WORD.search(low) is not None:
        assert _may_name_secret(low)


def test_a_kept_result_has_no_instance_dict():
    # a run keeps every result until it ends: a __dict__ each is ~100 bytes per check
    result = CheckResult(Outcome.PASS, "ok").redacted()
    assert not hasattr(result, "__dict__")
    assert result.to_dict()["outcome"] == "pass"


# ---------------------------------------------------------------- collector settings
def test_batch_gc_freezes_what_is_loaded_and_collects_young_objects_less_often():
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    kept = [object() for _ in range(10)]  # noqa: F841 - something to freeze
    try:
        gc_policy.for_batch()
        assert gc.get_threshold() == (gc_policy.BATCH_YOUNG_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > frozen
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def test_tminus_check_uses_the_batch_gc_settings():
    from tminus.commands import check

    assert "gc_policy.for_batch()" in __import__("inspect").getsource(check.main)


@pytest.mark.parametrize("limit", [0, -1])
def test_a_pacer_needs_room_for_one_step(limit: int):
    with pytest.raises(ValueError):
        Pacer(limit)


def test_the_event_schema_loads_in_the_preload_thread_not_on_the_loop(tmp_path):
    """The runner keeps the event schema off the first frame's path; the first check then
    imported it on the event loop, a stall of tens of milliseconds in every run's first
    tick. The preload (a worker thread, before any check starts) must load it."""
    import subprocess

    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN + item("a", 'kind = "tcp", host = "127.0.0.1", port = 9'))
    code = f"""
import asyncio, sys, threading
loaded_on = []
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "tminus.engine.events":
            loaded_on.append(threading.current_thread() is threading.main_thread())
        return None
sys.meta_path.insert(0, Watch())
from tminus.backends.factory import build_backends
from tminus.engine.runner import CheckRunner
from tminus.plan.loader import load_plan
plan = load_plan({str(plan)!r})
runner = CheckRunner(plan, build_backends(plan))
assert "tminus.engine.events" not in sys.modules, "imported with the runner"
asyncio.run(runner.run())
print(loaded_on)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0 and out.stdout.strip() == "[False]", out.stdout + out.stderr
