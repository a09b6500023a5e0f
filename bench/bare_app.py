"""A bare Textual app with the same widget types as tminus's first screen.

The baseline for bench/terminal.py: a one-line header whose clock is updated every second,
a TabbedContent with 5 tabs, a DataTable of 44 rows and 5 columns beside a Static detail
pane, and a Footer. Stock Textual: default theme, no tminus code, nothing imported that
Textual does not need.

    .venv/bin/python bench/bare_app.py
"""

from __future__ import annotations

import time

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

T0 = time.time() + 7 * 86400 - 3600  # a launch about a week away

SECTIONS = ("Infrastructure", "Security", "Performance", "Monitoring", "People")
ROWS_PER_SECTION = 8  # 5 sections of 8 items, 5 section rows: 45 rows in all (44 in tminus)


def clock_text() -> str:
    secs = int(T0 - time.time())
    days, rem = divmod(secs, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    return f"T-{days}d {h:02d}:{m:02d}:{s:02d}"


class Clock(Static):
    def on_mount(self) -> None:
        self.tick()
        self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        self.update(clock_text())


class BareApp(App[None]):
    CSS = """
    #header { height: 1; background: $panel; }
    #header > Static { width: auto; padding: 0 1; }
    #spacer { width: 1fr; }
    #tabs { height: 1fr; }
    .phase { layout: horizontal; }
    .phase-main { width: 3fr; }
    .phase-status { height: 1; padding: 0 1; }
    .detail { width: 2fr; padding: 0 1; border-left: vkey $panel; }
    """
    BINDINGS = [
        Binding("r", "noop('r')", "Run"),
        Binding("a", "noop('a')", "All"),
        Binding("c", "noop('c')", "Confirm"),
        Binding("n", "noop('n')", "Note"),
        Binding("g", "noop('g')", "Sign off"),
        Binding("slash", "noop('/')", "Filter", key_display="/"),
        Binding("f", "noop('f')", "Next fail"),
        Binding("question_mark", "noop('?')", "Help", key_display="?"),
        Binding("q", "quit", "Quit", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Horizontal(id="header"):
            yield Static("BareApp")
            yield Static("PRODUCTION")
            yield Clock(clock_text())
            yield Static("", id="spacer")
            yield Static("bare-20261128-000000")
        with TabbedContent(id="tabs"):
            for n, title in enumerate(("T-7d Pre-Launch", "T-0 Launch Day", "T+1d Post-Launch"), 1):
                with TabPane(f"{n} {title}", id=f"phase-{n}"), Horizontal(classes="phase"):
                    with Vertical(classes="phase-main"):
                        yield Static(f"{title} · 0/40 green · 32 blocking", classes="phase-status")
                        yield DataTable(id=f"table-{n}", cursor_type="row")
                    with VerticalScroll(classes="detail"):
                        yield Static(
                            f"[b]{title}[/b]\n0/8 green · 6 automated checks\n\n"
                            "r runs every check of this section."
                        )
            with TabPane("4 Rollback", id="rollback"):
                yield Static("Rollback steps")
            with TabPane("5 Contacts & Comms", id="contacts"):
                yield Static("Contacts")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            table.add_column("", key="st", width=1)
            table.add_column("Item", key="item", width=30)
            table.add_column("Value", key="value", width=12)
            table.add_column("Age", key="age", width=3)
            table.add_column("Owner", key="owner", width=14)
            for s, section in enumerate(SECTIONS):
                table.add_row("", f"{section}  0/{ROWS_PER_SECTION}", "", "", "")
                for i in range(ROWS_PER_SECTION):
                    table.add_row("·", f"{section} check number {i + 1}", "", "", f"team-{s}")

    def action_noop(self, key: str) -> None:
        pass


if __name__ == "__main__":
    BareApp().run()
