"""The rollout in the header, on every tab: "step 2/4 · 25% · bake 7:12 · gate closed"
(at 80 columns: "2/4 · 25% · 7:12 · closed").

Subscribes itself to the session's events and ticks once a second for the bake countdown;
it repaints only when its text changed.
"""

from __future__ import annotations

from tminus.engine.console import ConsoleEngine
from tminus.engine.rollout import format_bake
from tminus.engine.session import Event
from tminus.ui.signals import signals
from tminus.ui.widgets.live_text import LiveText

WIDE = 100  # columns from which the long form ("step 2/4 · 25% · bake 7:12 · gate closed") shows


class RolloutStatus(LiveText):
    DEFAULT_CSS = """
    RolloutStatus { width: auto; padding: 0 0 0 1; }
    RolloutStatus.closed { color: $warning; }
    RolloutStatus.open { color: $success; }
    RolloutStatus.failed { background: $error; color: white; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.engine = engine

    def on_mount(self) -> None:
        self.refresh_status()
        self.set_interval(1.0, self.refresh_status)
        signals(self).session_signal.subscribe(self, self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.type.startswith(("rollout.", "trigger.")):
            self.refresh_status()

    def refresh_status(self) -> None:
        ctl = self.engine.rollout
        if ctl is None:
            return
        st = ctl.rollout
        narrow = self.app.size.width < WIDE  # 80 columns: the short form still fits
        step = ctl.step_of(st.weight)
        parts = []
        if step:
            parts.append(
                f"{step}/{len(ctl.spec.steps)}" if narrow else f"step {step}/{len(ctl.spec.steps)}"
            )
        parts.append(f"{st.weight}%")
        bake = format_bake(ctl.bake_left())
        if bake:
            parts.append(bake if narrow or bake == "baked" else f"bake {bake}")
        gate = ctl.gate()
        if st.failed is not None:
            parts.append("FAILED")
        elif st.pending is not None:
            parts.append(f"→ {st.pending}%")
        elif narrow:
            parts.append("open" if gate.open else "closed")
        else:
            parts.append("gate open" if gate.open else "gate closed")
        text = " · ".join(parts)
        self.set_class(st.failed is not None, "failed")
        self.set_class(gate.open and st.failed is None, "open")
        self.set_class(not gate.open and st.failed is None, "closed")
        self.show(text)  # a layout pass only when its width changed
