"""Benchmark: what one more observer costs `tminus serve`, on the status page (server-sent
events) and in the browser console (textual-serve: a console process per viewer).

A demo session is written live by a writer process (one event every 0.5 s: metric samples,
a note now and then), and `tminus serve` follows it. Measured in the same run:

- idle: the server alone, no observer;
- status page with 1, 10 and 50 SSE observers (this script's own aiohttp clients, reading
  every event);
- browser console with a few viewers (websocket clients speaking textual-serve's protocol:
  each one makes the server start a console process, as a browser tab would).

Memory is the RSS of the server and every process under it; CPU is user+system time of the
same tree over the window, as a share of one core. "Per observer" is the change from idle
divided by the number of observers. Loopback only, bounded in count and time.

    .venv/bin/python bench/warroom.py [--window 10] [--viewers 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

WRITER = """
import sys, time, random
from pathlib import Path
from tminus.engine.session import open_session
w = open_session(Path(sys.argv[1]))
deadline = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < deadline:
    n += 1
    w.append("metric.sample", metric="error_rate", value=random.random() / 1000)
    if n % 20 == 0:
        w.append("note.added", actor="cmdr@host", text=f"note {n}")
    time.sleep(0.5)
w.close(mark_closed=False)
"""


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT / "src")
    return e


def descendants(pid: int) -> list[int]:
    """The process and everything under it, from /proc (no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def tree_usage(pid: int) -> tuple[float, float, int]:
    """(cpu seconds, rss MB, processes) of the tree rooted at pid."""
    cpu, rss, n = 0.0, 0, 0
    for p in descendants(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            statm = Path(f"/proc/{p}/statm").read_text().split()
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
        rss += int(statm[1]) * PAGE
        n += 1
    return cpu, rss / 1e6, n


async def measure(pid: int, window: float) -> tuple[float, float, int]:
    """CPU share of one core over the window, and RSS (MB) at its end."""
    cpu0, _, _ = tree_usage(pid)
    t0 = time.monotonic()
    await asyncio.sleep(window)
    cpu1, rss, n = tree_usage(pid)
    return (cpu1 - cpu0) / (time.monotonic() - t0) * 100, rss, n


async def sse_observer(session, url: str, seen: list[int], stop: asyncio.Event) -> None:
    async with session.get(url) as resp:
        async for raw in resp.content:
            line = raw.decode()
            if line.startswith("data: "):
                seen.append(json.loads(line[6:])["seq"])
            if stop.is_set():
                return


async def console_viewer(session, url: str, frames: list[int], stop: asyncio.Event) -> None:
    async with session.ws_connect(url) as ws:
        await ws.send_str(json.dumps(["resize", {"width": 120, "height": 40}]))
        while not stop.is_set():
            try:
                msg = await asyncio.wait_for(ws.receive(), 0.5)
            except TimeoutError:
                continue
            if msg.type.name in ("CLOSED", "ERROR"):
                return
            frames.append(len(msg.data) if msg.data else 0)


async def run(args: argparse.Namespace) -> dict[str, object]:
    import aiohttp

    home = tempfile.mkdtemp(prefix="tminus-bench-")
    os.environ["TMINUS_HOME"] = home
    sys.path.insert(0, str(ROOT / "src"))
    from tminus.engine.session import create_session

    s = create_session("MusicConnect-demo")
    from tminus.commands.console import demo_plan
    from tminus.engine.events import SessionStarted

    s.append(
        SessionStarted.for_plan(
            demo_plan("healthy", 1.0, 1),
            session=s.session_id,
            mode="demo",
            plan_path="<default plan>",
            scenario="healthy",
            speed=1.0,
            seed=1,
        )
    )
    s.close(mark_closed=False)
    total = args.window * 7 + 60
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(s.path), str(total)], env=env())
    server = subprocess.Popen(
        [sys.executable, "-m", "tminus.cli", "serve", "--port", "0", s.session_id],
        stdout=subprocess.PIPE,
        text=True,
        env=env(),
        start_new_session=True,
    )
    results: dict[str, object] = {}
    try:
        base = ""
        assert server.stdout is not None
        for line in server.stdout:
            m = re.search(r"(http://\S+)/status$", line.strip())
            if m:
                base = m.group(1)
            if line.startswith("listening"):
                break
        await asyncio.sleep(2)
        idle_cpu, idle_rss, _ = await measure(server.pid, args.window)
        results["idle"] = {"cpu_pct": idle_cpu, "rss_mb": idle_rss}
        print(f"idle: {idle_cpu:.2f}% CPU, {idle_rss:.1f} MB", flush=True)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
        for n in (1, 10, 50):
            stop = asyncio.Event()
            seen: list[list[int]] = [[] for _ in range(n)]
            async with aiohttp.ClientSession(timeout=timeout) as http:
                tasks = [
                    asyncio.create_task(sse_observer(http, base + "/status/events", seen[i], stop))
                    for i in range(n)
                ]
                await asyncio.sleep(2)
                cpu, rss, procs = await measure(server.pid, args.window)
                stop.set()
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            got = min(len(x) for x in seen)
            per_cpu, per_rss = (cpu - idle_cpu) / n, (rss - idle_rss) / n
            results[f"sse_{n}"] = {
                "cpu_pct": cpu,
                "rss_mb": rss,
                "processes": procs,
                "per_observer_cpu_pct": per_cpu,
                "per_observer_rss_mb": per_rss,
                "min_messages_per_observer": got,
            }
            print(
                f"status page, {n:2d} observers: {cpu:.2f}% CPU, {rss:.1f} MB, {procs} process(es);"
                f" per observer {per_cpu:+.3f}% CPU, {per_rss:+.2f} MB; each got >= {got} updates",
                flush=True,
            )
            await asyncio.sleep(1)
        k = args.viewers
        stop = asyncio.Event()
        frames: list[list[int]] = [[] for _ in range(k)]
        ws_url = base.replace("http://", "ws://") + "/ws?width=120&height=40"
        async with aiohttp.ClientSession() as http:
            tasks = [
                asyncio.create_task(console_viewer(http, ws_url, frames[i], stop)) for i in range(k)
            ]
            await asyncio.sleep(args.console_warmup)  # each console process starts and paints
            cpu, rss, procs = await measure(server.pid, args.window)
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
        per_cpu, per_rss = (cpu - idle_cpu) / k, (rss - idle_rss) / k
        results[f"console_{k}"] = {
            "cpu_pct": cpu,
            "rss_mb": rss,
            "processes": procs,
            "per_viewer_cpu_pct": per_cpu,
            "per_viewer_rss_mb": per_rss,
            "frames": [len(f) for f in frames],
        }
        print(
            f"browser console, {k} viewers: {cpu:.2f}% CPU, {rss:.1f} MB, {procs} processes;"
            f" per viewer {per_cpu:+.2f}% CPU, {per_rss:+.1f} MB",
            flush=True,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(15)
        writer.kill()
        writer.wait()
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--window", type=float, default=10.0, help="seconds measured per case")
    p.add_argument("--viewers", type=int, default=3, help="browser console viewers (<= 5)")
    p.add_argument("--console-warmup", type=float, default=8.0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    args.viewers = max(1, min(args.viewers, 5))
    print(f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}")
    results = asyncio.run(run(args))
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
