"""Runs a plan's checks: bounded concurrency, timeouts, retries, and a durable record.

Each check's start and finish are session events. A cancelled check is recorded as
skipped. Errors, timeouts and no data are never reported as a pass.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import functools
import importlib
import secrets
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from tminus.backends.base import BackendError, Backends
from tminus.checks.base import CheckContext, backend_error_result, check_function, error_result
from tminus.core.results import CheckResult, Outcome
from tminus.engine.gate import Gate
from tminus.engine.pacer import Pacer
from tminus.engine.session import SYSTEM_ACTOR
from tminus.plan.checkspecs import CheckSpec
from tminus.plan.model import Item, Phase, Plan, Section

if TYPE_CHECKING:
    from tminus.engine.events import EventData
    from tminus.engine.session import EventLog
    from tminus.engine.state import SessionState

MAX_BACKOFF = 30.0
WINDOW = 2  # check tasks alive at once, as a multiple of the concurrency
# A check that may act (a command, an http request other than GET/HEAD/OPTIONS) runs only
# once its check.started is on disk. Read-only probes queue it and go on: check.finished
# is written only after the start is known durable, and no gate slot waits on the disk.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def may_act(spec: CheckSpec) -> bool:
    if spec.kind == "command":
        return True
    method = getattr(spec, "method", None)
    return spec.kind == "http" and str(method).upper() not in READ_ONLY_METHODS


# checks starting, and results being recorded, per turn of the event loop: each is a few
# hundred microseconds of work, so a turn stays within a few milliseconds (see Pacer)
PACE = 16
HELD_ERROR = "error "  # an error held back as inconclusive by consecutive_errors
Listener = Callable[[str, CheckResult | None], None]  # item id, result (None: started)
# For a watched run: whether this result goes to the session log (else only to `listener`)
RecordPolicy = Callable[[str, CheckResult], bool]


class CheckRunner:
    def __init__(
        self,
        plan: Plan,
        backends: Backends,
        *,
        session: EventLog | None = None,
        concurrency: int | None = None,
        state: SessionState | None = None,
        listener: Listener | None = None,
    ) -> None:
        self.plan = plan
        self.backends = backends
        self.session = session
        self.gate = Gate(concurrency or plan.settings.concurrency)
        self.pacer = Pacer(PACE)
        self.listener = listener
        self._tasks: set[asyncio.Task[CheckResult]] = set()
        self._preloaded: set[str] = set()
        self._generation = 0
        self._index: dict[str, tuple[Phase, Section, Item]] = {
            item.id: (phase, section, item) for phase, section, item in plan.items()
        }
        # consecutive errors per item, carried over from a resumed session
        self._errors: dict[str, int] = {}
        if state is not None:
            for item_id, st in state.items.items():
                n = 0
                for _, res in reversed(st.history):
                    if res.outcome is not Outcome.ERROR and not res.message.startswith(HELD_ERROR):
                        break
                    n += 1
                self._errors[item_id] = n

    def automated(self, item_ids: Iterable[str] | None = None) -> list[str]:
        ids = list(self._index) if item_ids is None else list(item_ids)
        for i in ids:
            if i not in self._index:
                raise KeyError(i)
        return [i for i in ids if self._index[i][2].check is not None]

    async def run(
        self,
        item_ids: Iterable[str] | None = None,
        *,
        actor: str | None = None,
        record: RecordPolicy | None = None,
        listener: Listener | None = None,
    ) -> dict[str, CheckResult]:
        """Run the automated checks among `item_ids` (default: all) and return their results.
        `actor` is who asked; runs nobody asked for (scheduled) are attributed to tminus.

        With `record`, the run is quiet (a watched re-run): no check.started, and a result
        is written only when `record` says so; `listener` hears every result.

        Tasks are created as the gate admits work, at most WINDOW x the concurrency alive at
        once: 10,000 queued checks cost 10,000 small ids, not 10,000 tasks created in one go
        (which stalled the event loop and held a task's memory per check for the whole run).
        """
        run_id = secrets.token_hex(4)
        who = actor or SYSTEM_ACTOR
        ids = self.automated(item_ids)
        await self.preload({self._index[i][2].check.kind for i in ids})  # type: ignore[union-attr]
        generation = self._generation
        window = asyncio.Semaphore(WINDOW * self.gate.limit)
        live: set[asyncio.Task[CheckResult]] = set()
        out: dict[str, CheckResult] = {}
        all_done = asyncio.Event()

        def finished(item_id: str, task: asyncio.Task[CheckResult]) -> None:
            window.release()
            live.discard(task)
            self._tasks.discard(task)
            out[item_id] = _outcome(task)
            if not live and len(out) == len(ids):
                all_done.set()

        started = 0
        try:
            for n, item_id in enumerate(ids):
                if self._generation != generation:  # cancelled: the rest never start
                    break
                await window.acquire()
                if n % 256 == 255:
                    await asyncio.sleep(0)  # let running checks breathe between batches
                task = asyncio.create_task(self._run_item(item_id, run_id, who, record, listener))
                started += 1
                live.add(task)
                self._tasks.add(task)
                task.add_done_callback(functools.partial(finished, item_id))
            if started < len(ids):
                for item_id in self._skip_unstarted(ids[started:], run_id, record, listener):
                    out[item_id] = CheckResult(Outcome.SKIPPED, "cancelled")
            if len(out) < len(ids):
                await all_done.wait()
        except asyncio.CancelledError:
            for task in list(live):
                task.cancel()
            self._skip_unstarted(ids[started:], run_id, record, listener)
            raise
        return {i: out[i] for i in ids}

    def _skip_unstarted(
        self,
        ids: list[str],
        run_id: str,
        record: RecordPolicy | None,
        listener: Listener | None,
    ) -> list[str]:
        """Checks a cancelled run never started are recorded as skipped, like those it
        interrupted: tasks are created only as the gate admits work, so these have none."""
        listener = listener or self.listener
        for item_id in ids:
            if record is None and self.session is not None and not self.session.closed:
                # no await while being cancelled: queued, the writer thread makes it durable
                spec = self._index[item_id][2].check
                self.session.submit(
                    "check.finished",
                    item=item_id,
                    run=run_id,
                    kind=spec.kind if spec is not None else "",
                    result=CheckResult(Outcome.SKIPPED, "cancelled before it started").to_dict(),
                )
            if listener:
                listener(item_id, CheckResult(Outcome.SKIPPED, "cancelled before it started"))
        return ids

    async def preload(self, kinds: set[str]) -> None:
        """Import what these check kinds need in a worker thread, before any check starts.

        The first import of aiohttp builds TLS defaults in C, holding the GIL for ~0.1 s:
        paid here, it delays the start; paid mid-run, it stalled every check in flight.
        """
        new = kinds - self._preloaded
        if not new:
            return
        self._preloaded |= new

        def load() -> None:
            # the event schema classes too: kept off the first frame's path, but imported
            # by the first check on the loop they stalled it for tens of milliseconds
            importlib.import_module("tminus.engine.events")
            for kind in new:
                check_function(kind)
                backend = getattr(self.backends, CheckSpec.KINDS[kind].BACKEND, None)
                warm = getattr(backend, "preload", None)
                if warm is not None:
                    warm()

        await asyncio.to_thread(load)

    async def run_one(self, item_id: str) -> CheckResult:
        return (await self.run([item_id]))[item_id]

    def cancel(self) -> None:
        """Stop every running check promptly; each is recorded as skipped."""
        self._generation += 1  # runs still feeding start no more checks
        for task in list(self._tasks):
            task.cancel()

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def _run_item(
        self,
        item_id: str,
        run_id: str,
        actor: str,
        record: RecordPolicy | None = None,
        own_listener: Listener | None = None,
    ) -> CheckResult:
        phase, _, item = self._index[item_id]
        spec = item.check
        assert spec is not None
        gate = self.gate.exclusive() if spec.exclusive else self.gate.shared()
        listener = own_listener or self.listener
        # the schema classes load with the first check, not on the first frame's path
        from tminus.engine.events import CheckFinished, CheckStarted

        started: concurrent.futures.Future[Any] | None = None
        try:
            async with gate:
                await self.pacer.turn()  # a hundred admitted at once start over a few turns
                if record is None and self.session is not None:
                    # typed: checked by construction, so the writer skips the schema walk
                    event = CheckStarted(item=item_id, run=run_id, kind=spec.kind, phase=phase.id)
                    started = self.session.submit(event, actor)
                    if may_act(spec):  # on disk before it runs
                        await asyncio.wrap_future(started)
                if listener:
                    listener(item_id, None)
                result = await self._attempts(spec)
                result = self._apply_consecutive(item_id, spec, result)
                # the one redaction step: the screen, the log, stdout, JSON and JUnit all
                # receive this result, so none of them ever sees a secret a server echoed
                result = result.redacted()
            await self.pacer.turn()  # answers arrive in bursts: record them over a few turns
        except asyncio.CancelledError:
            skipped = CheckResult(Outcome.SKIPPED, "cancelled before it finished")
            if record is not None:
                raise  # a watched re-run that never finished leaves nothing to record
            if self.session is not None and not self.session.closed:
                # no await while being cancelled: queue it, the writer thread makes it durable
                self.session.submit(
                    "check.finished",
                    item=item_id,
                    run=run_id,
                    kind=spec.kind,
                    result=skipped.to_dict(),
                )
            if listener:
                listener(item_id, skipped)
            raise
        if started is not None:  # long since on disk, as a rule: then no wait at all
            if not started.done():
                await asyncio.wrap_future(started)
            started.result()  # a failed write of the start fails the check's record too
        if record is None or record(item_id, result):
            await self._record(
                CheckFinished(item=item_id, run=run_id, kind=spec.kind, result=result.to_dict())
            )
        if listener:
            listener(item_id, result)
        return result

    async def _record(self, event: EventData, actor: str | None = None) -> None:
        if self.session is not None:
            await self.session.emit(event, actor)

    def _timeout(self, spec: CheckSpec) -> float:
        td = spec.timeout or self.plan.settings.check_timeout
        return td.total_seconds()

    async def _attempts(self, spec: CheckSpec) -> CheckResult:
        attempts = 1 + spec.retries
        delay = spec.backoff.total_seconds()
        result = CheckResult(Outcome.SKIPPED)
        for n in range(1, attempts + 1):
            result = await self._attempt(spec)
            if result.outcome.ok or n == attempts:
                # a copy only when the count differs (not for the usual first try)
                return result if result.attempts == n else dataclasses.replace(result, attempts=n)
            await asyncio.sleep(min(delay * 2 ** (n - 1), MAX_BACKOFF))
        return result

    async def _attempt(self, spec: CheckSpec) -> CheckResult:
        timeout = self._timeout(spec)
        ctx = CheckContext(backends=self.backends, timeout=timeout)
        started = time.monotonic()
        try:
            fn = check_function(spec.kind)
            async with asyncio.timeout(timeout):
                return await fn(spec, ctx)
        except TimeoutError:
            return error_result(f"timed out after {timeout:g}s", started)
        except BackendError as exc:
            return backend_error_result(exc, started)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a check must not take the console down
            return error_result(
                f"internal error in {spec.kind} check: {type(exc).__name__}: {exc}", started
            )

    def _apply_consecutive(self, item_id: str, spec: CheckSpec, result: CheckResult) -> CheckResult:
        if result.outcome is not Outcome.ERROR:
            self._errors[item_id] = 0
            return result
        n = self._errors.get(item_id, 0) + 1
        self._errors[item_id] = n
        if n < spec.consecutive_errors:
            return dataclasses.replace(
                result,
                outcome=Outcome.INCONCLUSIVE,
                message=(
                    f"{HELD_ERROR}{n} of {spec.consecutive_errors} consecutive before it counts: "
                    f"{result.message}"
                ),
            )
        return result


def _outcome(task: asyncio.Task[CheckResult]) -> CheckResult:
    if task.cancelled():
        return CheckResult(Outcome.SKIPPED, "cancelled")
    exc = task.exception()
    if exc is None:
        return task.result()
    # _run_item turns every exception into a result; this is a last net
    return CheckResult(Outcome.ERROR, f"internal error: {exc!r}")
