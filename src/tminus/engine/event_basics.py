"""What a reader or writer of the session log needs before any event's schema class: the
schema error and the outcomes a session ends with. The schema classes (`events.py`,
three dozen dataclasses) load on the first event written or read, not on the path to the
console's first frame."""

from __future__ import annotations


class EventSchemaError(ValueError):
    """A payload that does not match its event type's schema."""


OUTCOMES = ("launched", "rolled-back", "aborted")
