"""The rollback triggers with their live state: firing since when and for how long, the
value now (not the value it fired at), which series fired, who acknowledged, cleared or
withdrew it. Subscribes itself to session events and metric polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.widgets import Static

from tminus.core.durations import format_duration
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import Event
from tminus.engine.state import TriggerState
from tminus.plan.model import Trigger
from tminus.ui.hanging import hang_lines
from tminus.ui.markup import escape
from tminus.ui.signals import signals
from tminus.ui.widgets.format import format_metric
from tminus.ui.widgets.in_view import in_view


def _time(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def clock_time(ts: str) -> str:
    return _time(ts).astimezone(UTC).strftime("%H:%M UTC")


def firing_for(engine: ConsoleEngine, ts: str) -> str:
    seconds = max(0, int((engine.wall_now() - _time(ts)).total_seconds()))
    return format_duration(timedelta(seconds=seconds))


def live_value(engine: ConsoleEngine, trig: Trigger) -> str | None:
    """The metric's latest polled value, formatted; None without one."""
    if not trig.metric or engine.poller is None:
        return None
    series = engine.poller.series.get(trig.metric)
    if series is None or series.last_value is None:
        return None
    return format_metric(series.last_value, engine.plan.metric(trig.metric).unit)


def series_text(st: TriggerState) -> str:
    """Which series fired, by their labels: "region=eu-west" (two at most, then +N)."""
    series = st.firing_series()
    shown = [",".join(f"{k}={v}" for k, v in sorted(a.labels.items())) for a in series[:2]]
    text = "; ".join(s for s in shown if s)
    if text and len(series) > 2:
        text += f" +{len(series) - 2}"
    return text


def firing_details(engine: ConsoleEngine, trig: Trigger, st: TriggerState) -> list[str]:
    """now 6.1% · since 16:42 UTC (for 2m10s) · {region=us} · ack by a@b: note"""
    parts = []
    value = live_value(engine, trig)
    if value is not None:
        parts.append(f"now {value}")
    if st.since:
        parts.append(f"since {clock_time(st.since)} (for {firing_for(engine, st.since)})")
    if series := series_text(st):
        parts.append(f"in {series}")
    if trig.manual and st.note:
        parts.append(f"declared by {st.actor}: {st.note}")
    if st.acknowledged is not None:
        note = f": {st.acknowledged.note}" if st.acknowledged.note else ""
        parts.append(f"ack by {st.acknowledged.actor}{note}")
    return parts


def trigger_line(engine: ConsoleEngine, trig: Trigger) -> str:
    st = engine.state.triggers.get(trig.id)
    title = escape(trig.title)
    if st is not None and st.firing:
        details = " · ".join(escape(p) for p in firing_details(engine, trig, st))
        return f"[b $error]● FIRING[/] [b]{title}[/b]  {details}"
    rule = (
        "declared by a person"
        if trig.manual
        else f"{trig.metric} {trig.when} for {trig.hold.total_seconds():g}s"
    )
    after = ""
    if st is not None and st.withdrawn is not None:
        after = f" · withdrawn by {st.withdrawn.actor}: {st.withdrawn.note}"
    elif st is not None and st.cleared is not None:
        by = f" by {st.cleared.actor}" if st.cleared.actor else ""
        note = f": {st.cleared.note}" if st.cleared.note else ""
        after = f" · cleared {clock_time(st.cleared.ts)}{by}{note}"
    value = live_value(engine, trig)
    now = f" · now {value}" if value is not None else ""
    return f"[$success]○ quiet[/]  {title}  [dim]{escape(rule + now + after)}[/dim]"


LEAD = 2  # a trigger line's indent
STATE = len("○ quiet  ")  # its wrapped lines go under the title, past the state


def triggers_text(engine: ConsoleEngine) -> str:
    lines = ["[b]Rollback triggers[/b]"]
    lines += [f"{' ' * LEAD}{trigger_line(engine, t)}" for t in engine.plan.triggers]
    return "\n".join(lines)


class TriggerStates(Static):
    DEFAULT_CSS = "TriggerStates { height: auto; }"

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.engine = engine
        self._text = ""
        self._shown = ""  # the text as wrapped
        self._width = 0
        self._watched = engine.plan.trigger_metrics()

    def on_mount(self) -> None:
        self.refresh_states()
        signals(self).session_signal.subscribe(self, self._on_event)
        signals(self).metric_signal.subscribe(self, self._on_metric, immediate=True)
        self.set_interval(1.0, self._tick)

    def _on_event(self, event: Event) -> None:
        if event.type.startswith("trigger."):
            self.refresh_states()

    def _on_metric(self, metric_id: str) -> None:
        # off screen (a hidden tab) it waits: every poll of a trigger's metric changes the
        # live value shown, and each redraw was a layout pass of the whole screen
        if metric_id in self._watched and in_view(self):
            self.refresh_states()

    def on_show(self) -> None:
        self.refresh_states()

    def _tick(self) -> None:
        if self.engine.state.firing and self.is_on_screen:  # "for 2m10s" moves
            self.refresh_states()

    def on_resize(self) -> None:
        self.refresh_states()  # wrapped again at the new width

    def refresh_states(self) -> None:
        width = self.content_region.width
        text = triggers_text(self.engine)
        if text != self._text or width != self._width:
            # at 60 columns a trigger takes two lines: its second half at the left edge
            # read as a line of its own ("now 86.5%" above the next trigger's state)
            shown = hang_lines(text, width, STATE)
            # a layout pass only when the shape changed (a longer line may wrap)
            relayout = _shape(shown.plain) != _shape(self._shown) or width != self._width
            self._text, self._shown, self._width = text, shown.plain, width
            self.update(shown, layout=relayout)


def _shape(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return (len(lines), max(len(line) for line in lines))
