"""The live status page and the retrospective report draw the same state with the same
parts: for one session log, the phase, rollout, triggers and key-metrics sections of the
status page are, byte for byte, those of the report's "At the end", and the page's latest
decisions are the report's last timeline rows. A page that drew any of them its own way
would fail here."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import pytest

from scripted_session import record_session
from tminus.engine.recording import plan_of, read_recording
from tminus.report.model import build_report
from tminus.report.render import render_html
from tminus.report.status_page import DECISIONS
from tminus.web.status import StatusHub

PARTS = ("phase", "rollout", "triggers", "metrics")


def section(html: str, section_id: str) -> str:
    found = re.findall(rf'<section id="{section_id}">.*?</section>', html, re.S)
    assert len(found) == 1, (section_id, found)
    return found[0]


def rows(html: str) -> list[str]:
    return re.findall(r'<li class="kind-[^"]*">.*?</li>', html, re.S)


@pytest.fixture
async def session_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad-release.jsonl"
    await record_session(path)
    return path


async def test_the_status_page_and_the_report_draw_one_state_the_same_way(session_file):
    report_html = render_html(build_report(session_file))
    hub = StatusHub(plan_of(read_recording(session_file).final), session_file)
    await hub.start()
    try:
        page = hub.body()
        data = hub.data()
    finally:
        await hub.stop()
    for part in PARTS:
        assert section(page, part) == section(report_html, part), part
    # the state is really there, not two empty sections that agree
    assert "FIRING" in section(page, "triggers") or "quiet" in section(page, "triggers")
    assert "<svg" in section(page, "metrics")  # a sparkline of the recorded samples
    assert "%" in section(page, "rollout")
    # latest decisions: the report's last timeline rows, newest first
    (timeline_html,) = re.findall(r'<ol class="timeline" id="timeline">.*?</ol>', report_html)
    timeline = rows(timeline_html)
    latest = rows(section(page, "decisions"))
    assert latest and latest == list(reversed(timeline[-DECISIONS:]))
    # /status.json says the same decisions, newest first
    texts = [d["text"] for d in data["decisions"]]
    assert texts and all(escape(t) in row for t, row in zip(texts, latest, strict=True))


async def test_the_markdown_report_ends_with_the_status_update_words(session_file):
    from tminus.engine.summary import status_lines
    from tminus.report.render import render_markdown

    report = build_report(session_file)
    text = render_markdown(report)
    assert report.final is not None
    for line in status_lines(report.final):
        assert f"    {line}" in text
