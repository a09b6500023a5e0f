"""What people do with a trigger once it fires: acknowledge it (by whom, with a note),
clear a manual one (the person says it is over, with a note), withdraw a mistaken
declaration (with the reason). Each is a session event; firing and clearing by the data
stay with the trigger watcher."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tminus.engine.state import SessionState, TriggerState
from tminus.plan.model import Plan, Trigger

if TYPE_CHECKING:
    from tminus.engine.session import Event, SessionWriter


class TriggerRefused(Exception):
    """A lifecycle step the trigger's state does not allow."""


class TriggerLifecycle:
    def __init__(self, plan: Plan, state: SessionState, actor: str) -> None:
        self.plan = plan
        self.state = state
        self.actor = actor

    def _trigger(self, trigger_id: str) -> tuple[Trigger, TriggerState]:
        trig = next((t for t in self.plan.triggers if t.id == trigger_id), None)
        if trig is None:
            raise TriggerRefused(f"no trigger {trigger_id!r} in the plan")
        st = self.state.triggers.get(trigger_id)
        if st is None or not st.firing:
            raise TriggerRefused(f"{trig.title} is not firing")
        return trig, st

    def acknowledgeable(self) -> list[Trigger]:
        return [
            t
            for t in self.plan.triggers
            if (st := self.state.triggers.get(t.id)) and st.firing and st.acknowledged is None
        ]

    def manual_firing(self) -> list[Trigger]:
        return [
            t
            for t in self.plan.triggers
            if t.manual and (st := self.state.triggers.get(t.id)) and st.firing
        ]

    async def acknowledge(self, session: SessionWriter, trigger_id: str, note: str) -> Event:
        _, st = self._trigger(trigger_id)
        if st.acknowledged is not None:
            raise TriggerRefused(f"already acknowledged by {st.acknowledged.actor}")
        return await session.emit(
            "trigger.acknowledged", actor=self.actor, trigger=trigger_id, note=note.strip()
        )

    async def clear(self, session: SessionWriter, trigger_id: str, note: str) -> Event:
        trig, _ = self._trigger(trigger_id)
        if not trig.manual:
            raise TriggerRefused(f"{trig.title} clears when its metric does, not by hand")
        if not note.strip():
            raise TriggerRefused("a note is required: why it is over")
        return await session.emit(
            "trigger.cleared", actor=self.actor, trigger=trigger_id, note=note.strip()
        )

    async def withdraw(self, session: SessionWriter, trigger_id: str, reason: str) -> Event:
        trig, _ = self._trigger(trigger_id)
        if not trig.manual:
            raise TriggerRefused(f"{trig.title} fired from its metric: it cannot be withdrawn")
        if not reason.strip():
            raise TriggerRefused("a reason is required: why the declaration was a mistake")
        return await session.emit(
            "trigger.withdrawn", actor=self.actor, trigger=trigger_id, reason=reason.strip()
        )
