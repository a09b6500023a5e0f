"""Notifications: status updates on the plan's schedule, and word at once when the launch
moves (a phase signed off, a rollout step, a trigger, the rollback).

Each channel has its own queue and worker, so a channel that hangs or fails delays nobody:
the console only enqueues. A failed delivery is retried with doubling backoff. Every
attempt's outcome is a session event (`notify.sent`, `notify.failed`), which is how the
header and the log know each channel's state. No Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tminus.backends.notify import (
    Notification,
    NotifyError,
    channel_kind,
    channel_name,
    preview,
    send,
    wants,
)
from tminus.core.clock import Clock
from tminus.core.redact import scrub
from tminus.engine.session import Event
from tminus.engine.state import SessionState
from tminus.engine.summary import status_lines, summarize
from tminus.plan.model import Notifier, Plan

if TYPE_CHECKING:
    from tminus.engine.session import SessionWriter

log = logging.getLogger(__name__)
QUEUE_LIMIT = 50  # per channel: a channel down for hours keeps the newest, not everything
MAX_BACKOFF = 300.0
STOP_GRACE_S = 2.0

# session event type -> notification topic, for the events that go out at once
IMMEDIATE = {
    "phase.signed_off": "phase",
    "rollout.applied": "rollout",
    "rollout.failed": "rollout",
    "trigger.fired": "trigger",
    "trigger.declared": "trigger",
    "trigger.acknowledged": "trigger",
    "trigger.cleared": "trigger",
    "rollback.armed": "rollback",
    "rollback.completed": "rollback",
    "rollback.aborted": "rollback",
}

Sender = Callable[[Notifier, Notification], Awaitable[str]]
Values = Callable[[], dict[str, float | None]]


def status_update(
    plan: Plan, state: SessionState, now: datetime, values: dict[str, float | None] | None = None
) -> Notification:
    s = summarize(plan, state, now, values)
    firing = " - TRIGGER FIRING" if s.firing else ""
    return Notification(
        "status",
        f"{s.launch} status {s.tminus}: {s.phase}{firing}",
        tuple(status_lines(s)),
        {"summary": s.to_dict()},
    )


def event_notification(plan: Plan, state: SessionState, event: Event) -> Notification | None:
    """What to say at once about an event; None for events that are not news."""
    topic = IMMEDIATE.get(event.type)
    if topic is None:
        return None
    d = event.data
    launch = plan.launch.name
    who = f" by {event.actor}" if event.actor else ""
    note = f": {d['note']}" if d.get("note") else ""
    if topic == "phase":
        pid = str(d.get("phase"))
        title = next((p.title for p in plan.phases if p.id == pid), pid)
        head = f"{launch}: {title} signed off{who}"
    elif topic == "rollout":
        if event.type == "rollout.failed":
            head = f"{launch}: rollout step failed: {d.get('error', '')}"
        else:
            head = f"{launch}: traffic to the new version now {d.get('weight')}%{who}"
    elif topic == "trigger":
        tid = str(d.get("trigger"))
        title = next((t.title for t in plan.triggers if t.id == tid), tid)
        verb = {
            "trigger.fired": "FIRED",
            "trigger.declared": "DECLARED",
            "trigger.acknowledged": "acknowledged",
            "trigger.cleared": "cleared",
        }[event.type]
        value = f" (value {d['value']})" if d.get("value") is not None else ""
        head = f"{launch}: rollback trigger {verb}: {title}{value}{who if verb != 'FIRED' else ''}"
    else:
        what = event.type.split(".", 1)[1]
        reason = f": {d['reason']}" if d.get("reason") else ""
        head = f"{launch}: rollback {what}{who}{reason}"
    lines = (head + note,)
    facts = {"event": {"type": event.type, "seq": event.seq, "ts": event.ts, **d}}
    return Notification(topic, head, lines, scrub(facts))


class Dispatcher:
    """Sends the plan's notifications; lives as long as the writable console."""

    def __init__(
        self,
        plan: Plan,
        state: SessionState,
        clock: Clock,
        *,
        session: SessionWriter | None,
        actor: str | None = None,
        values: Values | None = None,
        env: Mapping[str, str] | None = None,
        sender: Sender | None = None,
    ) -> None:
        self.plan = plan
        self.state = state
        self.clock = clock
        self.session = session
        self.actor = actor
        self.values = values
        self.channels: tuple[Notifier, ...] = plan.comms.notify
        self.env = env
        self._sender: Sender = sender or (lambda ch, note: send(ch, note, self.env))
        self._queues: dict[str, asyncio.Queue[Notification]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._schedule_task: asyncio.Task[None] | None = None
        self.next_status_at: datetime | None = None
        self.offline: list[dict[str, Any]] = []  # outcomes when there is no session (tests)

    # ------------------------------------------------------------ what would be sent
    def status_update(self) -> Notification:
        values = self.values() if self.values is not None else None
        return status_update(self.plan, self.state, self.clock.now(), values)

    def previews(self, note: Notification | None = None) -> list[dict[str, Any]]:
        note = note or self.status_update()
        return [preview(ch, note) for ch in self.channels if wants(ch, note.topic)]

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        loop = asyncio.get_running_loop()
        for ch in self.channels:
            name = channel_name(ch)
            queue: asyncio.Queue[Notification] = asyncio.Queue(QUEUE_LIMIT)
            self._queues[name] = queue
            self._tasks.append(loop.create_task(self._worker(ch, queue), name=f"notify-{name}"))
        if self.plan.comms.status_every is not None and self.channels:
            self._schedule_task = loop.create_task(self._schedule(), name="notify-schedule")
            self._tasks.append(self._schedule_task)

    async def stop(self, grace: float = STOP_GRACE_S) -> None:
        """Give what is queued a moment to go out (news of a sign-off just before quitting),
        then stop; a channel still failing after `grace` seconds is left behind."""
        if self._schedule_task is not None:
            self._schedule_task.cancel()  # nothing new while the queues drain
        queues = [q.join() for q in self._queues.values()]
        if queues and grace > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*queues), grace)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    # ------------------------------------------------------------ intake
    def observe(self, event: Event) -> None:
        """A folded session event; news goes out at once (never waits here)."""
        note = event_notification(self.plan, self.state, event)
        if note is not None:
            self.enqueue(note)

    def send_status_now(self) -> Notification:
        note = self.status_update()
        self.enqueue(note)
        return note

    def enqueue(self, note: Notification) -> int:
        """Queue for every channel that wants this topic; returns how many."""
        n = 0
        for ch in self.channels:
            queue = self._queues.get(channel_name(ch))
            if queue is None or not wants(ch, note.topic):
                continue
            if queue.full():  # drop the oldest: the newest state matters most
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(note)
            n += 1
        return n

    async def _schedule(self) -> None:
        every = self.plan.comms.status_every
        assert every is not None
        due = self.clock.now()
        while True:
            # anchored to the start: a slow wake-up delays one update, never all the next
            due += every
            self.next_status_at = due
            wait = (due - self.clock.now()).total_seconds()
            if wait > 0:
                await self.clock.sleep(wait)
            note = self.status_update()
            self.enqueue(replace(note, facts={**note.facts, "due": due.isoformat()}))

    # ------------------------------------------------------------ delivery
    async def _worker(self, ch: Notifier, queue: asyncio.Queue[Notification]) -> None:
        while True:
            note = await queue.get()
            try:
                await self.deliver(ch, note)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug in one delivery must not end the channel
                log.exception("notification to %s failed unexpectedly", channel_name(ch))
            finally:
                queue.task_done()

    async def deliver(self, ch: Notifier, note: Notification) -> bool:
        """Send with retries; record every attempt. True when delivered."""
        retries = ch.retries
        backoff = ch.backoff.total_seconds()
        timeout = ch.timeout.total_seconds()
        base = {
            "channel": channel_name(ch),
            "kind": channel_kind(ch),
            "topic": note.topic,
            "title": note.title,
        }
        for attempt in range(1, retries + 2):
            try:
                # the sender has its own timeout; this one bounds a sender that ignores it
                receipt = await asyncio.wait_for(self._sender(ch, note), timeout + 5)
            except (NotifyError, TimeoutError) as exc:
                error = str(exc) or "timed out"
                last = attempt > retries
                delay = 0.0 if last else min(backoff * 2 ** (attempt - 1), MAX_BACKOFF)
                await self._record(
                    "notify.failed",
                    **base,
                    attempt=attempt,
                    error=error,
                    final=last,
                    retry_in=delay,
                )
                if last:
                    return False
                await self.clock.sleep(delay)
                continue
            await self._record("notify.sent", **base, attempt=attempt, receipt=receipt)
            return True
        return False

    async def _record(self, type_: str, **data: Any) -> None:
        if self.session is None or self.session.closed:
            self.offline.append({"type": type_, **scrub(data)})
            return
        try:
            await self.session.emit(type_, actor=None, **data)
        except Exception:  # the log's own failure is reported by the console, not here
            log.exception("cannot record %s", type_)
