"""The engine behind the console: one plan, one session, the runner, and live state.

Views call intents (run, confirm, sign off, note) and subscribe to changes. Every change
arrives as a session event, folded on the event loop's thread, so views never race the
writer thread and every view sees the same state. No Textual here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tminus import __version__
from tminus.actions.actuators import build_actuator
from tminus.actions.steps.base import ActionContext
from tminus.backends.base import Backends
from tminus.core.clock import Clock, SystemClock
from tminus.core.records import record
from tminus.core.results import CheckResult, Outcome
from tminus.engine.criteria import Score, criterion_polls, scoreboard
from tminus.engine.event_basics import OUTCOMES
from tminus.engine.history import MetricSeries
from tminus.engine.metric_history import merged_history
from tminus.engine.metrics import MetricsPoller, is_stale, metric_state
from tminus.engine.refusals import ReadOnlyError as ReadOnlyError
from tminus.engine.rollback import RollbackRunner
from tminus.engine.rollout import RolloutController
from tminus.engine.runner import CheckRunner
from tminus.engine.session import Event, SessionWriter, current_actor
from tminus.engine.state import ItemState, SessionState, apply
from tminus.engine.trigger_lifecycle import TriggerLifecycle
from tminus.engine.triggers import TriggerWatcher, trigger_polls
from tminus.engine.watch import Watcher
from tminus.plan.model import Item, Phase, Plan

if TYPE_CHECKING:
    from tminus.backends.notify import Notification
    from tminus.engine.notify import Dispatcher

EventListener = Callable[[Event], None]

log = logging.getLogger(__name__)


@record(frozen=True)
class Blocker:
    """A blocking item that is not green, and why."""

    item: Item
    reason: str

    def __str__(self) -> str:
        return f"{self.item.title}: {self.reason}"


def item_status(item: Item, st: ItemState | None) -> str:
    """One word for an item's state: pass, fail, warn, error, inconclusive, skipped,
    running, pending (never run), manual (awaiting a person), confirmed."""
    if item.manual:
        return "confirmed" if st is not None and st.confirmed else "manual"
    if st is None:
        return "pending"
    if st.running:
        return "running"
    if st.last is None:
        return "pending"
    return str(st.last.outcome)


def is_green(item: Item, st: ItemState | None) -> bool:
    return item_status(item, st) in ("pass", "warn", "confirmed")


class ConsoleEngine:
    def __init__(
        self,
        plan: Plan,
        backends: Backends,
        *,
        session: SessionWriter | None,
        state: SessionState | None = None,
        clock: Clock | None = None,
        read_only: bool = False,
        actor: str | None = None,
    ) -> None:
        self.plan = plan
        self.backends = backends
        self.session = session
        self.state = state or SessionState()
        self.clock: Clock = clock or SystemClock()  # the launch's time: T-minus, holds
        self.wall_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # event time
        self.read_only = read_only or session is None
        self.actor = actor or current_actor()
        self._listeners: list[EventListener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._run_tasks: set[asyncio.Task[dict[str, CheckResult]]] = set()
        self.background: set[asyncio.Task[None]] = set()  # e.g. following another's session
        self.writer_gone: str | None = None  # a follower: the writer that quit (take over now)
        self._gone_listeners: list[Callable[[str], None]] = []
        self.runner = CheckRunner(plan, backends, session=session, state=self.state)
        writer = None if self.read_only else session
        self.triggers = TriggerWatcher(
            plan, self.state, self.clock, session=writer, actor=self.actor
        )
        self.watcher: Watcher | None = None
        if not self.read_only and any(p.watch_every(i) for p, _, i in plan.items()):
            self.watcher = Watcher(plan, self.runner, self.state, self.clock, self._wall)
        self.lifecycle = TriggerLifecycle(plan, self.state, self.actor)
        self.rollback = RollbackRunner(
            plan,
            self.state,
            session=writer,
            actor=self.actor,
            read_only=self.read_only,
            context=self.action_context,
            clock=self.clock,
        )
        self.poller: MetricsPoller | None = None
        # metric_states' cache: (series, (version, stale), verdict) per metric
        self._verdicts: dict[str, tuple[MetricSeries, tuple[int, bool], str]] = {}
        self.rollout: RolloutController | None = None
        if plan.rollout is not None:
            self.rollout = RolloutController(
                plan,
                build_actuator(plan.rollout.actuator, backends),
                self.state,
                self.clock,
                session=writer,
                actor=self.actor,
                read_only=self.read_only,
                metric_states=self.metric_states,
            )
        alert_triggers = any(t.alert for t in plan.triggers)
        if backends.metrics is not None and (
            plan.metrics or plan.success_criteria or alert_triggers
        ):
            self.poller = MetricsPoller(
                plan,
                backends.metrics,
                self.clock,
                session=writer,
                extra=criterion_polls(plan)
                + trigger_polls(plan, plan.settings.poll_interval.total_seconds()),
                firing=self.triggers.metric_firing,
                # a read-only console watches; only the writer judges and records triggers
                after_poll=None if self.read_only else self.triggers.observe,
                time_scale=float(getattr(self.clock, "speed", 1.0)),
            )

        # notifications go out from the one writable console, never from a follower
        self.notifier: Dispatcher | None = None
        if not self.read_only and plan.comms.notify:
            from tminus.engine.notify import Dispatcher

            self.notifier = Dispatcher(
                plan,
                self.state,
                self.clock,
                session=session,
                actor=self.actor,
                values=self.metric_values,
            )

    def _wall(self) -> datetime:
        return self.wall_now()  # late-bound: tests replace wall_now

    # ------------------------------------------------------------ wiring
    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start delivering events; call once from the loop that drives the views."""
        self._loop = loop
        if self.session is not None:
            self.session.subscribe_batch(self._from_writer)

    def subscribe(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    def subscribe_writer_gone(self, listener: Callable[[str], None]) -> None:
        """A read-only follower hears, once, that the session's writer quit."""
        self._gone_listeners.append(listener)

    def mark_writer_gone(self, previous: str) -> None:
        self.writer_gone = previous
        for listener in list(self._gone_listeners):
            listener(previous)

    def _from_writer(self, events: list[Event]) -> None:
        # writer thread -> event loop thread; state is only ever touched there. The batch is
        # scheduled before the emitters' futures resolve, so an awaited emit sees its fold.
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._ingest_all, events)

    def _ingest_all(self, events: list[Event]) -> None:
        for event in events:
            self.ingest(event)

    def ingest(self, event: Event) -> None:
        """Fold one event into the live state and tell the views (event loop thread only)."""
        if event.seq <= self.state.last_seq:
            return  # already folded (a follower may deliver an event twice)
        apply(self.state, event)
        fired = event.type in ("trigger.fired", "trigger.declared")
        # the writer reacts (hold or zero); a follower only shows
        if fired and self.rollout is not None and not self.read_only and self._loop is not None:
            task = self._loop.create_task(self._trigger_fired(str(event.data["trigger"])))
            self.background.add(task)
            task.add_done_callback(self.background.discard)
        if self.watcher is not None and event.type == "check.finished":
            st = self.state.items[str(event.data["item"])]
            if st.last is not None:
                self.watcher.observe_recorded(st.id, event.ts, st.last)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a view that is gone or broken must not stop the fold
                log.exception("session event listener failed on %s", event.type)
        if self.notifier is not None:
            self.notifier.observe(event)  # only enqueues: delivery never holds the fold

    def start_polling(self) -> None:
        if self.poller is not None:
            self.poller.start()
        if self.rollout is not None and not self.read_only and self._loop is not None:
            task = self._loop.create_task(self._watch_rollout())
            self.background.add(task)
            task.add_done_callback(self.background.discard)

    async def _watch_rollout(self) -> None:
        """Read the weight back every poll: drift (a hand-made change) is logged. The first
        read, right at start, checks a resumed session's weight against the world."""
        assert self.rollout is not None
        every = self.plan.settings.poll_interval.total_seconds()
        while True:
            try:
                await self.rollout.check_drift()
            except Exception:
                log.exception("rollout read-back failed")
            await asyncio.sleep(every)

    async def _trigger_fired(self, trigger_id: str) -> None:
        assert self.rollout is not None
        try:
            await self.rollout.on_trigger(trigger_id)
        except Exception:  # recorded as rollout.failed when the actuator failed
            log.exception("rollout reaction to trigger %s failed", trigger_id)

    def metric_states(self) -> dict[str, str]:
        """ok / warn / bad / no_data / error / stale / waiting for each metric, right now."""
        if self.poller is None:
            return {}
        out = {}
        for metric in self.plan.metrics:
            series = self.poller.series.get(metric.id)
            if series is not None:
                stale = self.poller.stale_after(metric.id)
                age = series.age()
                # judged again only when a poll changed the series or it went stale: the
                # rollout gate asks every second, for every metric of a 100-metric plan
                key = (series.version, is_stale(age, stale))
                known = self._verdicts.get(metric.id)
                # the series object is kept and compared: a replay swaps in new ones
                if known is None or known[0] is not series or known[1] != key:
                    verdict = metric_state(metric, series, stale, age)
                    known = self._verdicts[metric.id] = (series, key, verdict)
                out[metric.id] = known[2]
        return out

    async def start(
        self,
        *,
        mode: str,
        plan_path: str,
        resumed: bool,
        taken_over_from: str | None = None,
        **extra: Any,
    ) -> None:
        self.start_polling()
        if self.notifier is not None:
            self.notifier.start()
        if self.watcher is not None:
            self.watcher.start()
        if self.session is None:
            return
        if taken_over_from is not None:
            await self.session.emit(
                "session.taken_over",
                actor=self.actor,
                version=__version__,
                previous=taken_over_from,
                **self.timebase(),
            )
        elif resumed:
            await self.session.emit(
                "session.resumed", actor=self.actor, version=__version__, **self.timebase()
            )
        else:
            from tminus.engine.events import SessionStarted  # off the first frame's path

            started = SessionStarted.for_plan(
                self.plan,
                session=self.session.session_id,
                mode=mode,
                plan_path=plan_path,
                **{**extra, **self.timebase()},
            )
            await self.session.emit(started, actor=self.actor)
            if self.rollout is not None:
                try:
                    await self.rollout.record_start()
                except Exception:  # an unreachable cluster must not stop the console
                    log.exception("could not read the rollout weight at start")

    def timebase(self) -> dict[str, Any]:
        """The T-0 this console counts down to, as a wall-clock instant of the event
        timestamps: T-minus of an event is (ts - console_t0) * speed. The demo's clock
        starts shortly before the plan's T-0 (`t0`, kept) and may run faster."""
        speed = float(getattr(self.clock, "speed", 1.0))
        launch_now = self.clock.now()
        wall_now = self.wall_now()
        t0 = wall_now + (self.plan.launch.t0 - launch_now) / speed
        return {
            "console_t0": t0.astimezone(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "speed": speed,
        }

    async def close_session(self, outcome: str, note: str = "") -> Event:
        """End the launch session: `session.closed` with an outcome; nothing resumes it."""
        session = self._writable()
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        event = await session.emit(
            "session.closed", actor=self.actor, outcome=outcome, note=note, reason="ended"
        )
        for bg in list(self.background):
            bg.cancel()
        if self.poller is not None:
            await self.poller.stop()
        await asyncio.to_thread(session.close, mark_closed=False)
        return event

    async def shutdown(self) -> None:
        for bg in list(self.background):
            bg.cancel()
        if self.poller is not None:
            await self.poller.stop()
        if self.notifier is not None:
            await self.notifier.stop()
        if self.watcher is not None:
            await self.watcher.stop()
        for task in list(self._run_tasks):
            task.cancel()
        if self._run_tasks:
            await asyncio.gather(*self._run_tasks, return_exceptions=True)
        if self.rollout is not None:
            await self.rollout.close()
        await self.backends.close()
        if self.session is not None and not self.session.closed:
            # the session stays unfinished (resumable); only the lock is released
            await asyncio.to_thread(self.session.close, mark_closed=False)

    # ------------------------------------------------------------ queries
    def item_state(self, item_id: str) -> ItemState | None:
        return self.state.items.get(item_id)

    def status(self, item: Item) -> str:
        return item_status(item, self.state.items.get(item.id))

    def blockers(self, phase: Phase) -> list[Blocker]:
        out = []
        for _, item in phase.items():
            if not item.blocking:
                continue
            status = self.status(item)
            if status in ("pass", "warn", "confirmed"):
                continue
            reason = {
                "manual": "not confirmed yet",
                "pending": "not run yet",
                "running": "still running",
            }.get(status, status)
            st = self.state.items.get(item.id)
            if st and st.last and status not in ("pending", "running"):
                reason = f"{status}: {st.last.message}" if st.last.message else status
            out.append(Blocker(item, reason))
        return out

    def result_age(self, item_id: str) -> float | None:
        """Wall seconds since the item's newest result (a watched re-run counts), or None."""
        newest: datetime | None = None
        st = self.state.items.get(item_id)
        if st is not None and st.last_ts:
            newest = datetime.fromisoformat(st.last_ts.replace("Z", "+00:00"))
        if self.watcher is not None and item_id in self.watcher.latest:
            at = self.watcher.latest[item_id][0]
            newest = at if newest is None else max(newest, at)
        return None if newest is None else (self.wall_now() - newest).total_seconds()

    def stale(self, phase: Phase) -> list[tuple[Item, float]]:
        """Blocking checks whose newest result is older than the plan's `fresh_within`:
        green once, but not evidence now. A sign-off warns and offers to re-run them."""
        limit = self.plan.settings.fresh_within
        if limit is None:
            return []
        out = []
        for _, item in phase.items():
            if not item.blocking or item.check is None:
                continue
            age = self.result_age(item.id)
            if age is not None and age > limit.total_seconds():
                out.append((item, age))
        return out

    def progress(self, items: Iterable[Item]) -> tuple[int, int]:
        items = list(items)
        return sum(1 for i in items if is_green(i, self.state.items.get(i.id))), len(items)

    # ------------------------------------------------------------ intents
    def _writable(self) -> SessionWriter:
        if self.read_only or self.session is None:
            raise ReadOnlyError("read-only: this console cannot change the session")
        return self.session

    def run_checks(self, item_ids: Iterable[str]) -> asyncio.Task[dict[str, CheckResult]]:
        """Start checks in the background; the views follow them through events."""
        self._writable()
        ids = self.runner.automated(item_ids)
        task = asyncio.get_running_loop().create_task(self.runner.run(ids, actor=self.actor))
        self._run_tasks.add(task)
        task.add_done_callback(self._run_tasks.discard)
        return task

    async def confirm(self, item_id: str, note: str = "") -> Event:
        session = self._writable()
        _, _, item = self.plan.item(item_id)
        if not item.manual:
            raise ValueError(f"{item.title} is an automated check; run it instead")
        return await session.emit("item.confirmed", actor=self.actor, item=item_id, note=note)

    async def add_note(self, text: str, item_id: str | None = None) -> Event:
        session = self._writable()
        data: dict[str, Any] = {"text": text}
        if item_id:
            data["item"] = item_id
        return await session.emit("note.added", actor=self.actor, **data)

    @property
    def closed(self) -> bool:
        return self.state.closed or (self.session is not None and self.session.closed)

    async def sign_off(self, phase_id: str, note: str = "") -> list[Blocker]:
        """Sign a phase off (go). Refused, returning the blockers, while any blocking
        item is not green."""
        session = self._writable()
        phase = next(p for p in self.plan.phases if p.id == phase_id)
        blockers = self.blockers(phase)
        if blockers:
            # a refusal is a decision too: the retrospective asks what blocked the go
            await session.emit(
                "phase.signoff_refused",
                actor=self.actor,
                phase=phase_id,
                note=note,
                blockers=[{"item": b.item.id, "reason": b.reason} for b in blockers],
            )
            return blockers
        await session.emit("phase.signed_off", actor=self.actor, phase=phase_id, note=note)
        return []

    async def declare_trigger(self, trigger_id: str, note: str) -> None:
        self._writable()
        await self.triggers.declare(trigger_id, note)

    async def clear_trigger(self, trigger_id: str, note: str) -> None:
        """A person clears a manual trigger: it is over."""
        await self.lifecycle.clear(self._writable(), trigger_id, note)

    async def acknowledge_trigger(self, trigger_id: str, note: str) -> None:
        await self.lifecycle.acknowledge(self._writable(), trigger_id, note)

    async def withdraw_trigger(self, trigger_id: str, reason: str) -> None:
        """Take back a mistaken manual declaration."""
        await self.lifecycle.withdraw(self._writable(), trigger_id, reason)

    # ------------------------------------------------------------ rollback
    def action_context(self) -> ActionContext:
        """What rollback step actions run against: this plan's backends and rollout."""
        from tminus.engine.rollback_verify import PlanVerifier

        async def record(type_: str, **data: Any) -> None:
            await self._writable().emit(type_, actor=self.actor, **data)

        return ActionContext(
            plan=self.plan,
            backends=self.backends,
            clock=self.clock,
            record=record,
            rollout=self.rollout,
            verifier=PlanVerifier(self.plan, self.runner, self.backends.metrics),
        )

    async def confirm_criterion(self, criterion_id: str, note: str = "") -> Event:
        session = self._writable()
        crit = next(c for c in self.plan.success_criteria if c.id == criterion_id)
        if not crit.manual:
            raise ValueError(f"{crit.title} is measured; it cannot be confirmed by hand")
        return await session.emit(
            "criterion.confirmed", actor=self.actor, criterion=crit.id, note=note
        )

    def metric_history(self, metric_id: str, window: float) -> list[tuple[float, float]]:
        """The last `window` seconds of a metric (or criterion query), from the session's
        metric.sample events plus this console's live polls: what every chart shows."""
        end = self.clock.now().timestamp()
        series = self.poller.series.get(metric_id) if self.poller is not None else None
        return merged_history(
            self.state.samples.get(metric_id, ()),
            series.points if series is not None else (),
            start=end - window,
            end=end,
        )

    def send_status_now(self) -> Notification:
        """Queue a status update for every channel now (the Contacts tab's "send now")."""
        self._writable()
        if self.notifier is None:
            raise ValueError("the plan has no [[comms.notify]] channels")
        return self.notifier.send_status_now()

    def metric_values(self) -> dict[str, float | None]:
        """The poller's latest values, fresher than the log's once-a-minute samples."""
        if self.poller is None:
            return {}
        return {mid: s.last_value for mid, s in self.poller.series.items()}

    def scoreboard(self) -> list[Score]:
        series = self.poller.series if self.poller is not None else {}
        return scoreboard(self.plan, series, self.state)

    @property
    def any_running(self) -> bool:
        return any(st.running for st in self.state.items.values())

    def failing(self) -> list[str]:
        """Items whose last result is not green, in plan order."""
        return [
            item.id
            for _, _, item in self.plan.items()
            if self.status(item)
            in (str(Outcome.FAIL), str(Outcome.ERROR), str(Outcome.INCONCLUSIVE))
        ]
