"""User key remapping: the `[keymap]` table of config.toml maps binding ids to keys.

    [keymap]
    note = "m"              # n -> m
    run-selected = "r,enter"  # several keys: comma-separated

Entries that name no binding or no key are reported and skipped, never fatal: the console
must start whatever the config file says.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding, BindingType

from tminus.ui.keys import (
    APP_BINDINGS,
    CONSOLE_BINDINGS,
    METRIC_PANEL_BINDINGS,
    METRICS_VIEW_BINDINGS,
    REPLAY_BINDINGS,
    ROLLBACK_BINDINGS,
    ROLLOUT_BINDINGS,
)


def _bindings() -> Iterable[BindingType]:
    # the dialogs load here, when a keymap is read, not on the path to the first frame
    from tminus.ui.screens.choose_with_note import ChooseWithNote
    from tminus.ui.screens.help import HelpScreen
    from tminus.ui.screens.metric_detail import MetricDetailScreen
    from tminus.ui.screens.note_prompt import NotePrompt
    from tminus.ui.screens.rollout_confirm import RolloutConfirm
    from tminus.ui.screens.signoff import SignOffScreen

    yield from CONSOLE_BINDINGS
    yield from APP_BINDINGS
    yield from REPLAY_BINDINGS
    yield from ROLLOUT_BINDINGS
    yield from ROLLBACK_BINDINGS
    yield from METRIC_PANEL_BINDINGS
    yield from METRICS_VIEW_BINDINGS
    dialogs = (ChooseWithNote, HelpScreen, MetricDetailScreen, NotePrompt, RolloutConfirm)
    for screen in (*dialogs, SignOffScreen):
        yield from screen.BINDINGS


def binding_ids() -> list[str]:
    """Every id a user may remap, in table order, each once."""
    ids = [b.id for b in _bindings() if isinstance(b, Binding) and b.id]
    return list(dict.fromkeys(ids))


def read_keymap(raw: object) -> tuple[dict[str, str], list[str]]:
    """(the valid entries, a sentence per invalid one)."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, ['[keymap] must be a table of binding id = "key"']
    known = set(binding_ids())
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in raw.items():
        if binding_id not in known:
            problems.append(f"{binding_id!r} is not a binding id")
            continue
        parts = [k.strip() for k in keys.split(",")] if isinstance(keys, str) else []
        if not parts or any(not k or any(c.isspace() for c in k) for k in parts):
            problems.append(f'{binding_id} = {keys!r} is not a key (e.g. "m", "ctrl+r")')
            continue
        keymap[binding_id] = ",".join(parts)
    return keymap, problems


def keymap_notice(problems: list[str], path: str) -> str:
    return (
        f"{path} [keymap]: skipped {'; '.join(problems)}. Binding ids: {', '.join(binding_ids())}."
    )


def keymap_clashes(keymap: dict[str, str]) -> list[str]:
    """Console keys a remapping takes from a binding that keeps its own key: that binding
    is left without a key. (Textual's own clash report misses a binding not in the keymap.)"""
    effective: dict[str, list[Binding]] = {}
    for b in (*CONSOLE_BINDINGS, *APP_BINDINGS):
        for key in keymap.get(b.id or "", b.key).split(","):
            effective.setdefault(key.strip(), []).append(b)
    out = []
    for key, bindings in effective.items():
        remapped = [b for b in bindings if b.id in keymap]
        for lost in (b for b in bindings if b.id not in keymap):
            if remapped:
                out.append(
                    f"{remapped[0].id} = {key!r} takes the key of {lost.description!r} "
                    f"({lost.id}), which now has none"
                )
    return out
