"""`tminus import-rules RULES.yml [--into PLAN]`: alerting rules become [[triggers]].

Without --into the triggers are printed as TOML. With --into they are appended to the plan
file, which is written only if the result still validates (ids must not collide).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import tomli_w

from tminus.plan.loader import PlanError, load_plan
from tminus.plan.rules import ImportedRule, RulesError, read_rules

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def triggers_toml(rules: list[ImportedRule], source: str) -> str:
    out = [f"# imported from {source} by tminus import-rules\n"]
    for rule in rules:
        out.append("\n" + tomli_w.dumps({"triggers": [rule.to_raw()]}, multiline_strings=True))
    return "".join(out)


def main(args: argparse.Namespace) -> int:
    try:
        rules = read_rules(args.rules)
    except RulesError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    text = triggers_toml(rules, Path(args.rules).name)
    if not args.into:
        print(text, end="")
        print(f"{len(rules)} alerting rules as triggers", file=sys.stderr)
        return EXIT_OK
    return _append(Path(args.into), text, len(rules))


def _append(plan_path: Path, text: str, count: int) -> int:
    try:
        original = plan_path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"{plan_path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    combined = original.rstrip("\n") + "\n\n" + text
    # validate the combined plan before touching the file: a clash leaves the plan as it was
    fd, tmp = tempfile.mkstemp(prefix=f".{plan_path.name}.", suffix=".toml", dir=plan_path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(combined)
        try:
            load_plan(tmp)
        except PlanError as exc:
            for problem in exc.problems:
                print(str(problem).replace(tmp, str(plan_path)), file=sys.stderr)
            print(f"{plan_path}: not changed", file=sys.stderr)
            return EXIT_BAD_INPUT
        os.chmod(tmp, plan_path.stat().st_mode & 0o777)
        os.replace(tmp, plan_path)
        tmp = ""
    finally:
        if tmp:
            os.unlink(tmp)
    print(f"{plan_path}: added {count} triggers", file=sys.stderr)
    return EXIT_OK
