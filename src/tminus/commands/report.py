"""`tminus report SESSION [--format md|html] [-o FILE]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tminus.core.errors import UsageError


def cmd_report(args: argparse.Namespace) -> int:
    from tminus.commands.sessions import resolve
    from tminus.engine.snapshot import refresh_snapshot
    from tminus.report.model import read_for_report, report_from
    from tminus.report.render import RENDERERS

    fmt = args.format or (Path(args.output).suffix.lstrip(".") if args.output else "md")
    fmt = {"markdown": "md", "htm": "html"}.get(fmt, fmt)
    if fmt not in RENDERERS:
        raise UsageError(f"--format must be md or html, not {fmt!r}")
    path = resolve(args.session)
    rec, decisions = read_for_report(path)
    text = RENDERERS[fmt](report_from(rec, decisions))
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.output}: cannot write: {exc.strerror}") from None
        print(f"wrote {args.output} ({fmt}, {len(text.encode()):,} bytes)", file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    # after the report is out: a log nobody resumed is read in full once only
    why = refresh_snapshot(rec)
    if why:
        print(f"warning: {why}", file=sys.stderr)
    return 0
