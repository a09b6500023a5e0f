"""The selected item: last result and its per-region parts, history, runbook, output."""

from __future__ import annotations

from textual.containers import VerticalScroll

from tminus.core.durations import format_duration
from tminus.core.results import Part
from tminus.engine.console import ConsoleEngine
from tminus.plan.model import Item, Section
from tminus.ui.keys import STATUS_SYMBOLS
from tminus.ui.markup import escape
from tminus.ui.widgets.live_text import LiveText

HISTORY_SHOWN = 8


def part_message(part: Part) -> str:
    """A region's message without its name again (older sessions logged "name: ...")."""
    text = part.message or str(part.outcome)
    return text.removeprefix(f"{part.name}: ")


def watch_lines(engine: ConsoleEngine, item: Item) -> list[str]:
    """A watched check: its interval, a history bar of its last results, its pass ratio."""
    watcher = engine.watcher
    phase = engine.plan.item(item.id)[0]
    every = phase.watch_every(item)
    if every is None:
        return []
    line = f"watched every {format_duration(every)}"
    if watcher is None:
        return [line + " (by the writing console)"]
    beats = watcher.history.get(item.id, ())
    if beats:
        bar = "".join(STATUS_SYMBOLS.get(str(b.outcome), ("?", ""))[0] for b in beats)
        passed, total = watcher.pass_ratio(item.id)
        line += f" · {bar} {passed}/{total} passed ({100 * passed // total}%)"
    return [line]


def describe(engine: ConsoleEngine, item: Item) -> str:
    st = engine.item_state(item.id)
    status = engine.status(item)
    symbol, meaning = STATUS_SYMBOLS[status]
    lines = [f"[b]{escape(item.title)}[/b]  [dim]{item.id}[/dim]"]
    kind = item.check.kind if item.check else "manual"
    meta = [f"{symbol} {meaning}", kind]
    if item.owner:
        meta.append(f"owner: {escape(item.owner)}")
    if not item.blocking:
        meta.append("not blocking")
    lines.append(" · ".join(meta))
    lines += watch_lines(engine, item)
    if item.check is not None and item.check.condition is not None:
        lines.append(f"expect: [b]{escape(item.check.condition.text)}[/b]")
    if st is not None and st.last is not None:
        r = st.last
        lines.append("")
        lines.append(
            f"last: {r.outcome} at {(st.last_ts or '')[11:19]}Z · {r.duration_ms:.0f} ms"
            + (f" · {r.attempts} attempts" if r.attempts > 1 else "")
        )
        if r.message:
            lines.append(escape(r.message))
        for part in r.parts:
            sym = STATUS_SYMBOLS.get(str(part.outcome), ("?", ""))[0]
            lines.append(f"  {sym} {escape(part.name)}: {escape(part_message(part))}")
    if st is not None and st.confirmed is not None:
        c = st.confirmed
        note = f": {escape(c.note)}" if c.note else ""
        lines.append(f"confirmed by {escape(c.actor or '?')} at {c.ts[11:19]}Z{note}")
    if st is not None and len(st.history) > 1:
        lines.append("")
        lines.append("history:")
        for ts, res in list(st.history)[-HISTORY_SHOWN:][::-1]:
            sym = STATUS_SYMBOLS.get(str(res.outcome), ("?", ""))[0]
            lines.append(f"  {sym} {ts[11:19]}Z {escape(res.message[:60])}")
    if st is not None and st.notes:
        lines.append("")
        lines.append("notes:")
        for n in st.notes[-5:]:
            lines.append(f"  {n.ts[11:16]}Z {escape(n.actor or '')}: {escape(n.note)}")
    if item.runbook:
        lines.append("")
        lines.append(f"runbook: {escape(item.runbook)}")
    if st is not None and st.last is not None and st.last.output:
        lines.append("")
        lines.append("output (tail):")
        lines.extend(escape(x) for x in st.last.output.splitlines()[-12:])
    return "\n".join(lines)


def describe_section(engine: ConsoleEngine, section: Section) -> str:
    done, total = engine.progress(section.items)
    automated = sum(1 for i in section.items if i.check is not None)
    text = f"[b]{escape(section.title)}[/b]\n{done}/{total} green · {automated} automated checks"
    if engine.read_only:  # a follower is not offered r: do not tell it to press it
        return text + "\n\nRead-only: the writing console runs the checks."
    return text + "\n\nr runs every check of this section."


class ItemDetail(VerticalScroll):
    DEFAULT_CSS = """
    ItemDetail { padding: 0 1; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine
        self._body = LiveText(id="detail-body", wraps=True)

    def compose(self):  # type: ignore[no-untyped-def]
        yield self._body

    def show_item(self, item: Item | None, section: Section | None = None) -> None:
        if item is not None:
            text = describe(self.engine, item)
        elif section is not None:
            text = describe_section(self.engine, section)
        else:
            text = "[dim]Select an item.[/dim]"
        self._body.show(text)  # no repaint when nothing changed
