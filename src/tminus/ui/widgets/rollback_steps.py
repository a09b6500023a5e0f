"""The plan's rollback steps with live status, duration and the tail of their output."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Static

from tminus.core.durations import format_duration
from tminus.engine.console import ConsoleEngine
from tminus.engine.rollback_state import StepRun
from tminus.engine.session import Event
from tminus.ui.markup import escape
from tminus.ui.signals import signals
from tminus.ui.widgets.trigger_states import clock_time, firing_for

SYMBOLS = {
    "pending": ("·", "$text-muted"),
    "running": ("⟳", "$accent"),
    "done": ("✔", "$success"),
    "failed": ("✘", "$error"),
    "skipped": ("-", "$warning"),
    "interrupted": ("!", "$error"),
}
TAIL = 4  # output lines shown under a running or failed step


def _duration(engine: ConsoleEngine, run: StepRun) -> str:
    if run.status == "running" and run.started:
        return firing_for(engine, run.started)
    if run.duration_s is None:
        return ""
    return format_duration(timedelta(seconds=round(run.duration_s)))


def status_line(engine: ConsoleEngine) -> str:
    rb = engine.state.rollback
    name = escape(engine.plan.launch.name)
    if rb.phase == "completed":
        return (
            f"[b $success]ROLLED BACK[/] {escape(rb.outcome)} · {clock_time(rb.completed_at or '')}"
        )
    if rb.phase == "aborted":
        by = escape(str(rb.aborted_by))
        return f"[b $error]ROLLBACK ABORTED[/] by {by}: {escape(rb.abort_reason)}"
    if rb.phase == "armed":
        fired = ", ".join(rb.triggers) or "no trigger firing"
        return (
            f"[b $error]ARMED[/] by {escape(str(rb.armed_by))} at {clock_time(rb.armed_at or '')}"
            f" · {escape(rb.reason)} · triggers: {escape(fired)}"
        )
    if engine.read_only:
        return "Not armed. [dim]This console is read-only: it cannot arm a rollback.[/dim]"
    return f"Not armed. [dim]Press a to arm: type the launch name ({name}) and a reason.[/dim]"


def steps_text(engine: ConsoleEngine) -> str:
    runner = engine.rollback
    current = runner.current() if engine.state.rollback.phase == "armed" else None
    lines = [status_line(engine), "", "[b]Rollback steps[/b]"]
    for n, step in enumerate(runner.steps, 1):
        run = runner.run_of(step.id)
        symbol, colour = SYMBOLS.get(run.status, ("?", "$text"))
        flags = [
            f
            for f, on in (
                ("dangerous", step.dangerous),
                ("optional", step.optional),
                ("added", step.addition),
            )
            if on
        ]
        extra = f" [dim]\\[{', '.join(flags)}][/dim]" if flags else ""
        pointer = "▶" if current is step else " "
        status = run.status if run.status != "pending" else ""
        took = _duration(engine, run)
        tail = f" {status} {took}".rstrip()
        title = f"{n}. {escape(step.title)} [dim]({step.kind})[/dim]{extra}"
        lines.append(f" {pointer}[{colour}]{symbol}[/] {title}[{colour}]{escape(tail)}[/]")
        if run.note:
            lines.append(f"      [dim]{escape(run.note)}[/dim]")
        if run.status in ("running", "failed", "interrupted"):
            for line in runner.output(step.id)[-TAIL:]:
                lines.append(f"      [dim]│ {escape(line)}[/dim]")
    return "\n".join(lines)


class RollbackSteps(Static):
    DEFAULT_CSS = "RollbackSteps { height: auto; }"

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.engine = engine
        self._text = ""

    def on_mount(self) -> None:
        self.refresh_steps()
        signals(self).session_signal.subscribe(self, self._on_event)
        self.engine.rollback.subscribe(self._on_output)
        self._ticker = self.set_interval(1.0, self._tick, pause=True)  # while shown

    def on_show(self) -> None:
        self._ticker.resume()
        self.refresh_steps()

    def on_hide(self) -> None:
        self._ticker.pause()

    def _on_event(self, event: Event) -> None:
        if event.type.startswith(("rollback.", "session.")):
            self.refresh_steps()

    def _on_output(self, step_id: str) -> None:
        if self.is_attached:
            self.refresh_steps()

    def _tick(self) -> None:
        if self.engine.rollback.running is not None:  # the running step's duration moves
            self.refresh_steps()

    def refresh_steps(self) -> None:
        text = steps_text(self.engine)
        if text != self._text:
            self._text = text
            self.update(text)
