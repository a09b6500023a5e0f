"""Cyclic garbage collector settings for a one-shot batch run (`tminus check`)."""

from __future__ import annotations

import gc

# objects allocated (net) between young collections; CPython's default is 700
BATCH_YOUNG_THRESHOLD = 10_000


def for_batch() -> None:
    """Set the collector for a process that loads a plan, runs it once and exits.

    What is loaded now (the plan, the modules) lives as long as the process: frozen, a
    full collection mid-run no longer walks a 10,000-item plan (stalls of 100 ms+). Young
    collections every 10,000 allocations instead of 700: a check allocates a few hundred
    objects, nearly all freed by reference counting, so at the default a 3,000-check run
    paid some 300 young collections (and their promotions into older generations, then a
    full collection of everything in flight); at 10,000 it pays a handful, each a few ms.
    """
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(BATCH_YOUNG_THRESHOLD, middle, old)


_paused = False  # by pause_for_start, not yet resumed


def pause_for_start() -> None:
    """Stop the collector while a console starts (before its imports).

    Start-up builds some 70,000 objects that live as long as the process (modules, classes,
    the plan, the engine, the first screen's widgets) and little garbage, and the collector
    walks them again and again while they are made: about a tenth of the CPU before the first
    full frame. `resume_after_start` follows once that frame is drawn.
    """
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_after_start(*, freeze: bool = True) -> None:
    """The first full frame is drawn: collect again, if `pause_for_start` stopped it.

    What exists now is frozen first (the permanent generation, which collections skip), so
    the first full collection does not stall the console walking start-up's objects. The
    price: cyclic garbage made during start-up (under 1 MB for the demo) is never freed.
    Without `freeze` (a console that never drew), the collector is only switched back on.
    """
    global _paused
    if not _paused:
        return
    _paused = False
    if freeze:
        gc.freeze()
    gc.enable()
