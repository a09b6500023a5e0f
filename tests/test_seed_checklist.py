"""Every line of the seed launch checklist has its counterpart in the default plan."""

import re
from pathlib import Path

import pytest

from tminus.plan.loader import default_plan

SEED = Path(__file__).resolve().parent / "data" / "launch-checklist.md"
SHARED_SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "launch-checklist.md"


def seed_sections() -> dict[str, list[str]]:
    """Heading path -> bullet texts, e.g. 'Pre-Launch Validation (T-7 days)/Infrastructure'."""
    out: dict[str, list[str]] = {}
    h2 = h3 = ""
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            h2, h3 = line[3:].strip(), ""
        elif line.startswith("### "):
            h3 = line[4:].strip()
        elif m := re.match(r"^(?:- \[ \] |- |\d+\. |- ✅ )(.*)$", line):
            out.setdefault(f"{h2}/{h3}" if h3 else h2, []).append(m.group(1).strip())
    return out


@pytest.mark.skipif(not SHARED_SEED.exists(), reason="no shared/ beside this checkout")
def test_tests_copy_of_the_seed_is_current():
    assert SEED.read_text(encoding="utf-8") == SHARED_SEED.read_text(encoding="utf-8")


def test_seed_file_is_the_checklist():
    sections = seed_sections()
    assert len(sections["Pre-Launch Validation (T-7 days)/Infrastructure"]) == 8
    assert sum(len(v) for v in sections.values()) > 100


@pytest.mark.parametrize(
    ("heading", "phase", "section"),
    [
        ("Pre-Launch Validation (T-7 days)/Infrastructure", "pre-launch", "Infrastructure"),
        ("Pre-Launch Validation (T-7 days)/Security", "pre-launch", "Security"),
        ("Pre-Launch Validation (T-7 days)/Application", "pre-launch", "Application"),
        ("Pre-Launch Validation (T-7 days)/Monitoring", "pre-launch", "Monitoring"),
        ("Pre-Launch Validation (T-7 days)/Data", "pre-launch", "Data"),
        (
            "Launch Day (T-0)/Morning (6 hours before launch)",
            "launch-day",
            "Morning (6 hours before launch)",
        ),
        (
            "Launch Day (T-0)/Pre-Launch (2 hours before)",
            "launch-day",
            "Pre-Launch (2 hours before)",
        ),
        ("Launch Day (T-0)/Launch (T-0)", "launch-day", "Launch (T-0)"),
        (
            "Launch Day (T-0)/Post-Launch (2 hours after)",
            "launch-day",
            "Post-Launch (2 hours after)",
        ),
        ("Post-Launch Validation (T+1 day)/Performance", "post-launch", "Performance"),
        ("Post-Launch Validation (T+1 day)/Business Metrics", "post-launch", "Business Metrics"),
        ("Post-Launch Validation (T+1 day)/Operational", "post-launch", "Operational"),
    ],
)
def test_every_checklist_item_is_in_its_phase_and_section(heading, phase, section):
    plan = default_plan()
    ph = next(p for p in plan.phases if p.id == phase)
    sec = next(s for s in ph.sections if s.title == section)
    assert [i.title for i in sec.items] == seed_sections()[heading]


def test_triggers_steps_contacts_comms_and_criteria():
    plan = default_plan()
    seed = seed_sections()
    assert [t.title for t in plan.triggers] == seed[
        "Rollback Procedures/Immediate Rollback Triggers"
    ]
    # the seed's steps come first, in order; anything after them is marked as an addition
    seed_steps = seed["Rollback Procedures/Rollback Steps"]
    assert len(seed_steps) == 7
    ours = plan.rollback.steps
    assert [s.title for s in ours[: len(seed_steps)]] == seed_steps
    assert not any(s.addition for s in ours[: len(seed_steps)])
    assert all(s.addition for s in ours[len(seed_steps) :])
    contacts = [f"**{c.role}**: {(c.via and 'Via ' + c.via) or c.details}" for c in plan.contacts]
    assert contacts == seed["Emergency Contacts"]
    internal = [f"{c.name}: {c.target}" for c in plan.comms.internal]
    external = [f"{c.name}: {c.target}" for c in plan.comms.external]
    assert internal == seed["Communication Plan/Internal"]
    assert external == seed["Communication Plan/External"]
    assert plan.comms.status_every is not None and plan.comms.status_every.total_seconds() == 1800
    criteria = [c.title for c in plan.success_criteria]
    assert [c.replace("✅ ", "") for c in seed["Success Criteria"]] == criteria


def test_automated_where_the_checklist_allows():
    plan = default_plan()
    by_title = {i.title: i for _, _, i in plan.items()}
    for title, kind in [
        ("All Kubernetes clusters healthy across regions", "kubernetes"),
        ("SSL certificates valid (>30 days)", "tls"),
        ("DNS records configured correctly", "dns"),
        ("API rate limiting tested", "http"),
        ("Auto-scaling policies verified", "kubernetes"),
        ("Error rate < 0.1%", "prometheus"),
        ("Run smoke tests", "http"),
        ("All tests passing (unit, integration, e2e)", "command"),
    ]:
        check = by_title[title].check
        assert check is not None and check.kind == kind, title
    assert by_title["Penetration testing completed"].manual
