"""The App's two signals, typed for the views that subscribe to them in `on_mount`.

`session_signal` carries every folded session event in seq order, `metric_signal` the id of
each metric polled, `watch_signal` the id of a watched check whose history bar moved.
Subscriptions are weak: a removed widget stops receiving. `metric_signal` fires 20 times a
second with 100 metrics: its subscribers take it `immediate=True` and only look at flags and
redraw what is in view (a posted call costs a message and an inspection of the callback).
"""

from __future__ import annotations

from typing import Protocol, cast

from textual.dom import DOMNode
from textual.signal import Signal

from tminus.engine.session import Event


class Signals(Protocol):
    session_signal: Signal[Event]
    metric_signal: Signal[str]
    watch_signal: Signal[str]


def signals(node: DOMNode) -> Signals:
    return cast(Signals, node.app)
