"""The rollout actuator plug-in interface: preview, set and read the canary weight.

An actuator moves a share of traffic to the new version in one or more regions. It shows
exactly what it will change before it changes anything (the Kubernetes patch body, the
webhook request, the command argv), sets the weight one region at a time, and reads it
back. No Textual, no session: the RolloutController records what happened.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from tminus.core.records import record


class ActuatorError(Exception):
    """Setting or reading the weight failed in one region; the message says why."""


@record(frozen=True)
class Change:
    """One change an apply will make, shown verbatim in the confirmation."""

    region: str
    target: str  # what is changed: "Ingress web/api-canary"
    request: str  # how: "PATCH application/merge-patch+json", "POST https://...", "argv"
    body: str  # the exact body or argv

    def lines(self) -> list[str]:
        return [f"{self.region}: {self.target}", f"  {self.request}", *self.body.splitlines()]


@record(frozen=True)
class ReadBack:
    """One region's traffic weight as read back from the system."""

    region: str
    weight: int | None  # None: could not be read (error says why) or not readable at all
    stable: str = ""  # stable / canary version (or backend) where the actuator can see it
    canary: str = ""
    error: str = ""


def as_json(body: Any) -> str:
    return json.dumps(body, indent=2, sort_keys=True)


class Actuator(ABC):
    """One plan [rollout].actuator, bound to its backends."""

    #: False when the actuator cannot read the weight back (a command without read_argv)
    can_read: bool = True

    def __init__(self, regions: tuple[str, ...]) -> None:
        self.regions = regions

    @abstractmethod
    async def preview(self, weight: int) -> list[Change]:
        """What `set_weight(region, weight)` will send, one Change per region."""

    @abstractmethod
    async def set_weight(self, region: str, weight: int) -> None:
        """Set the canary weight (0..100) in one region; ActuatorError when it failed."""

    @abstractmethod
    async def read_weight(self, region: str) -> ReadBack:
        """The weight in force in one region; never raises, errors go in ReadBack.error."""

    async def close(self) -> None:  # noqa: B027 (most actuators hold nothing)
        """Release clients; safe to call twice."""
