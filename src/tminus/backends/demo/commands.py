"""DemoCommands: the launch scripts the default plan runs, simulated by name.

Each program answers with plausible output after a short, deterministic pause in real time,
so the checklist shows commands running without any process being started.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable, Mapping, Sequence

from tminus.backends.base import BackendError, CommandOutput
from tminus.backends.demo import noise
from tminus.backends.demo.world import DemoWorld
from tminus.core.records import record


@record(frozen=True)
class _Run:
    """How a simulated program ended."""

    exit_code: int
    stdout: str
    stderr: str = ""


Program = Callable[[DemoWorld, list[str]], _Run]


def _verify_backup(world: DemoWorld, args: list[str]) -> _Run:
    mode = "dry run: " if "--dry-run" in args else ""
    return _Run(
        0,
        f"{mode}restoring snapshot musicconnect-nightly into scratch database\n"
        "restored 14 tables in 41s\n"
        "row counts match: users 48210, tracks 391877, playlists 120554, payments 88213\n"
        "backup verified\n",
    )


def _security_scan(world: DemoWorld, args: list[str]) -> _Run:
    return _Run(
        0,
        "scanning 212 images and 1830 dependencies\n"
        "critical: 0  high: 0  medium: 3  low: 11\n"
        "no findings at or above the --fail-on level\n",
    )


def _make(world: DemoWorld, args: list[str]) -> _Run:
    if args != ["test-all"]:
        target = args[0] if args else "all"
        return _Run(2, "", f"make: *** No rule to make target '{target}'.  Stop.\n")
    return _Run(
        0,
        "unit: 1243 passed in 38.2s\nintegration: 212 passed in 95.0s\n"
        "e2e: 48 passed in 310.4s\nall test suites passed\n",
    )


def _migrate(world: DemoWorld, args: list[str]) -> _Run:
    if args != ["--status"]:
        return _Run(2, "", "demo world: only `migrate.sh --status` is simulated\n")
    return _Run(0, "current: 2026120301_add_upload_quotas\nschema up to date\n")


def _check_integrity(world: DemoWorld, args: list[str]) -> _Run:
    return _Run(0, "checked 14 tables: 0 orphaned rows, 0 constraint violations\nchecksums match\n")


PROGRAMS: dict[str, Program] = {
    "verify-backup.sh": _verify_backup,
    "security-scan.sh": _security_scan,
    "make": _make,
    "migrate.sh": _migrate,
    "check-integrity.sh": _check_integrity,
}


class DemoCommands:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    async def run(
        self,
        argv: Sequence[str] | None,
        *,
        command: str | None,
        shell: bool,
        cwd: str | None,
        env: Mapping[str, str],
        timeout: float,
        output_limit: int,
    ) -> CommandOutput:
        words = list(argv) if argv else shlex.split(command or "")
        if not words:
            raise BackendError("not_found", "demo world: no program given")
        program = PROGRAMS.get(words[0].rsplit("/", 1)[-1])
        if program is None:
            raise BackendError("not_found", f"demo world: no such program {words[0]!r}")
        # 0.05-0.5 s, the same for the same command line and seed
        duration = 0.05 + 0.45 * (1 + noise.unit(self.world.seed, " ".join(words), 0)) / 2
        if duration > timeout:
            await asyncio.sleep(timeout)
            return CommandOutput(None, "", "", timed_out=True, duration=timeout)
        await asyncio.sleep(duration)
        result = program(self.world, words[1:])
        return CommandOutput(
            result.exit_code,
            _tail(result.stdout, output_limit),
            _tail(result.stderr, output_limit),
            duration=duration,
        )


def _tail(text: str, limit: int) -> str:
    return text[-limit:] if limit > 0 else ""
