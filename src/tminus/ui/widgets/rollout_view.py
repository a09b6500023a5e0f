"""The Rollout tab: the slider over 0 and the plan's steps, the gate, regions and versions.

←/→ choose a target, enter previews, confirms and applies. The widget keeps only the
target the commander is choosing and the versions last read back; the weight, step, bake
timer and failures come from the folded session state.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType

from tminus.actions.actuators.base import ReadBack
from tminus.engine.console import ConsoleEngine
from tminus.engine.refusals import ReadOnlyError
from tminus.engine.rollout import RolloutController, RolloutRefused, format_bake
from tminus.engine.session import Event
from tminus.ui.intents import run_intent
from tminus.ui.keys import ROLLOUT_BINDINGS, ROLLOUT_MUTATING
from tminus.ui.screens.rollout_confirm import RolloutConfirm
from tminus.ui.signals import signals
from tminus.ui.widgets.in_view import in_view
from tminus.ui.widgets.live_text import LiveText
from tminus.ui.widgets.theme_style import theme_style

POLICY = {
    "hold": "on trigger: HOLD (stays, no moving up)",
    "zero": "on trigger: ZERO (tminus sets 0% at once)",
}
CELL = 9  # columns per slider stop: fits 0 + four steps in 80 columns


class RolloutView(LiveText, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [*ROLLOUT_BINDINGS]
    DEFAULT_CSS = """
    RolloutView { height: auto; padding: 0 1; }
    RolloutView:focus { background: $boost; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        # wraps: a gate reason may wrap at 60 columns, so any edit may change the height
        super().__init__("", wraps=True, **kw)
        self.engine = engine
        self.target: int | None = None
        self.versions: list[ReadBack] = []

    @property
    def ctl(self) -> RolloutController | None:
        return self.engine.rollout

    def on_mount(self) -> None:
        self.refresh_view()
        # off screen the tab costs nothing: no ticks, no redraws; it catches up when shown
        self._ticker = self.set_interval(1.0, self.refresh_view, pause=True)
        signals(self).session_signal.subscribe(self, self._on_event)
        signals(self).metric_signal.subscribe(self, self._on_metric, immediate=True)
        self.read_versions()

    def on_show(self) -> None:
        self._ticker.resume()
        self.refresh_view()

    def on_hide(self) -> None:
        self._ticker.pause()

    def _on_metric(self, _metric_id: str) -> None:
        if in_view(self):  # is_on_screen may lay out the whole screen on a hidden tab
            self.refresh_view()

    def _on_event(self, event: Event) -> None:
        if event.type.startswith(("rollout.", "trigger.")):
            if event.type == "rollout.applied":
                self.target = None
                self.read_versions()
            self.refresh_view()
            self.refresh_bindings()

    def read_versions(self) -> None:
        # a newer read-back supersedes one still under way
        run_intent(
            self,
            self._read_versions,
            "Reading the versions back",
            group="rollout-read",
            exclusive=True,
        )

    async def _read_versions(self) -> None:
        if self.ctl is not None and self.ctl.actuator.can_read:
            self.versions = await self.ctl.read_back()
            self.refresh_view()

    # ------------------------------------------------------------ keys
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ROLLOUT_MUTATING and (self.ctl is None or self.engine.read_only):
            return False  # not offered at all in a read-only console
        if action in ("rollout_retry", "rollout_back"):
            return self.ctl is not None and self.ctl.rollout.failed is not None
        return True

    def chosen(self) -> int:
        assert self.ctl is not None
        if self.target is not None:
            return self.target
        return self.ctl.rollout.weight

    def action_rollout_choose(self, delta: int) -> None:
        if self.ctl is None:
            return
        ladder = list(self.ctl.ladder)
        current = self.chosen()
        at = ladder.index(current) if current in ladder else 0
        self.target = ladder[max(0, min(len(ladder) - 1, at + delta))]
        self.refresh_view()

    def action_rollout_apply(self) -> None:
        if self.ctl is None:
            return
        target = self.chosen()
        if target == self.ctl.rollout.weight and self.ctl.rollout.failed is None:
            self.notify(f"Traffic is already at {target}%. Choose a target with ← →.")
            return
        self.apply(target)

    def action_rollout_retry(self) -> None:
        if self.ctl is not None and self.ctl.rollout.failed is not None:
            self.apply(int(self.ctl.rollout.failed["weight"]))

    def action_rollout_back(self) -> None:
        if self.ctl is not None and self.ctl.rollout.failed is not None:
            self.apply(int(self.ctl.rollout.failed["previous"]))

    def apply(self, target: int) -> None:
        # preview, confirm (a modal waited for: needs a worker), apply, read back, record
        run_intent(
            self,
            partial(self._apply, target),
            f"Moving traffic to {target}%",
            group="rollout",
            exclusive=True,
        )

    async def _apply(self, target: int) -> None:
        ctl = self.ctl
        assert ctl is not None
        move = ctl.judge(target)
        changes = await ctl.preview(target)
        kind = str(getattr(ctl.spec.actuator, "kind", ""))
        reason = await self.app.push_screen_wait(RolloutConfirm(move, changes, actuator=kind))
        if reason is None:
            self.notify("Cancelled: nothing was changed.", timeout=3)
            return
        try:
            event = await ctl.apply(target, reason=reason)
        except (RolloutRefused, ReadOnlyError) as exc:
            self.notify(f"Refused: {exc}", severity="error", markup=False)
            return
        if event.type == "rollout.failed":
            self.notify(
                f"Partly failed: {event.data.get('error')}. t retries, b returns.",
                severity="error",
                markup=False,  # the actuator's own words: brackets shown as written
                timeout=15,
            )
        else:
            self.notify(f"Traffic at {target}%, read back in every region.", timeout=4)

    # ------------------------------------------------------------ drawing
    def _style(self, style: str) -> str:
        """'bold $warning' -> 'bold <the theme's warning colour>'."""
        return " ".join(theme_style(self.app, part) for part in style.split())

    def refresh_view(self) -> None:
        self.show(self.render_text())  # draws only what changed

    def render_text(self) -> Text:
        ctl = self.ctl
        if ctl is None:
            return Text("This plan has no [rollout]: add steps, bake and an actuator.")
        st = ctl.rollout
        out = Text()
        kind = str(getattr(ctl.spec.actuator, "kind", ""))
        out.append(f"Canary traffic · {kind} · ", style="bold")
        out.append(POLICY[ctl.spec.on_trigger] + "\n", style=self._style("bold $warning"))
        target = self.chosen()
        labels, bar = Text("  "), Text("  ")
        for w in ctl.ladder:
            label = f"[{w}%]" if w == target and w != st.weight else f"{w}%"
            style = "bold reverse" if w == st.weight else ("bold underline" if w == target else "")
            labels.append(label.center(CELL), style=style)
            filled = w <= st.weight
            mark = "●" if w == st.weight else ("▲" if w == target else ("━" if filled else "─"))
            line = ("━" if filled else "─") * (CELL // 2)
            bar.append(line + mark + ("━" if w < st.weight else "─") * (CELL // 2))
        out.append_text(labels)
        out.append("\n")
        out.append_text(bar)
        out.append("\n")
        steps = len(ctl.spec.steps)
        step = ctl.step_of(st.weight)
        out.append(f"Applied {st.weight}%", style="bold")
        out.append(f" (step {step}/{steps})" if step else " (before step 1)")
        if target != st.weight:
            out.append(f" · target {target}%", style="bold")
        bake = format_bake(ctl.bake_left())
        if bake:
            total = format_bake(ctl.spec.bake.total_seconds())
            out.append(" · baked" if bake == "baked" else f" · bake {bake} of {total}")
        if st.pending is not None:
            out.append(f" · applying {st.pending}%…", style="bold")
        out.append("\n")
        gate = ctl.gate()
        if gate.open:
            out.append("Gate OPEN", style=self._style("bold $success"))
            out.append(": the next step may go up\n")
        else:
            out.append("Gate CLOSED", style=self._style("bold $warning"))
            out.append(" (moving up needs an override with a reason)\n")
            for reason in gate.reasons:
                out.append(f"  · {reason}\n")
        if target != st.weight and not self.engine.read_only:
            move = ctl.judge(target)
            if move.direction == "up" and move.needs_override:
                skips = [r for r in move.reasons if r.startswith("skips")]
                why = skips[0] if skips else "the gate is closed"
                out.append(f"  {target}% needs an override: {why}\n", style=self._style("$warning"))
        if st.failed is not None:
            out.append(f"FAILED moving to {st.failed['weight']}%", style=self._style("bold $error"))
            out.append(f" · t retries · b returns to {st.failed['previous']}%\n")
            for region, err in st.failed["errors"].items():
                out.append(f"  ✘ {region}: {err}\n", style=self._style("$error"))
        out.append("Regions: ")
        regions = st.regions or {r: None for r in ctl.actuator.regions}
        for region, weight in regions.items():
            off = weight is None or weight != st.weight
            out.append(f"{region} ", style="")
            out.append(
                "?" if weight is None else f"{weight}%",
                style=self._style("bold $error") if off else "bold",
            )
            out.append("  ")
        out.append("\n")
        if st.drift:
            out.append("Drift: changed outside tminus: ", style=self._style("bold $error"))
            out.append(", ".join(f"{r} {w}%" for r, w in st.drift.items()) + "\n")
        if not ctl.actuator.can_read:
            out.append("No read-back: the weight sent is trusted; drift cannot be seen\n")
        known = [rb for rb in self.versions if rb.stable or rb.canary]
        if known:
            rb = known[0]
            out.append(f"Versions: stable {rb.stable or '?'} · canary {rb.canary or '?'}\n")
        if st.held:
            out.append(
                f"Held: trigger {st.held} fired during this step\n", style=self._style("$warning")
            )
        if st.override:
            out.append(f"Current weight was an override: {st.override}\n", style="dim")
        if self.engine.read_only:
            out.append("Read-only: this console shows the rollout and changes nothing.")
        else:
            out.append("← → choose a target · enter previews and applies", style="dim")
        return out
