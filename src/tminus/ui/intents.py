"""Run what the commander asked for (a run, a note, a sign-off…) as a described worker.

The worker belongs to the App whatever widget asked, because `Worker.StateChanged` does not
bubble: the App's one failure handler then names the action when it fails.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.dom import DOMNode
from textual.worker import Worker


def run_intent(
    node: DOMNode,
    work: Callable[[], Any] | Awaitable[Any],
    description: str,
    *,
    group: str = "intents",
    exclusive: bool = False,
    thread: bool = False,
) -> Worker[Any]:
    """`description` is the action as a gerund phrase: "Saving the note" reads as
    "Saving the note failed: …". `exclusive` where a newer request supersedes an older."""
    return node.app.run_worker(
        work,
        description=description,
        group=group,
        exclusive=exclusive,
        thread=thread,
        exit_on_error=False,
    )
