"""`tminus report`: every decision of a scripted session, in Markdown and in HTML, and
the HTML drawn by a real headless Chromium."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from scripted_session import record_session
from tminus.core.redact import register_secret
from tminus.engine.session import load_events
from tminus.report.model import build_report
from tminus.report.render import render_html, render_markdown

CHROMIUM = shutil.which("chromium")


@pytest.fixture
async def session_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad-release.jsonl"
    await record_session(path)
    return path


DECISIONS = [
    "Confirmed Penetration testing completed: “report PT-2291 signed”",
    "Sign-off of Pre-Launch Validation refused",
    "All Kubernetes clusters healthy across regions (fail",
    "Trigger fired: Error rate > 5%",
    "Trigger declared: Security breach detected: “odd logins from one ASN”",
    "Trigger cleared: Security breach detected: “false alarm: pentest traffic”",
    "Note: “rolled back at 50%, errors gone”",
    "Session ended: rolled-back",
]


async def test_markdown_report_has_every_decision(session_file: Path) -> None:
    text = render_markdown(build_report(session_file))
    for decision in DECISIONS:
        assert decision in text, decision
    assert "**Outcome**: rolled-back" in text and "alice" in text
    assert "| All Kubernetes clusters healthy across regions | fail |" in text  # failed check
    assert "| < 0.1% error rate | not met |" in text  # criterion with its final value
    assert "Error rate" in text and any(c in text for c in "▁▂▃▄▅▆▇█")  # sparkline
    # every decision in the log is on the timeline
    kinds = {"item.confirmed", "phase.signoff_refused", "trigger.fired", "trigger.cleared"}
    n = sum(1 for e in load_events(session_file).events if e.type in kinds)
    assert text.count("| T-") >= n


async def test_html_report_is_one_self_contained_file(session_file: Path) -> None:
    html = render_html(build_report(session_file))
    for decision in DECISIONS:
        assert decision.replace("“", "“") in html.replace("&gt;", ">"), decision
    assert "<svg" in html and "polyline" in html and "@media print" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html


async def test_secrets_never_reach_the_report(session_file: Path) -> None:
    register_secret("report PT-2291 signed")  # pretend the note carried a token value
    text = render_markdown(build_report(session_file)) + render_html(build_report(session_file))
    assert "PT-2291" not in text and "[redacted]" in text


async def test_report_command_writes_a_file(session_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    done = subprocess.run(
        [sys.executable, "-m", "tminus.cli", "report", str(session_file), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("<!doctype html>")
    missing = subprocess.run(
        [sys.executable, "-m", "tminus.cli", "report", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "no session" in missing.stderr


def _chromium(args: list[str], profile: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            CHROMIUM or "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        timeout=90,
    )


@pytest.mark.skipif(
    CHROMIUM is None and os.geteuid() != 0,
    reason="Debian's chromium is not installed and this is not root (make test installs it)",
)
async def test_html_report_draws_timeline_and_charts_in_chromium(
    session_file: Path, tmp_path: Path
) -> None:
    assert CHROMIUM is not None, "as root, `make test` installs chromium"
    from PIL import Image

    page = tmp_path / "report.html"
    page.write_text(render_html(build_report(session_file)))
    profile = tempfile.mkdtemp(prefix="chromium-")
    try:
        dom = _chromium(["--dump-dom", page.as_uri()], profile)
        html = dom.stdout.decode()
        assert 'id="timeline"' in html and html.count("<li") >= len(DECISIONS)
        assert html.count("<polyline") >= 4
        shot = tmp_path / "shot.png"
        _chromium([f"--screenshot={shot}", "--window-size=1000,4000", page.as_uri()], profile)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    image = Image.open(shot).convert("RGB")
    assert image.size == (1000, 4000)
    px = image.load()
    assert px is not None
    w, h = image.size

    def accent(x: int, y: int) -> bool:  # the charts' line colour (#2667c9)
        r, g, b = px[x, y]
        return abs(r - 0x26) < 40 and abs(g - 0x67) < 40 and abs(b - 0xC9) < 40

    # the timeline's rule is one 3-pixel column of that colour; chart lines cross the
    # page: many distinct columns hold it
    columns = {x for x in range(0, w, 2) for y in range(0, h, 3) if accent(x, y)}
    assert len(columns) > 200, len(columns)
    # the timeline is drawn: a tall run of rule pixels in one column
    rule = max(sum(1 for y in range(0, h, 2) if accent(x, y)) for x in range(0, 200, 1))
    assert rule > 100, rule
    # and the page is not blank: plenty of dark text pixels
    dark = sum(1 for x in range(0, w, 2) for y in range(0, h, 2) if sum(px[x, y]) < 200)
    assert dark > 1000, dark


def test_chart_thinning_keeps_each_buckets_extreme_as_before() -> None:
    """The charts thin a week of samples by index over the arrays (no list of points):
    the same points as thinning the list, ties and sign ties included."""
    import random
    from array import array

    from tminus.core.sparkline import thin_indexes

    def thin_list(points: list[tuple[float, float]], most: int) -> list[tuple[float, float]]:
        if len(points) <= most:
            return points
        size = len(points) / most
        out = []
        for b in range(most):
            bucket = points[int(b * size) : int((b + 1) * size)] or points[-1:]
            out.append(max(bucket, key=lambda p: abs(p[1])))
        return out

    rng = random.Random(7)
    for n in (0, 1, 5, 599, 600, 601, 1000, 12345):
        for choices in ([-1.0, 0.0, 1.0, 0.5, -0.5], None):
            values = array(
                "d", (rng.choice(choices) if choices else rng.gauss(0, 1) for _ in range(n))
            )
            points = [(float(i), v) for i, v in enumerate(values)]
            assert [points[i] for i in thin_indexes(values, 600)] == thin_list(points, 600)


def test_chart_thinning_passes_over_gaps() -> None:
    """A week of samples with NaN and ±Inf among them (a ratio of zero requests): each
    bucket still gives its finite extreme; a NaN first in a bucket made max and min NaN,
    which `index` never finds (the report stopped with a ValueError)."""
    from array import array

    from tminus.core.sparkline import thin_indexes

    values = array("d", [1.0] * 6000)
    for b in range(0, 6000, 10):  # the first of every bucket of 10
        values[b] = math.nan
    values[25], values[47], values[1003] = math.inf, -math.inf, -7.0
    picked = thin_indexes(values, 600)
    assert len(picked) == 600
    assert all(math.isfinite(values[i]) for i in picked)
    assert 1003 in picked  # the dip, in a bucket with a gap
    gaps = array("d", [math.nan] * 1200)  # a bucket of nothing but gaps: its first
    assert thin_indexes(gaps, 600) == list(range(0, 1200, 2))


def test_markdown_sparkline_keeps_a_dip_as_the_chart_does() -> None:
    """The Markdown sparkline thins as the HTML chart does: a bucket's largest magnitude,
    so a dip below zero survives too (it kept only each bucket's largest value)."""
    from array import array

    from tminus.core.sparkline import thin_indexes, thin_to

    values = [0.5] * 1000
    values[503] = -9.0
    assert -9.0 in thin_to(values, 100)
    assert thin_to(values, 100) == [values[i] for i in thin_indexes(array("d", values), 100)]
