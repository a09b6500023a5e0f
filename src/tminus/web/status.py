"""The live status page: one reader follows the session file and folds it; each change is
rendered once and pushed to every observer over server-sent events.

An observer costs an open socket and a small queue, not a process: the follower, the fold
and the rendering are shared. The page is drawn with the report's parts
(`tminus.report.status_page`); beside the fold the hub keeps only what those parts
need and the fold does not hold: the latest decisions, each metric's recent values.
A slow observer only ever holds the newest message (its queue keeps one), so it can
never make the others, or the reader, wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tminus.engine.follow import read_new
from tminus.engine.recording import read_recording
from tminus.engine.session import Event
from tminus.engine.snapshot import refresh_snapshot
from tminus.engine.state import SessionState, apply
from tminus.engine.summary import Summary, summarize
from tminus.plan.model import Plan
from tminus.report.model import RECENT, Collector, Entry, entry_of
from tminus.report.status_page import DECISIONS, body_html, page_html

if TYPE_CHECKING:  # aiohttp is loaded by `tminus serve` when it starts serving
    from aiohttp import web

TYPES = Collector.TYPES  # the events that are decisions on the page
HEARTBEAT_S = 15.0  # a comment line keeps proxies from closing an idle stream
GONE_CHECK_S = 1.0  # how soon an observer that left stops costing anything


class StatusHub:
    def __init__(
        self,
        plan: Plan,
        path: Path,
        *,
        interval: float = 0.5,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.plan = plan
        self.path = path
        self.interval = interval
        self.now = now or (lambda: datetime.now(UTC))
        self.state = SessionState()
        self._offset = 0
        self._observers: set[asyncio.Queue[str]] = set()
        self._message = ""
        self._task: asyncio.Task[None] | None = None
        self.renders = 0  # how many times the body was rendered (once per change)
        # what the fold does not keep: the latest decisions and each metric's recent values
        self.decisions: deque[Entry] = deque(maxlen=DECISIONS)
        self.history: dict[str, deque[float]] = {}

    @property
    def observers(self) -> int:
        return len(self._observers)

    def summary(self) -> Summary:
        return summarize(self.plan, self.state, self.now())

    # ------------------------------------------------------------ the one reader
    async def start(self) -> None:
        await asyncio.to_thread(self._load)
        self._render()
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for queue in list(self._observers):
            self._offer(queue, "")  # tells each stream to end

    async def _follow(self) -> None:
        while True:
            events, self._offset = await asyncio.to_thread(read_new, self.path, self._offset)
            fresh = [e for e in events if e.seq > self.state.last_seq]
            if fresh:
                for event in fresh:
                    self._apply(event)
                self._render()
                for queue in list(self._observers):
                    self._offer(queue, self._message)
            await asyncio.sleep(self.interval)

    def _load(self) -> None:
        """The session so far: from its snapshot (state, index, samples) and the lines
        after it, not every line; the latest decisions are read at their offsets."""
        decisions: list[Event] = []
        rec = read_recording(self.path, decisions.append, final_only=True, visit_types=TYPES)
        self.state = rec.final
        latest: list[Entry] = []
        for event in reversed(decisions):
            entry = entry_of(event, self.plan, self.state)
            if entry is not None:
                latest.append(entry)
                if len(latest) == DECISIONS:
                    break
        self.decisions.extend(reversed(latest))
        for metric, samples in rec.samples.items():
            self.history[metric] = deque(samples.values[-RECENT:], maxlen=RECENT)
        self._offset = rec.size
        refresh_snapshot(rec)  # a log nobody resumed is read in full once only

    def _apply(self, event: Event) -> None:
        apply(self.state, event)
        if event.type == "metric.sample":
            value = event.data.get("value")
            if isinstance(value, int | float) and not isinstance(value, bool):
                metric = str(event.data.get("metric"))
                self.history.setdefault(metric, deque(maxlen=RECENT)).append(float(value))
            return
        entry = entry_of(event, self.plan, self.state)
        if entry is not None:
            self.decisions.append(entry)

    def data(self) -> dict[str, Any]:
        """The page as data (`/status.json`): its decisions are the page's rows, newest first."""
        latest = [asdict(e) for e in reversed(self.decisions)]
        return {"seq": self.state.last_seq, **self.summary().to_dict(), "decisions": latest}

    def body(self) -> str:
        return body_html(self.summary(), list(self.decisions), self.history)

    def _render(self) -> None:
        self.renders += 1
        payload = {"seq": self.state.last_seq, "html": self.body()}
        self._message = f"event: state\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"

    @staticmethod
    def _offer(queue: asyncio.Queue[str], message: str) -> None:
        if queue.full():  # a slow observer skips to the newest state
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
        queue.put_nowait(message)

    # ------------------------------------------------------------ HTTP
    async def page(self, request: web.Request) -> web.Response:
        from aiohttp import web

        html = page_html(self.summary(), self.state.last_seq, list(self.decisions), self.history)
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def snapshot(self, request: web.Request) -> web.Response:
        from aiohttp import web

        return web.json_response(self.data())

    async def events(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        self._observers.add(queue)
        try:
            await response.write(b"retry: 2000\n\n" + self._message.encode())
            quiet = 0.0
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), GONE_CHECK_S)
                except TimeoutError:
                    # a browser that left is noticed here, not only at the next write
                    transport = request.transport
                    if transport is None or transport.is_closing():
                        break
                    quiet += GONE_CHECK_S
                    if quiet >= HEARTBEAT_S:
                        quiet = 0.0
                        await response.write(b": keep-alive\n\n")
                    continue
                if not message:
                    break
                quiet = 0.0
                await response.write(message.encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._observers.discard(queue)
        return response

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/status", self.page)
        app.router.add_get("/status.json", self.snapshot)
        app.router.add_get("/status/events", self.events)

        async def on_startup(_app: web.Application) -> None:
            await self.start()

        async def on_cleanup(_app: web.Application) -> None:
            await self.stop()

        app.on_startup.append(on_startup)
        app.on_shutdown.append(on_cleanup)
