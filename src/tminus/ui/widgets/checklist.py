"""One phase's items as a table: status symbol, title, owner, last value and its age.

Rows are updated cell by cell, and only when the text changed: over a thin SSH link the
bytes written are what the commander feels.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from tminus.core.values import format_check_value
from tminus.engine.console import ConsoleEngine
from tminus.engine.state import ItemState
from tminus.plan.model import Item, Phase, Section
from tminus.ui.keys import STATUS_SYMBOLS
from tminus.ui.widgets.theme_style import theme_style

COLUMNS = ("st", "item", "value", "age", "owner")
FIXED = {"st": 1, "value": 12, "age": 3, "owner": 24}  # the most each column takes
VALUE_MIN = 8  # "12 days", "HTTP 200": what Value keeps before the title gives way
OWNER_MIN = 6  # a name clipped shorter says nothing: Owner then takes no room at all
TITLE_MIN = 16
CELL_PADDING = 2  # DataTable pads each cell by one on either side
STATUS_STYLE = {
    "pass": "$success",
    "warn": "$warning",
    "fail": "$error",
    "error": "$error",
    "inconclusive": "$warning",
    "running": "$primary",
    "confirmed": "$success",
}


def format_age(ts: str | None, now: datetime) -> str:
    """Coarse on purpose: a value that changes once a minute repaints once a minute."""
    if not ts:
        return ""
    then = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    secs = max(0.0, (now - then).total_seconds())
    if secs < 60:
        return "<1m"
    if secs < 3600:
        return f"{int(secs // 60)}m"
    if secs < 86400:
        return f"{int(secs // 3600)}h"
    return f"{int(secs // 86400)}d"


def matches(item: Item, status: str, needle: str) -> bool:
    if not needle:
        return True
    n = needle.lower()
    hay = f"{item.title} {item.id} {item.owner} {status}".lower()
    return all(word in hay for word in n.split())


def _column_texts(cells: tuple[str, ...]) -> tuple[str, ...]:
    status, symbol, title, owner, value, age = cells
    return (f"{status}{symbol}", title, value, age, owner)


def column_widths(
    total: int,
    title_needed: int,
    value_needed: int = FIXED["value"],
    owner_needed: int = FIXED["owner"],
) -> dict[str, int]:
    """Columns give way by priority: the title keeps the room it needs, Value keeps a
    readable minimum (and Age beside it) once it has anything to show, then the rest of
    Value, then Owner. An empty column takes no room, so a long title is shown whole while
    no check has a value yet. Room left over stays at the right: stretching a column would
    put the values far from their titles on a wide screen."""
    value_cap = min(FIXED["value"], value_needed)
    age = FIXED["age"] if value_cap else 0  # an age is a value's age
    spare = total - FIXED["st"] - CELL_PADDING * len(COLUMNS) - 4
    title = max(TITLE_MIN, min(title_needed, spare - min(VALUE_MIN, value_cap) - age))
    rest = max(0, spare - title - age)
    value = min(value_cap, rest)
    owner = min(FIXED["owner"], owner_needed, rest - value)
    owner = owner if owner >= min(OWNER_MIN, owner_needed) else 0
    return {"st": FIXED["st"], "item": title, "value": value, "age": age, "owner": owner}


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class Checklist(DataTable[str | Text]):
    """Rows keyed by item id; section rows are keyed 'section:<id>'."""

    DEFAULT_CSS = """
    Checklist { height: 1fr; }
    """

    def __init__(self, engine: ConsoleEngine, phase: Phase, **kw: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kw)  # type: ignore[arg-type]
        self.engine = engine
        self.phase = phase
        self.filter_text = ""
        self._title_width = 40
        self._widths = dict(FIXED, item=self._title_width)
        # the longest value shown so far: it only grows, so a value that changes length
        # does not lay the columns out again and again
        self._value_seen = 0
        self._owner_needed = max((len(i.owner) for _, i in phase.items()), default=0)
        self._rendered: dict[str, tuple[str, ...]] = {}
        self._sections: dict[str, Section] = {s.id: s for s in phase.sections}
        self._laid_out: tuple[Size, Size, Size] | None = None
        # the width it will be laid out at, as its view knows it before any layout: built
        # at that width, it is not built again when the first layout sizes it
        self.first_width = 0

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # Textual's ScrollView compares the layout's virtual size with the table's own
        # (rows x columns), which never match, so every layout pass anywhere on the screen
        # (a footer rebuilt, a tab switched) repainted this scrollbar: ~0.5 KB at 80x24.
        # Once for each size of the table, its own virtual size and its container.
        laid_out = (size, self.virtual_size, container_size)
        if laid_out == self._laid_out:
            return False
        self._laid_out = laid_out
        return super()._size_updated(size, virtual_size, container_size, layout)

    def on_mount(self) -> None:
        for _, item in self.phase.items():
            self._value_grew(item, self.engine.item_state(item.id))
        self._title_width = self._fit_title(self.size.width or self.first_width)
        self.add_column("", key="st", width=FIXED["st"])
        self.add_column("Item", key="item", width=self._title_width)
        self.add_column("Value", key="value", width=self._widths["value"])
        self.add_column("Age", key="age", width=self._widths["age"])
        self.add_column("Owner", key="owner", width=self._widths["owner"])
        self.rebuild()
        # symbol colours are resolved by hand, so they follow the theme by a rebuild
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.rebuild())

    def _fit_title(self, width: int) -> int:
        self._widths = column_widths(
            width, self._title_needed(), self._value_seen, self._owner_needed
        )
        return self._widths["item"]

    def _title_needed(self) -> int:
        titles = [len(i.title) for _, i in self.phase.items()]
        titles += [len(s.title) + 6 for s in self.phase.sections]  # "  3/8" after a section
        return max(titles, default=TITLE_MIN)

    def on_resize(self) -> None:
        self._lay_out_columns()

    def _lay_out_columns(self) -> bool:
        """Give the columns their widths for this size and these contents; rebuilds (and
        says so) only when a width changed."""
        width = self._fit_title(self.size.width or self.first_width)
        if "item" not in self.columns:
            return False
        columns = {key: self.columns[ColumnKey(key)] for key in self._widths}
        if all(columns[key].width == w for key, w in self._widths.items()):
            return False
        self._title_width = width
        for key, w in self._widths.items():
            columns[key].width = w
        self.rebuild()
        return True

    def _value_grew(self, item: Item, st: ItemState | None) -> bool:
        """Whether this item's value is longer than any shown before (up to the most the
        Value column takes): the columns then make room for it."""
        value, _ = self._value(item, st)
        if len(value) <= self._value_seen or self._value_seen >= FIXED["value"]:
            return False
        self._value_seen = len(value)
        return True

    def _now(self) -> datetime:
        # event timestamps are wall time, even when the demo world's clock runs elsewhere
        return self.engine.wall_now()

    @staticmethod
    def _value(item: Item, st: ItemState | None) -> tuple[str, str | None]:
        """The Value column's text, whole, and the time it is from."""
        if st is not None:
            if item.manual and st.confirmed:
                return (st.confirmed.actor or "").split("@")[0], st.confirmed.ts
            if st.last is not None:
                check = item.check
                kind, expect = (check.kind, str(check.expect or "")) if check else ("", "")
                value = format_check_value(kind, st.last.value, st.last.values, expect)
                return value, st.last_ts
        return "", None

    def _item_cells(self, item: Item, st: ItemState | None) -> tuple[str, ...]:
        status = self.engine.status(item)
        symbol = STATUS_SYMBOLS[status][0]
        value, ts = self._value(item, st)
        title = _clip(item.title, self._title_width)
        owner = _clip(item.owner, self._widths["owner"])
        value = _clip(value, self._widths["value"])
        return (status, symbol, title, owner, value, format_age(ts, self._now()))

    def _section_cells(self, section: Section) -> tuple[str, ...]:
        done, total = self.engine.progress(section.items)
        title = _clip(f"{section.title}  {done}/{total}", self._title_width)
        return ("section", "", title, "", "", "")

    def _styled(self, cells: tuple[str, ...]) -> list[str | Text]:
        status, symbol, title, owner, value, age = cells
        if status == "section":
            return ["", Text(title, style="bold"), "", "", ""]
        style = STATUS_STYLE.get(status, "")
        colour = theme_style(self.app, style)
        sym = Text(symbol, style=f"bold {colour}" if colour else "")
        # plan and user text as Text: a str cell would be read as markup ("[Ticket]" vanishes)
        return [sym, Text(title), Text(value), Text(age, style="dim"), Text(owner, style="dim")]

    def rebuild(self) -> None:
        """Full rebuild: on mount, on filter change, on theme change."""
        key = self.cursor_key()
        self.clear()
        self._rendered.clear()
        for section in self.phase.sections:
            visible = [
                i for i in section.items if matches(i, self.engine.status(i), self.filter_text)
            ]
            if not visible:
                continue
            cells = self._section_cells(section)
            self._rendered[f"section:{section.id}"] = cells
            self.add_row(*self._styled(cells), key=f"section:{section.id}")
            for item in visible:
                cells = self._item_cells(item, self.engine.item_state(item.id))
                self._rendered[item.id] = cells
                self.add_row(*self._styled(cells), key=item.id)
        if key is not None and key in self._rendered:
            self.move_cursor(row=self.get_row_index(key))

    def refresh_item(self, item_id: str) -> None:
        """Repaint one item (and its section's progress) where something changed."""
        if item_id not in self._rendered:
            return
        for section in self.phase.sections:
            if any(i.id == item_id for i in section.items):
                item = next(i for i in section.items if i.id == item_id)
                st = self.engine.item_state(item_id)
                if self._value_grew(item, st) and self._lay_out_columns():
                    return  # rebuilt with every row's new text
                self._update(item_id, self._item_cells(item, st))
                self._update(f"section:{section.id}", self._section_cells(section))
                return

    def refresh_ages(self) -> None:
        grew = [self._value_grew(i, self.engine.item_state(i.id)) for _, i in self.phase.items()]
        if any(grew) and self._lay_out_columns():
            return
        for section in self.phase.sections:
            for item in section.items:
                if item.id in self._rendered:
                    self._update(item.id, self._item_cells(item, self.engine.item_state(item.id)))

    def _update(self, key: str, cells: tuple[str, ...]) -> None:
        old = self._rendered.get(key)
        if old == cells:
            return
        self._rendered[key] = cells
        styled = self._styled(cells)
        # cells[0] (status) styles column 0, so column 0 changes with it
        old_cols = _column_texts(old) if old else (None,) * len(COLUMNS)
        changed = False
        for col, (before, after) in enumerate(zip(old_cols, _column_texts(cells), strict=True)):
            if before != after:
                self._set_cell(key, COLUMNS[col], styled[col])
                changed = True
        if changed:
            self.refresh_row(self.get_row_index(key))

    def _set_cell(self, key: str, column: str, value: str | Text) -> None:
        """Like DataTable.update_cell without its whole-table refresh: one changed cell
        repainted ~4 KB at 80x24; refresh_row repaints one line. Uses DataTable internals
        (Textual 8), falling back to the public call if they change."""
        data = getattr(self, "_data", None)
        try:
            assert isinstance(data, dict)
            data[RowKey(key)][ColumnKey(column)] = value
            self._update_count += 1  # invalidates the row render cache
        except (AssertionError, KeyError, AttributeError):
            self.update_cell(key, column, value)

    def cursor_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:  # the cursor may point past a cleared table
            return None
        return str(row_key.value) if row_key.value is not None else None

    def selected_item(self) -> Item | None:
        key = self.cursor_key()
        if key is None or key.startswith("section:"):
            return None
        return self.engine.plan.item(key)[2]

    def selected_section(self) -> Section | None:
        key = self.cursor_key()
        if key is None:
            return None
        if key.startswith("section:"):
            return self._sections[key.removeprefix("section:")]
        for section in self.phase.sections:
            if any(i.id == key for i in section.items):
                return section
        return None

    def select(self, item_id: str) -> bool:
        if item_id not in self._rendered:
            return False
        self.move_cursor(row=self.get_row_index(item_id))
        return True
