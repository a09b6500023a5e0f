"""The one binding table: footer, help screen and command palette all read it.

`MUTATING` actions change the world or the session; read-only consoles do not offer them.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.binding import Binding

CONSOLE_BINDINGS: list[Binding] = [
    Binding(
        "r",
        "run_selected",
        "Run",
        id="run-selected",
        tooltip="Run the selected check, or every check of the selected section",
    ),
    Binding(
        "a",
        "run_phase",
        "All",
        id="run-phase",
        tooltip="Run every automated check of this phase",
    ),
    Binding(
        "c",
        "confirm",
        "Confirm",
        id="confirm",
        tooltip="Confirm the selected manual item with an optional note; on Metrics, a criterion",
    ),
    Binding("n", "note", "Note", id="note", tooltip="Add a note to the selected item"),
    Binding(
        "g",
        "sign_off",
        "Sign off",
        id="sign-off",
        tooltip="Sign this phase off (go/no-go) once its blocking items are green",
    ),
    Binding(
        "slash",
        "filter",
        "Filter",
        id="filter",
        key_display="/",
        tooltip="Show only items matching text or a status (fail, manual...)",
    ),
    Binding(
        "f",
        "next_failing",
        "Next fail",
        id="next-failing",
        tooltip="Jump to the next item that failed, errored or is inconclusive",
    ),
]

CONSOLE_BINDINGS += [
    Binding(
        "s",
        "toggle_strip",
        "Strip",
        id="toggle-strip",
        tooltip="Show or hide the metrics strip above the checklist",
    ),
    Binding(
        "x",
        "rollback",
        "ROLLBACK",
        id="rollback",
        tooltip="Open the rollback screen: triggers, steps, arm, run, dry run",
    ),
    Binding(  # the same key at any other time, kept out of a full 80-column footer
        "x",
        "rollback_any",
        "Rollback",
        id="rollback-any",
        show=False,
        tooltip="Open the rollback screen (x is in the footer while a trigger fires)",
    ),
    Binding(
        "d",
        "declare",
        "Declare trigger",
        id="declare",
        show=False,
        tooltip="Declare a manual rollback trigger (data corruption, breach) with a note",
    ),
]

CONSOLE_BINDINGS += [
    Binding(
        "u",
        "send_update",
        "Send update",
        id="send-update",
        tooltip="Send the status update shown on this tab to every channel now",
    ),
    Binding(
        "E",
        "end_session",
        "End session",
        id="end-session",
        show=False,
        tooltip="End the launch session with its outcome (launched, rolled back, aborted)",
    ),
]

# replay only: the time cursor (the replay screen adds them to the console's keys). They
# take priority over the focused list (home/end), except while typing in a filter box.
REPLAY_BINDINGS: list[Binding] = [
    Binding(
        "full_stop",
        "replay_step(1)",
        "Next",
        id="replay-next",
        key_display=".",
        priority=True,
        tooltip="Step to the next event",
    ),
    Binding(
        "comma",
        "replay_step(-1)",
        "Prev",
        id="replay-prev",
        key_display=",",
        priority=True,
        tooltip="Step back one event",
    ),
    Binding(
        "right_square_bracket",
        "replay_minutes(1)",
        "+1m",
        id="replay-minute-next",
        key_display="]",
        priority=True,
        tooltip="Jump one minute of launch time forward",
    ),
    Binding(
        "left_square_bracket",
        "replay_minutes(-1)",
        "-1m",
        id="replay-minute-prev",
        key_display="[",
        priority=True,
        tooltip="Jump one minute of launch time back",
    ),
    Binding(
        "greater_than_sign",
        "replay_decision(1)",
        "Next decision",
        id="replay-decision-next",
        key_display=">",
        priority=True,
        tooltip="Jump to the next trigger, rollout, rollback or sign-off event",
    ),
    Binding(
        "less_than_sign",
        "replay_decision(-1)",
        "Prev decision",
        id="replay-decision-prev",
        key_display="<",
        priority=True,
        tooltip="Jump back to the previous decision event",
    ),
    Binding(
        "home",
        "replay_home",
        "Start",
        id="replay-start",
        show=False,
        priority=True,
        tooltip="Before the first event",
    ),
    Binding(
        "end",
        "replay_end",
        "End",
        id="replay-end",
        show=False,
        priority=True,
        tooltip="After the last event (follows a session still being written)",
    ),
]
# the rollback screen's own keys; a read-only console has none of ROLLBACK_MUTATING
ROLLBACK_BINDINGS: list[Binding] = [
    Binding("escape", "back", "Back", id="rollback-back", tooltip="Back to the console"),
    Binding(
        "a",
        "arm",
        "Arm",
        id="rollback-arm",
        tooltip="Arm the rollback: type the launch name and a reason",
    ),
    Binding(
        "r",
        "proceed",
        "Run steps",
        id="rollback-run",
        tooltip="Run the steps in order; stops where a person must decide",
    ),
    Binding(
        "p",
        "dry_run",
        "Dry run",
        id="rollback-dry-run",
        tooltip="Show exactly what each step would do; changes nothing",
    ),
    Binding(
        "k",
        "acknowledge",
        "Ack trigger",
        id="trigger-ack",
        tooltip="Acknowledge a firing trigger, with a note",
    ),
    Binding(
        "c",
        "clear_trigger",
        "Clear trigger",
        id="trigger-clear",
        tooltip="Clear a declared (manual) trigger that is over, with a note",
    ),
    Binding(
        "w",
        "withdraw",
        "Withdraw",
        id="trigger-withdraw",
        tooltip="Withdraw a mistaken manual declaration, with the reason",
    ),
]
ROLLBACK_MUTATING = frozenset({"arm", "proceed", "acknowledge", "clear_trigger", "withdraw"})

# The Rollout tab's slider (tminus.ui.widgets.rollout_view). They exist only when the plan
# has a [rollout] and the console may write: a read-only console does not even offer them.
ROLLOUT_BINDINGS: list[Binding] = [
    Binding(
        "left",
        "rollout_choose(-1)",
        "Lower",
        id="rollout-lower",
        key_display="←",
        tooltip="Choose a lower traffic weight as the target",
    ),
    Binding(
        "right",
        "rollout_choose(1)",
        "Raise",
        id="rollout-raise",
        key_display="→",
        tooltip="Choose the next step up as the target",
    ),
    Binding(
        "enter",
        "rollout_apply",
        "Apply",
        id="rollout-apply",
        tooltip="Preview the change, confirm, apply, read back and record it",
    ),
    Binding(
        "t",
        "rollout_retry",
        "Retry",
        id="rollout-retry",
        tooltip="After a partial failure: apply the failed weight again",
    ),
    Binding(
        "b",
        "rollout_back",
        "Back",
        id="rollout-back",
        tooltip="After a partial failure: return every region to the previous weight",
    ),
]
ROLLOUT_MUTATING = frozenset({"rollout_choose", "rollout_apply", "rollout_retry", "rollout_back"})

HELP_TOOLTIP = "The keys of this screen, and what the symbols mean"
# `?`, and f1 where a text box takes `?` as a character
HELP_BINDINGS: list[Binding] = [
    Binding("question_mark", "help", "Help", id="help", key_display="?", tooltip=HELP_TOOLTIP),
    Binding("f1", "help", "Help", id="help-f1", show=False, tooltip=HELP_TOOLTIP),
]
# a modal screen cuts the app's keys off: each dialog offers help itself
MODAL_HELP_BINDINGS: list[Binding] = [
    Binding(
        b.key,
        "app.help",
        b.description,
        id=b.id,
        key_display=b.key_display,
        show=False,
        tooltip=HELP_TOOLTIP,
    )
    for b in HELP_BINDINGS
]

# the Metrics tab: a focused panel opens its chart; arrows move between panels
METRIC_PANEL_BINDINGS: list[Binding] = [
    Binding(
        "enter",
        "open_chart",
        "Chart",
        id="open-chart",
        show=False,
        tooltip="The focused metric's chart, with its ranges",
    ),
]
METRICS_VIEW_BINDINGS: list[Binding] = [
    Binding(
        key,
        f"move({dx}, {dy})",
        "Move",
        id=f"metrics-{key}",
        show=False,
        tooltip="Between metric panels; down from the last row scrolls the scoreboard",
    )
    for key, dx, dy in (("left", -1, 0), ("right", 1, 0), ("up", 0, -1), ("down", 0, 1))
]
# a metric's chart (enter on a panel)
CHART_BINDINGS: list[Binding] = [
    Binding("escape", "close", "Back", id="back", tooltip="Back to the console"),
    *[
        Binding(str(n), f"range('{r}')", r, id=f"range-{r}", tooltip=f"Chart the last {r}")
        for n, r in enumerate(("15m", "1h", "6h", "24h"), 1)
    ],
]

APP_BINDINGS: list[Binding] = [
    *HELP_BINDINGS,
    Binding(
        "q", "quit", "Quit", id="quit", show=False, tooltip="Leave; the session stays resumable"
    ),
    *[
        Binding(
            str(n),
            f"switch_tab({n})",
            "Tab",
            id=f"tab-{n}",
            show=False,
            tooltip="Switch to the tab of that number",
        )
        for n in range(1, 10)
    ],
]

MUTATING = frozenset(
    {
        "run_selected",
        "run_phase",
        "confirm",
        "note",
        "sign_off",
        "declare",
        "send_update",
        "end_session",
    }
)


def key_label(app: App[Any], binding: Binding, keymap: dict[str, str]) -> str:
    """The key the user presses for `binding`, remapped or not, as the footer shows it."""
    remapped = keymap.get(binding.id or "")
    if remapped is None:
        return app.get_key_display(binding)
    first = remapped.split(",")[0]
    return app.get_key_display(binding.with_key(key=first, key_display=None))


STATUS_SYMBOLS = {
    "pass": ("✔", "pass"),
    "warn": ("▲", "warn"),
    "fail": ("✘", "fail"),
    "error": ("!", "error"),
    "inconclusive": ("?", "inconclusive: no data or too few samples"),
    "skipped": ("-", "skipped"),
    "running": ("⟳", "running"),
    "pending": ("·", "automated, not run yet"),
    "manual": ("○", "manual, waiting for a person"),
    "confirmed": ("●", "manual, confirmed"),
}
