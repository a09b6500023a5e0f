"""Prometheus alerting-rules files (the format `promtool check rules` accepts) as triggers.

Each alerting rule becomes an `alert = '<expr>'` trigger that keeps the rule's `for`, its
labels and its summary annotation; recording rules are skipped. Problems name the file, the
line and the rule, never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tminus.core.durations import DurationError, parse_duration
from tminus.core.records import record


class RulesError(Exception):
    """A rules file that cannot be imported; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@record(frozen=True)
class ImportedRule:
    id: str
    title: str
    alert: str
    hold: str  # the rule's `for`, as written ("5m"); "" when the rule has none
    labels: dict[str, str]
    summary: str
    line: int

    def to_raw(self) -> dict[str, Any]:
        """The [[triggers]] table, in the plan's own field names."""
        raw: dict[str, Any] = {"id": self.id, "title": self.title, "alert": self.alert}
        if self.hold:
            raw["for"] = self.hold
        if self.labels:
            raw["labels"] = dict(self.labels)
        if self.summary:
            raw["summary"] = self.summary
        return raw


class _LineLoader(yaml.SafeLoader):
    """Safe YAML that remembers the line each mapping starts on."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def slug(name: str) -> str:
    """An alert name as a trigger id: HighErrorRate -> high-error-rate."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)
    return re.sub(r"[^a-z0-9]+", "-", spaced.lower()).strip("-") or "alert"


def read_rules(path: str | Path) -> list[ImportedRule]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError([f"{p}: cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise RulesError([f"{p}: not UTF-8 text"]) from None
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}" if mark is not None else str(p)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulesError([f"{where}: not valid YAML: {problem}"]) from None
    return _rules(p, doc)


def _rules(p: Path, doc: Any) -> list[ImportedRule]:
    problems: list[str] = []
    out: list[ImportedRule] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), list):
        raise RulesError([f"{p}: expected a top-level `groups:` list (a Prometheus rules file)"])
    seen: dict[str, int] = {}
    for gi, group in enumerate(doc["groups"]):
        if not isinstance(group, dict) or not isinstance(group.get("rules", []), list):
            problems.append(f"{p}: groups[{gi}]: expected a group with a `rules:` list")
            continue
        for ri, rule in enumerate(group.get("rules") or []):
            where = f"groups[{gi}].rules[{ri}]"
            if not isinstance(rule, dict):
                problems.append(f"{p}: {where}: expected a rule (a mapping)")
                continue
            line = int(rule.get("__line__", 0))
            if "record" in rule and "alert" not in rule:
                continue  # a recording rule: nothing to trigger on
            name = rule.get("alert")
            at = f"{p}:{line}: {where}"
            if not isinstance(name, str) or not name:
                problems.append(f"{at}: needs `alert:` (a name) or `record:`")
                continue
            at += f" ({name})"
            expr = rule.get("expr")
            if isinstance(expr, int | float) and not isinstance(expr, bool):
                expr = str(expr)
            if not isinstance(expr, str) or not expr.strip():
                problems.append(f"{at}: needs `expr:`, a PromQL expression")
                continue
            hold = rule.get("for", "")
            if hold:
                try:
                    parse_duration(str(hold))
                except (DurationError, ValueError) as exc:
                    problems.append(f"{at}: for: {exc}")
                    continue
            labels = rule.get("labels") or {}
            annotations = rule.get("annotations") or {}
            if not isinstance(labels, dict) or not isinstance(annotations, dict):
                problems.append(f"{at}: labels and annotations must be mappings")
                continue
            # Prometheus allows several rules with one alert name; trigger ids are unique
            base = slug(name)
            seen[base] = seen.get(base, 0) + 1
            trigger_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
            out.append(
                ImportedRule(
                    id=trigger_id,
                    title=name,
                    alert=expr.strip(),
                    hold=str(hold),
                    labels={str(k): str(v) for k, v in labels.items() if k != "__line__"},
                    summary=str(annotations.get("summary", "")),
                    line=line,
                )
            )
    if problems:
        raise RulesError(problems)
    return out
