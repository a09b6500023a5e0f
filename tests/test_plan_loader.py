import re
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tminus.plan.checkspecs import HttpCheck, KubernetesCheck, PrometheusCheck, TlsCheck
from tminus.plan.loader import PlanError, default_plan, default_plan_text, load_plan, parse_plan

MINIMAL = """\
[launch]
name = "Test"
t0 = 2026-12-04T16:00:00Z

[backends.prometheus]
url = "http://127.0.0.1:9090"

[backends.kubernetes]
contexts = ["prod-us-east", "prod-eu-west"]

[[phases]]
id = "pre"
title = "Pre-Launch"
at = "-7d"

  [[phases.sections]]
  title = "Infra"

    [[phases.sections.items]]
    title = "Certs valid"
    check = { kind = "tls", host = "example.test", expect = "days_left > 30" }

    [[phases.sections.items]]
    title = "Backups tested"
    manual = true

[[metrics]]
id = "error_rate"
title = "Error rate"
query = "sum(rate(x[1m]))"
ok = "< 0.1%"

[[triggers]]
id = "errors"
title = "Errors"
metric = "error_rate"
when = "> 5%"
for = "30s"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as info:
        parse_plan(text, "plan.toml")
    return [str(p) for p in info.value.problems]


def test_minimal_plan_loads_with_derived_ids():
    plan = parse_plan(MINIMAL)
    items = [i for _, _, i in plan.items()]
    assert [i.id for i in items] == ["certs-valid", "backups-tested"]
    assert isinstance(items[0].check, TlsCheck)
    assert items[1].manual
    assert plan.triggers[0].hold.total_seconds() == 30
    assert plan.metrics[0].ok is not None and plan.metrics[0].ok.evaluate({"value": 0.0005})


def test_error_names_file_line_and_field_path():
    text = MINIMAL.replace('expect = "days_left > 30"', 'expect = "dayz > 30"')
    (msg,) = problems(text)
    line = text.splitlines().index(next(x for x in text.splitlines() if "dayz" in x)) + 1
    assert msg.startswith(f"plan.toml:{line}: phases[0].sections[0].items[0].check.expect: ")
    assert "unknown field 'dayz'" in msg


def test_every_problem_is_reported_not_just_the_first():
    text = (
        MINIMAL.replace('at = "-7d"', 'at = "-7 days"')
        .replace('for = "30s"', 'for = "soon"')
        .replace('metric = "error_rate"\nwhen', 'metric = "nope"\nwhen')
        .replace("manual = true", 'manual = "yes"\nflavour = 1')
    )
    msgs = problems(text)
    joined = "\n".join(msgs)
    assert "phases[0].at: bad offset '-7 days'" in joined
    assert "triggers[0].for: bad duration 'soon'" in joined
    assert "phases[0].sections[0].items[1].manual: expected true or false" in joined
    assert "phases[0].sections[0].items[1].flavour: unknown field 'flavour'" in joined
    assert all(re.match(r"plan\.toml:\d+: ", m) for m in msgs)
    assert len(msgs) == 4  # the metric reference is checked once the tables themselves are valid


def test_reference_problems():
    text = MINIMAL.replace('metric = "error_rate"\nwhen', 'metric = "nope"\nwhen')
    (msg,) = problems(text)
    assert "triggers[0].metric: no metric with id 'nope'" in msg
    text = (
        MINIMAL
        + '\n[[phases]]\nid = "d"\ntitle = "D"\nat = "0"\n[[phases.sections]]\ntitle = "S"\n'
    )
    text += '[[phases.sections.items]]\ntitle = "K"\n'
    text += 'check = { kind = "kubernetes", contexts = ["prod-mars"] }\n'
    (msg,) = problems(text)
    assert "contexts[0]: unknown context 'prod-mars'" in msg


def test_duplicate_ids_and_wrong_types():
    text = MINIMAL.replace(
        'title = "Backups tested"', 'title = "Backups tested"\nid = "certs-valid"'
    )
    (msg,) = problems(text)
    assert "items[1].id: duplicate id 'certs-valid'" in msg
    text = MINIMAL.replace('name = "Test"', "name = 42")
    (msg,) = problems(text)
    assert msg.startswith("plan.toml:2: launch.name: expected a string, got the number 42")
    text = MINIMAL.replace("t0 = 2026-12-04T16:00:00Z", "t0 = 2026-12-04T16:00:00")
    assert "launch.t0: needs a time zone" in problems(text)[0]


def test_check_kind_validation():
    text = MINIMAL.replace('kind = "tls"', 'kind = "telepathy"')
    assert "check.kind: unknown kind 'telepathy'" in problems(text)[0]
    text = MINIMAL.replace(
        'check = { kind = "tls", host = "example.test", expect = "days_left > 30" }',
        'check = { kind = "command", command = "rm -rf /" }',
    )
    assert "check.command: command runs through a shell" in problems(text)[0]
    text = MINIMAL.replace(
        'check = { kind = "tls", host = "example.test", expect = "days_left > 30" }',
        'check = { kind = "prometheus", query = "up" }',
    )
    assert "check.expect: a prometheus check needs a condition" in problems(text)[0]


def test_syntax_error_names_line_and_column():
    text = MINIMAL.replace('title = "Certs valid"', 'title = "Certs valid')
    (msg,) = problems(text)
    assert re.match(r"plan\.toml:\d+: TOML syntax error: column \d+: ", msg)
    line = int(msg.split(":")[1])
    assert '"Certs valid' in text.splitlines()[line - 1]


def test_load_plan_file_errors(tmp_path: Path):
    with pytest.raises(PlanError, match="no such file"):
        load_plan(tmp_path / "missing.toml")
    with pytest.raises(PlanError, match="is a directory"):
        load_plan(tmp_path)
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PlanError, match="not UTF-8"):
        load_plan(bad)


def test_default_plan_shape():
    plan = default_plan()
    assert plan.is_demo
    assert [p.id for p in plan.phases] == ["pre-launch", "launch-day", "post-launch"]
    assert [s.title for s in plan.phases[1].sections] == [
        "Morning (6 hours before launch)",
        "Pre-Launch (2 hours before)",
        "Launch (T-0)",
        "Post-Launch (2 hours after)",
    ]
    checks = {type(i.check) for _, _, i in plan.items() if i.check}
    assert {HttpCheck, TlsCheck, KubernetesCheck, PrometheusCheck} <= checks
    ids = [i.id for _, _, i in plan.items()]
    assert len(ids) == len(set(ids))
    assert plan.rollout is not None and plan.rollout.steps == (5, 25, 50, 100)
    assert len([s for s in plan.rollback.steps if not s.addition]) == 7


# -- property tests: whatever the input, a PlanError or a Plan, never a traceback --------

TOML_KEYS = st.sampled_from(
    [
        "launch",
        "name",
        "t0",
        "phases",
        "sections",
        "items",
        "check",
        "kind",
        "id",
        "title",
        "at",
        "manual",
        "metrics",
        "triggers",
        "for",
        "when",
        "expect",
        "rollout",
        "steps",
        "x",
    ]
)
TOML_VALUES = st.one_of(
    st.integers(-5, 10**6),
    st.booleans(),
    st.text(max_size=12),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=3),
    st.sampled_from(["30s", "-7d", "< 5%", "http", "tls"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=string.printable, max_size=300))
def test_random_text_never_raises_a_traceback(text):
    try:
        parse_plan(text)
    except PlanError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_default_plan_never_raises_a_traceback(data):
    lines = default_plan_text().splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["delete", "dup", "mangle", "kv"]))
        if op == "delete":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "mangle" and lines[i]:
            j = data.draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:j] + data.draw(st.text(max_size=3)) + lines[i][j + 1 :]
        else:
            key, value = data.draw(TOML_KEYS), data.draw(TOML_VALUES)
            lines.insert(i, f"{key} = {value!r}".replace("'", '"'))
    try:
        parse_plan("\n".join(lines))
    except PlanError as exc:
        for p in exc.problems:
            assert p.source and p.message


ROLLOUT = """
[rollout]
steps = [5, 25, 50, 100]
bake = "10m"
on_trigger = "zero"
gate = ["error_rate"]

[rollout.actuator]
kind = "ingress-nginx"
contexts = ["prod-us-east", "prod-eu-west"]
namespace = "web"
ingress = "api-canary"
"""


def test_rollout_section_loads_with_policy_gate_and_contexts():
    plan = parse_plan(MINIMAL + ROLLOUT)
    assert plan.rollout is not None
    assert plan.rollout.on_trigger == "zero" and plan.rollout.gate == ("error_rate",)
    assert plan.rollout.actuator.regions() == ("prod-us-east", "prod-eu-west")
    assert [m.id for m in plan.rollout.gating_metrics(plan.metrics)] == ["error_rate"]


def test_rollout_problems_name_file_line_and_field():
    text = MINIMAL + ROLLOUT.replace('"zero"', '"panic"').replace('["error_rate"]', '["nope"]')
    msgs = problems(text)
    lines = text.splitlines()
    line = lines.index('on_trigger = "panic"') + 1
    assert any(m.startswith(f"plan.toml:{line}: rollout.on_trigger: ") for m in msgs), msgs
    both = MINIMAL + ROLLOUT.replace("contexts = [", 'context = "prod-us-east"\ncontexts = [')
    assert any("rollout.actuator.context: give context" in m for m in problems(both))
    gate = MINIMAL + ROLLOUT.replace('["error_rate"]', '["nope"]')
    assert any("rollout.gate[0]: no metric with id 'nope'" in m for m in problems(gate))
    ctx = MINIMAL + ROLLOUT.replace('"prod-eu-west"]', '"prod-mars"]')
    assert any(
        "rollout.actuator.contexts[1]: unknown context 'prod-mars'" in m for m in problems(ctx)
    )
    head = ROLLOUT.split("[rollout.actuator]")[0]
    demo = MINIMAL + head + '[rollout.actuator]\nkind = "demo"\n'
    need = 'rollout.actuator.kind: kind "demo" needs [backends.demo]'
    assert any(need in m for m in problems(demo))


ROLLBACK_STEPS = """
[rollout]
actuator = { kind = "ingress-nginx", context = "prod-us-east", namespace = "web", ingress = "c" }

[[rollback.steps]]
title = "Back to the previous version"
action = { kind = "rollout" }

[[rollback.steps]]
title = "Verify"
action = { kind = "verify", checks = ["nope"], metrics = ["error_rate", "missing"], within = "1m" }

[[rollback.steps]]
title = "Check by hand"
addition = true
optional = true
"""


def test_rollback_steps_verify_and_additions_load():
    text = MINIMAL + ROLLBACK_STEPS.replace('checks = ["nope"], ', "").replace(', "missing"', "")
    plan = parse_plan(text, "plan.toml")
    kinds = [s.kind for s in plan.rollback.steps]
    assert kinds == ["rollout", "verify", "manual"]
    assert [s.addition for s in plan.rollback.steps] == [False, False, True]


def test_verify_names_unknown_checks_and_metrics_by_line_and_field():
    found = problems(MINIMAL + ROLLBACK_STEPS)
    line = MINIMAL.count("\n") + ROLLBACK_STEPS.count("\n", 0, ROLLBACK_STEPS.index('"nope"')) + 1
    assert f"plan.toml:{line}: rollback.steps[1].action.checks[0]: no automated item" in "\n".join(
        found
    ), found
    assert any(
        "rollback.steps[1].action.metrics[1]: no metric with id 'missing'" in p for p in found
    )


def test_verify_needs_something_to_verify():
    text = MINIMAL + '[[rollback.steps]]\ntitle = "V"\naction = { kind = "verify" }\n'
    assert any(
        "rollback.steps[0].action.checks: name at least one check" in p for p in problems(text)
    )


def test_field_types_resolve_as_typing_does() -> None:
    """The converter's own annotation resolver (one compile per class) gives what
    typing.get_type_hints gives, for every table of the plan."""
    import dataclasses
    import typing

    from tminus.plan import checkspecs, model, schema

    tables = [
        cls
        for mod in (model, checkspecs)
        for cls in vars(mod).values()
        if isinstance(cls, type)
        and dataclasses.is_dataclass(cls)
        and cls.__module__ == mod.__name__
    ]
    assert len(tables) > 30
    for cls in tables:
        assert schema._hints(cls) == typing.get_type_hints(cls), cls.__name__
