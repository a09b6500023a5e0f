"""The `tminus` command line. Exit codes: 0 fine, 1 checks failed, 2 bad input."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from tminus import __version__
from tminus.core import gc_policy
from tminus.core.errors import UsageError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
SCREENFUL = 20  # problems printed before the rest are only counted


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"tminus: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tminus", description="The launch commander's console.")
    p.add_argument("--version", action="version", version=f"tminus {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("validate", help="check a plan file and report every problem")
    s.add_argument("plan", metavar="PLAN")

    s = sub.add_parser("init", help="write the default plan, pointed at real backends, to edit")
    s.add_argument("path", metavar="PATH", nargs="?", default="tminus-plan.toml")
    s.add_argument("--force", action="store_true", help="overwrite an existing file")

    s = sub.add_parser("plan", help="plan tools")
    plan_sub = s.add_subparsers(dest="plan_command", metavar="SUBCOMMAND", parser_class=_Parser)
    show = plan_sub.add_parser("show", help="print the normalized plan (default: the embedded one)")
    show.add_argument("plan", metavar="PLAN", nargs="?")
    show.add_argument("--json", action="store_true", help="print JSON")

    s = sub.add_parser("run", help="open the console on a plan; resumes its unfinished session")
    s.add_argument("plan", metavar="PLAN")
    s.add_argument("--read-only", action="store_true", help="change nothing; follow the session")
    s.add_argument("--new", action="store_true", help="start a new session instead of resuming")
    _as(s)
    s.add_argument(
        "--take-over",
        action="store_true",
        help="continue writing the unfinished session once its writer has quit (recorded)",
    )

    s = sub.add_parser("check", help="run the plan's automated checks headless (CI, cron)")
    s.add_argument("plan", metavar="PLAN")
    s.add_argument("--phase", metavar="ID", help="only this phase's items")
    s.add_argument("--item", metavar="ID", action="append", help="only this item (repeatable)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--junit", metavar="FILE", help="also write JUnit XML here")
    s.add_argument("--concurrency", metavar="N", type=int, help="checks at once (plan default)")
    s.add_argument("--no-record", action="store_true", help="do not record a session")
    _as(s)

    s = sub.add_parser(
        "import-rules", help="turn a Prometheus alerting-rules file into [[triggers]]"
    )
    s.add_argument("rules", metavar="RULES.yml")
    s.add_argument("--into", metavar="PLAN", help="append them to this plan (validated first)")

    s = sub.add_parser("sessions", help="list recorded sessions; `sessions prune` removes old ones")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--plan", metavar="PLAN", help="only sessions of this plan (path or launch)")
    s.add_argument("--open", action="store_true", help="only sessions not ended")
    s.add_argument("--since", metavar="WHEN", help="started since: an age (7d) or a date")
    ssub = s.add_subparsers(dest="sessions_command", metavar="SUBCOMMAND", parser_class=_Parser)
    pr = ssub.add_parser("prune", help="remove old sessions; never one that is open or resumable")
    pr.add_argument("--older-than", metavar="AGE", required=True, help="e.g. 30d")
    pr.add_argument("--dry-run", action="store_true", help="only say what would be removed")

    s = sub.add_parser("close", help="end a launch session with its outcome (headless)")
    s.add_argument("session", metavar="SESSION")
    s.add_argument("--outcome", required=True, choices=["launched", "rolled-back", "aborted"])
    s.add_argument("--note", help="why, in a sentence")
    _as(s)

    s = sub.add_parser("attach", help="follow a session live, read-only (default: newest open)")
    s.add_argument("session", metavar="SESSION", nargs="?")

    s = sub.add_parser("replay", help="replay a recorded session with a time cursor")
    s.add_argument("session", metavar="SESSION")

    s = sub.add_parser("report", help="a retrospective report of a session")
    s.add_argument("session", metavar="SESSION")
    s.add_argument("--format", choices=["md", "html"], help="default: from -o, else md")
    s.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")

    s = sub.add_parser("serve", help="the war room in a browser: console and live status page")
    s.add_argument(
        "session", metavar="SESSION", nargs="?", help="id or file (default: newest open)"
    )
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks one)")
    s.add_argument(
        "--writable", action="store_true", help="the commander's console, behind a token"
    )

    s = sub.add_parser("rehearse", help="the whole plan against real backends, all in dry-run")
    s.add_argument("plan", metavar="PLAN")
    s.add_argument("--speed", type=float, default=1.0, help="run trigger holds N times faster")
    s.add_argument("--json", action="store_true", help="print one JSON object")

    s = sub.add_parser("demo", help="the default plan on the embedded demo world")
    s.add_argument("--scenario", choices=["healthy", "bad-release", "flaky-dns"], default="healthy")
    s.add_argument("--speed", type=float, default=1.0)
    s.add_argument("--seed", type=int, default=1)
    _as(s)
    s.add_argument(
        "--watch",
        metavar="DURATION",
        help='watch every automated check of the current phase on this interval (e.g. "30s")',
    )
    for console in ("run", "demo"):
        sub.choices[console].add_argument(
            "--ascii",
            action="store_true",
            help="ASCII symbols, sparklines and boxes (automatic for a non-UTF-8 locale)",
        )
    return p


def _terminal(args: argparse.Namespace) -> None:
    """Before Textual is imported: ASCII and the colour depth this terminal can show."""
    from tminus.ui.terminal_caps import apply, detect

    apply(detect(force_ascii=args.ascii))


def _as(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="as_actor",
        metavar="NAME",
        help="who acts, recorded beside the OS user (default: $TMINUS_ACTOR, else the OS user)",
    )


def _load(path: str | None):  # type: ignore[no-untyped-def]
    from tminus.plan.loader import default_plan, load_plan

    return default_plan() if path is None else load_plan(path)


def cmd_validate(args: argparse.Namespace) -> int:
    plan = _load(args.plan)
    checks = sum(1 for _, _, i in plan.items() if i.check is not None)
    manual = sum(1 for _, _, i in plan.items() if i.manual)
    print(
        f"{args.plan}: ok: {len(plan.phases)} phases, {checks} checks, {manual} manual items, "
        f"{len(plan.metrics)} metrics, {len(plan.triggers)} triggers"
    )
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from tminus.plan.loader import default_plan
    from tminus.plan.writer import init_text

    target = Path(args.path)
    if target.exists() and not args.force:
        raise UsageError(f"{target}: already exists (use --force to overwrite)")
    text = init_text(default_plan(), str(target))
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{target}: cannot write: {exc.strerror}") from None
    print(f"wrote {target}: edit the backends, then `tminus validate {target}`")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    if args.plan_command != "show":
        raise UsageError("plan needs a subcommand: show")
    plan = _load(args.plan)
    data = plan.to_dict()
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        from tminus.plan.serialize import to_raw
        from tminus.plan.writer import dump_dict

        print(dump_dict(to_raw(plan)), end="")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from tminus.commands.check import main as check_main

    return check_main(_load(args.plan), args)


def cmd_import_rules(args: argparse.Namespace) -> int:
    from tminus.commands.import_rules import main as import_main

    return import_main(args)


def cmd_sessions(args: argparse.Namespace) -> int:
    from tminus.commands.sessions import cmd_sessions as sessions_main

    return sessions_main(args)


def cmd_close(args: argparse.Namespace) -> int:
    from tminus.commands.sessions import cmd_close as close_main

    return close_main(args)


def cmd_attach(args: argparse.Namespace) -> int:
    from tminus.commands.recorded import attach

    return attach(args.session)


def cmd_replay(args: argparse.Namespace) -> int:
    from tminus.commands.recorded import replay

    return replay(args.session)


def cmd_report(args: argparse.Namespace) -> int:
    from tminus.commands.report import cmd_report as report_main

    return report_main(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from tminus.commands.console import run_demo

    watch = None
    if args.watch is not None:
        from tminus.core.durations import parse_duration

        try:
            watch = parse_duration(args.watch)
        except ValueError as exc:
            raise UsageError(f"--watch: {exc}") from None
        if watch.total_seconds() < 1:
            raise UsageError("--watch must be at least 1s")
    _terminal(args)
    return run_demo(args.scenario, args.speed, args.seed, watch, actor=args.as_actor)


def cmd_run(args: argparse.Namespace) -> int:
    from tminus.commands.console import run_plan

    if args.take_over and (args.read_only or args.new):
        raise UsageError("--take-over cannot be combined with --read-only or --new")
    plan = _load(args.plan)
    _terminal(args)
    return run_plan(
        plan,
        str(Path(args.plan).resolve()),
        read_only=args.read_only,
        new=args.new,
        actor=args.as_actor,
        take_over=args.take_over,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from tminus.commands.serve import serve

    if not 0 <= args.port < 65536:
        raise UsageError("--port must be between 0 and 65535")
    return serve(args.session, host=args.host, port=args.port, writable=args.writable)


def cmd_rehearse(args: argparse.Namespace) -> int:
    from tminus.commands.rehearse import main as rehearse_main

    if args.speed <= 0:
        raise UsageError("--speed must be more than 0")
    return rehearse_main(_load(args.plan), args)


COMMANDS = {
    "validate": cmd_validate,
    "init": cmd_init,
    "plan": cmd_plan,
    "check": cmd_check,
    "import-rules": cmd_import_rules,
    "sessions": cmd_sessions,
    "close": cmd_close,
    "attach": cmd_attach,
    "replay": cmd_replay,
    "report": cmd_report,
    "demo": cmd_demo,
    "run": cmd_run,
    "serve": cmd_serve,
    "rehearse": cmd_rehearse,
}


CONSOLES = ("demo", "run")  # commands that open the console: their start-up is timed


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_BAD_INPUT
    if args.command in CONSOLES:
        # no collections until the console's first full frame (it resumes them then)
        gc_policy.pause_for_start()
    from tminus.plan.loader import PlanError

    try:
        return COMMANDS[args.command](args)
    except PlanError as exc:
        for problem in exc.problems[:SCREENFUL]:
            print(problem, file=sys.stderr)
        n = exc.total
        if n > SCREENFUL:
            print(f"... and {n - SCREENFUL} more", file=sys.stderr)
        print(f"tminus: {n} problem{'s' if n != 1 else ''} in the plan", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as exc:
        print(f"tminus: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `tminus plan show | head`: the reader left, that is fine
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    finally:
        gc_policy.resume_after_start(freeze=False)  # no frame drawn (bad input, or an error)


if __name__ == "__main__":
    raise SystemExit(main())
