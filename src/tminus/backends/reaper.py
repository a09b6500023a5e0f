"""Find and kill every process a command check started, including ones that left its group.

A child's own process group is not enough: a grandchild that calls `setsid` leaves it, and
one whose parent exits is re-parented. So each command gets a unique marker in its
environment (inherited by its descendants), tminus becomes a child subreaper where Linux
allows it (orphans are re-parented to tminus, not to init), and the sweep kills every
process in the command's process tree, every process carrying the marker, and every
process tminus adopted from that tree. Linux only (/proc); elsewhere the group kill stands.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import uuid

MARKER_VAR = "TMINUS_CHECK_RUN"
PR_SET_CHILD_SUBREAPER = 36
_SWEEP_ROUNDS = 20  # a process forking while being killed is caught on a later round
_subreaper: bool | None = None


def become_subreaper() -> bool:
    """Ask Linux to re-parent our orphaned descendants to us; once per process."""
    global _subreaper
    if _subreaper is None:
        _subreaper = False
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError, AttributeError):
                import ctypes

                libc = ctypes.CDLL(None, use_errno=True)
                _subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    return _subreaper


def new_marker() -> str:
    return uuid.uuid4().hex


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) from /proc/PID/stat; None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rfind(b")") + 2 :].split()  # the command name may contain spaces
    return int(rest[1]), rest[0].decode()


def _has_marker(pid: int, marker: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return marker in f.read().split(b"\0")
    except OSError:
        return False


def members(root: int, marker: str) -> set[int]:
    """Live processes of the command started as `root`: its process tree, and every process
    carrying its marker (those that left the tree by being orphaned). `root` excluded."""
    if not os.path.isdir("/proc"):
        return set()
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = _stat(int(name))
            if info is not None and info[1] != "Z":
                parents[int(name)] = info[0]
    tag = f"{MARKER_VAR}={marker}".encode()
    found: set[int] = set()
    for pid, ppid in parents.items():
        if pid in (root, os.getpid()):
            continue
        p, hops = ppid, 0
        while p != root and p in parents and hops < 4096:
            p, hops = parents[p], hops + 1
        if p == root or _has_marker(pid, tag):
            found.add(pid)
    return found


def sweep(root: int, marker: str) -> int:
    """SIGKILL every process of the command until none is left; return how many were hit.

    Blocking (/proc reads): call it off the event loop.
    """
    hit: set[int] = set()
    for _ in range(_SWEEP_ROUNDS):
        pids = members(root, marker)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        hit |= pids
        time.sleep(0.01)
    _reap_adopted(hit, root)
    return len(hit)


def _reap_adopted(pids: set[int], root: int) -> None:
    """Collect the exit status of killed processes that were re-parented to us, so no
    zombie is left. Only pids we killed: the command's own child is reaped by asyncio."""
    me = os.getpid()
    deadline = time.monotonic() + 1.0
    waiting = {p for p in pids if p != root}
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            info = _stat(pid)
            if info is None or info[0] != me:
                waiting.discard(pid)  # gone, or someone else's child to reap
                continue
            with contextlib.suppress(ChildProcessError, OSError):
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    waiting.discard(pid)
        if waiting:
            time.sleep(0.01)
