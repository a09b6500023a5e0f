"""Load and validate a plan; every problem is reported with file, line and field path."""

from __future__ import annotations

import os
import pkgutil
import re
import stat
import tomllib
from pathlib import Path as FsPath
from typing import Any

from tminus.core.records import record
from tminus.plan.checkspecs import KubernetesCheck, PrometheusCheck
from tminus.plan.locate import line_for, locate_lines
from tminus.plan.model import (
    GatewayApiActuator,
    IngressNginxActuator,
    KubernetesPatchAction,
    Plan,
    RolloutAction,
    VerifyAction,
)
from tminus.plan.schema import Converter, Path, Problem, format_path, short_repr

DEFAULT_PLAN_RESOURCE = "default_plan.toml"
# Limits that keep a hostile or mistaken plan from hanging or exhausting the machine.
# A real plan of 1,000 items is about 350 KB.
MAX_PLAN_BYTES = 1024 * 1024
MAX_NESTING = 24  # tables and lists inside each other
ID_FORMAT = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")


@record(frozen=True)
class PlanProblem:
    """One problem of a plan file: file, line, field and what is wrong."""

    source: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class PlanError(Exception):
    """A plan that cannot be used; `problems` holds one entry per problem found."""

    def __init__(self, problems: list[PlanProblem], more: int = 0) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
        self.more = more  # further problems found but not kept (a hostile plan has millions)

    @property
    def total(self) -> int:
        return len(self.problems) + self.more


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].rstrip("-") or "item"


def load_plan(path: str | FsPath) -> Plan:
    p = FsPath(path)
    return parse_plan(read_plan_text(p), str(p))


def read_plan_text(p: FsPath) -> str:
    """Read a plan file: a regular file of at most MAX_PLAN_BYTES, in UTF-8.

    Opened non-blocking and checked with fstat on the open descriptor, so a FIFO cannot
    block, a device cannot stream forever, and the file checked is the file read.
    """

    def bad(message: str) -> PlanError:
        return PlanError([PlanProblem(str(p), None, "", message)])

    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise bad("no such file") from None
    except IsADirectoryError:
        raise bad("is a directory, not a plan file") from None
    except OSError as exc:
        raise bad(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise bad("is a directory, not a plan file")
        if not stat.S_ISREG(st.st_mode):
            raise bad("is not a regular file (a pipe, device or socket): give a plan file")
        if st.st_size > MAX_PLAN_BYTES:
            raise bad(f"is {st.st_size:,} bytes; a plan may be at most {MAX_PLAN_BYTES:,} bytes")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_PLAN_BYTES + 1)
    except OSError as exc:
        raise bad(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_PLAN_BYTES:  # it grew after fstat
        raise bad(f"is larger than {MAX_PLAN_BYTES:,} bytes, the most a plan may be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PlanError(
            [PlanProblem(str(p), line, "", "not UTF-8 text: save the plan as UTF-8")]
        ) from None


def default_plan_text() -> str:
    # the package loader reads it (from a wheel, a zip or a checkout alike); importlib's
    # resources API would load zipfile and its kin on the path to the demo's first frame
    data = pkgutil.get_data(__package__ or "tminus.plan", DEFAULT_PLAN_RESOURCE)
    if data is None:  # a loader that cannot read files: never the case for tminus's own
        raise FileNotFoundError(DEFAULT_PLAN_RESOURCE)
    return data.decode("utf-8")


def default_plan() -> Plan:
    return parse_plan(default_plan_text(), "<default plan>")


def parse_plan(text: str, source: str = "plan.toml") -> Plan:
    """Parse and validate plan text; every way it can be wrong raises PlanError."""
    try:
        return _parse_plan(text, source)
    except PlanError:
        raise
    except (RecursionError, ValueError, OverflowError, MemoryError) as exc:
        # A safety net, never the plan: each known hostile input has its own message,
        # and the hostile-plan tests fail if this one is ever shown.
        raise PlanError(
            [PlanProblem(source, None, "", f"cannot be used ({type(exc).__name__}: {exc})")]
        ) from None


def _parse_plan(text: str, source: str) -> Plan:
    if len(text) > MAX_PLAN_BYTES:
        raise PlanError(
            [PlanProblem(source, None, "", f"larger than {MAX_PLAN_BYTES:,} bytes, the most")]
        )
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise PlanError([PlanProblem(source, line, "", "contains a NUL character")])
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError([_syntax_problem(source, text, exc)]) from None
    except RecursionError:
        raise PlanError(
            [PlanProblem(source, None, "", f"nested more than {MAX_NESTING} levels deep")]
        ) from None
    except ValueError as exc:  # tomllib's int(): "Exceeds the limit (4300 digits)"
        reason = "a number with too many digits" if "digits" in str(exc) else str(exc)
        raise PlanError([PlanProblem(source, None, "", f"TOML value refused: {reason}")]) from None
    deep = _too_deep(raw)
    if deep is not None:
        lines = _safe_lines(text)
        raise PlanError(
            [
                PlanProblem(
                    source,
                    line_for(lines, deep),
                    format_path(deep),
                    f"nested more than {MAX_NESTING} levels deep",
                )
            ]
        )
    conv = Converter()
    _assign_ids(raw, conv)
    plan = conv.table(Plan, raw, ())
    if plan is not None and not conv.problems:
        for problem in _cross_check(plan):
            conv.fail(problem.path, problem.message)
    if conv.problems or plan is None:
        # positions cost a scan: only a bad plan needs them, and only for the kept problems
        lines = _safe_lines(text, {p.path for p in conv.problems})
        problems = [
            PlanProblem(source, line_for(lines, p.path), format_path(p.path), p.message)
            for p in conv.problems
        ]
        problems.sort(key=lambda p: p.line or 0)
        more = conv.count - len(problems)
        raise PlanError(problems or [PlanProblem(source, None, "", "not a valid plan")], more)
    return _with_source(plan, source)


def _safe_lines(text: str, wanted: set[Path] | None = None) -> dict[Path, int]:
    try:
        return locate_lines(text, wanted)
    except RecursionError:  # line numbers are a convenience: never let them fail the report
        return {}


def _too_deep(raw: Any) -> Path | None:
    """The path of the first value nested deeper than MAX_NESTING, found without recursion."""
    stack: list[tuple[Any, Path]] = [(raw, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_NESTING:
            return path[: MAX_NESTING + 1]
        if isinstance(value, dict):
            stack.extend((v, (*path, str(k))) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
    return None


def _with_source(plan: Plan, source: str) -> Plan:
    from dataclasses import replace

    return replace(plan, source=source)


def _syntax_problem(source: str, text: str, exc: tomllib.TOMLDecodeError) -> PlanProblem:
    msg = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    line: int | None = int(m.group(1)) if m else None
    col: int | None = int(m.group(2)) if m else None
    if m is None and "end of document" in msg:
        lines = text.splitlines() or [""]
        line, col = len(lines), len(lines[-1]) + 1
    reason = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", msg)
    where = f"column {col}: " if col else ""
    return PlanProblem(source, line, "", f"TOML syntax error: {where}{reason}")


def _assign_ids(raw: dict[str, Any], conv: Converter) -> None:
    """Give items, sections, steps and criteria a stable id derived from their title.

    Done on the raw tables so a duplicate can be reported at its own path. A derived id
    that collides is prefixed with its phase id; an explicit duplicate is an error.
    """
    phases = raw.get("phases")
    seen_items: dict[str, Path] = {}
    if isinstance(phases, list):
        seen_phases: set[str] = set()
        for pi, phase in enumerate(phases):
            if not isinstance(phase, dict):
                continue
            pid = phase.get("id")
            if isinstance(pid, str):
                _check_id(pid, ("phases", pi, "id"), conv)
                if pid in seen_phases:
                    conv.fail(("phases", pi, "id"), f"duplicate phase id {pid!r}")
                seen_phases.add(pid)
            sections = phase.get("sections")
            if not isinstance(sections, list):
                continue
            seen_sections: set[str] = set()
            for si, section in enumerate(sections):
                if not isinstance(section, dict):
                    continue
                _derive(section, ("phases", pi, "sections", si), seen_sections, conv, None)
                items = section.get("items")
                if not isinstance(items, list):
                    continue
                for ii, item in enumerate(items):
                    if isinstance(item, dict):
                        path = ("phases", pi, "sections", si, "items", ii)
                        prefix = pid if isinstance(pid, str) else f"phase{pi}"
                        _derive(item, path, seen_items, conv, prefix)
    rollback = raw.get("rollback")
    if isinstance(rollback, dict) and isinstance(rollback.get("steps"), list):
        seen: dict[str, Path] = {}
        for i, step in enumerate(rollback["steps"]):
            if isinstance(step, dict):
                _derive(step, ("rollback", "steps", i), seen, conv, None)
    criteria = raw.get("success_criteria")
    if isinstance(criteria, list):
        seen_c: dict[str, Path] = {}
        for i, crit in enumerate(criteria):
            if isinstance(crit, dict):
                _derive(crit, ("success_criteria", i), seen_c, conv, None)
    for table in ("metrics", "triggers"):
        entries = raw.get(table)
        if isinstance(entries, list):
            ids: set[str] = set()
            for i, entry in enumerate(entries):
                eid = entry.get("id") if isinstance(entry, dict) else None
                if isinstance(eid, str):
                    _check_id(eid, (table, i, "id"), conv)
                    if eid in ids:
                        conv.fail((table, i, "id"), f"duplicate id {eid!r}")
                    ids.add(eid)


def _derive(
    table: dict[str, Any],
    path: Path,
    seen: dict[str, Path] | set[str],
    conv: Converter,
    prefix: str | None,
) -> None:
    given = table.get("id")
    if isinstance(given, str):
        _check_id(given, (*path, "id"), conv)
        if given in seen:
            conv.fail((*path, "id"), f"duplicate id {given!r}")
        _remember(seen, given, path)
        return
    if given is not None or not isinstance(table.get("title"), str):
        return  # the converter reports the wrong type or the missing title
    slug = slugify(table["title"])
    if slug in seen and prefix:
        slug = f"{prefix}.{slug}"
    if slug in seen:
        conv.fail((*path, "id"), f"the id derived from the title, {slug!r}, is taken: set id")
    table["id"] = slug
    _remember(seen, slug, path)


def _check_id(given: str, path: Path, conv: Converter) -> None:
    if not ID_FORMAT.fullmatch(given):
        conv.fail(
            path,
            f"bad id {short_repr(given)}: use up to 80 lowercase letters, digits, '-', '_', '.',"
            " starting with a letter or digit",
        )


def _remember(seen: dict[str, Path] | set[str], key: str, path: Path) -> None:
    if isinstance(seen, dict):
        seen[key] = path
    else:
        seen.add(key)


def _cross_check(plan: Plan) -> list[Problem]:
    """References between tables: metrics, contexts, and the backends checks need."""
    out: list[Problem] = []
    metric_ids = {m.id for m in plan.metrics}
    demo = plan.backends.demo is not None
    kube = plan.backends.kubernetes
    contexts = set(kube.contexts) if kube else set()

    def need_context(path: Path, ctx: str) -> None:
        if demo:
            return
        if kube is None:
            out.append(Problem(path, "needs [backends.kubernetes] (or [backends.demo])"))
        elif ctx not in contexts:
            known = ", ".join(sorted(contexts))
            out.append(
                Problem(path, f"unknown context {ctx!r} (backends.kubernetes.contexts: {known})")
            )

    for i, trig in enumerate(plan.triggers):
        if trig.metric and trig.metric not in metric_ids:
            out.append(Problem(("triggers", i, "metric"), f"no metric with id {trig.metric!r}"))
    for i, crit in enumerate(plan.success_criteria):
        if crit.metric and crit.metric not in metric_ids:
            out.append(
                Problem(("success_criteria", i, "metric"), f"no metric with id {crit.metric!r}")
            )
    needs_prom = (
        bool(plan.metrics)
        or any(c.query for c in plan.success_criteria)
        or any(t.alert for t in plan.triggers)
    )
    if needs_prom and not demo and plan.backends.prometheus is None:
        path: Path = (
            ("metrics",)
            if plan.metrics
            else ("success_criteria",)
            if any(c.query for c in plan.success_criteria)
            else ("triggers",)
        )
        out.append(Problem(path, "metrics need [backends.prometheus] (or [backends.demo])"))
    for pi, phase in enumerate(plan.phases):
        for si, section in enumerate(phase.sections):
            for ii, item in enumerate(section.items):
                base: Path = ("phases", pi, "sections", si, "items", ii, "check")
                check = item.check
                if isinstance(check, PrometheusCheck) and not demo and not plan.backends.prometheus:
                    out.append(Problem((*base, "kind"), "needs [backends.prometheus]"))
                if isinstance(check, KubernetesCheck):
                    if not check.contexts:
                        need_context((*base, "kind"), next(iter(contexts), ""))
                    for ci, ctx in enumerate(check.contexts):
                        need_context((*base, "contexts", ci), ctx)
    if plan.rollout is not None:
        act = plan.rollout.actuator
        if isinstance(act, IngressNginxActuator | GatewayApiActuator):
            if act.contexts:
                for ci, ctx in enumerate(act.contexts):
                    need_context(("rollout", "actuator", "contexts", ci), ctx)
            else:
                need_context(("rollout", "actuator", "context"), act.context)
        if act.kind == "demo" and not demo:  # type: ignore[attr-defined]
            out.append(
                Problem(("rollout", "actuator", "kind"), 'kind "demo" needs [backends.demo]')
            )
        for gi, metric_id in enumerate(plan.rollout.gate or ()):
            if metric_id not in metric_ids:
                out.append(Problem(("rollout", "gate", gi), f"no metric with id {metric_id!r}"))
            elif plan.metric(metric_id).ok is None:
                out.append(
                    Problem(("rollout", "gate", gi), f"metric {metric_id!r} has no ok range")
                )
    for i, step in enumerate(plan.rollback.steps):
        if isinstance(step.action, KubernetesPatchAction):
            need_context(("rollback", "steps", i, "action", "context"), step.action.context)
        if isinstance(step.action, RolloutAction) and plan.rollout is None:
            out.append(Problem(("rollback", "steps", i, "action"), "needs a [rollout] section"))
        if isinstance(step.action, VerifyAction):
            out.extend(_verify_problems(plan, ("rollback", "steps", i, "action"), step.action))
    return out


def _verify_problems(plan: Plan, base: Path, action: VerifyAction) -> list[Problem]:
    out: list[Problem] = []
    automated = {item.id for _, _, item in plan.items() if item.check is not None}
    for ci, check_id in enumerate(action.checks):
        if check_id not in automated:
            out.append(Problem((*base, "checks", ci), f"no automated item with id {check_id!r}"))
    metrics = {m.id: m for m in plan.metrics}
    for mi, metric_id in enumerate(action.metrics):
        metric = metrics.get(metric_id)
        if metric is None:
            out.append(Problem((*base, "metrics", mi), f"no metric with id {metric_id!r}"))
        elif metric.ok is None:
            out.append(Problem((*base, "metrics", mi), f"metric {metric_id!r} has no ok condition"))
    return out
