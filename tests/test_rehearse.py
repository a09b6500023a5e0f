"""`tminus rehearse` against a real Prometheus and the Kubernetes fixture server (an
API-compatible test fixture, not a real kube-apiserver): it finds what would block the
launch and changes nothing on either, as their own request records show."""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter
from pathlib import Path

from tminus.cli import main

from fixtures.receivers import WebhookReceiver

NS = "musicconnect"


def prometheus_handlers(url: str) -> Counter[tuple[str, str]]:
    """Prometheus's own count of the HTTP requests it served, per handler and code."""
    with urllib.request.urlopen(url + "/metrics", timeout=10) as r:
        text = r.read().decode()
    out: Counter[tuple[str, str]] = Counter()
    for m in re.finditer(
        r'^prometheus_http_requests_total\{code="(\d+)",handler="([^"]+)"\} (\S+)$', text, re.M
    ):
        out[(m.group(2), m.group(1))] = int(float(m.group(3)))
    return out


def write_plan(tmp_path: Path, prom_url: str, kubeconfig: Path, hook: str, ready: bool) -> Path:
    broken = ""
    if not ready:
        broken = f"""
[[metrics]]
id = "signups"
title = "Sign-ups"
query = 'sum(rate(signups_that_do_not_exist_total[1m]))'

[[rollback.steps]]
title = "Scale down the worker that is not there"
[rollback.steps.action]
kind = "kubernetes-patch"
context = "prod-eu-west"
namespace = "{NS}"
api_version = "apps/v1"
resource = "deployments"
name = "no-such-worker"
patch = {{ spec = {{ replicas = 0 }} }}

[[rollback.steps]]
title = "Flush the CDN"
action = {{ kind = "command", argv = ["no-such-cdn-flush-tool", "--all"] }}

[[rollback.steps]]
title = "Tell the status page"
action = {{ kind = "webhook", url = "http://127.0.0.1:9/nobody-listens", timeout = "2s" }}
"""
    text = f"""
[launch]
name = "MusicConnect"
t0 = 2026-12-04T16:00:00Z

[backends.prometheus]
url = "{prom_url}"

[backends.kubernetes]
contexts = ["prod-us-east", "prod-eu-west"]
kubeconfig = "{kubeconfig}"

[[phases]]
id = "pre"
title = "Pre-Launch"
at = "-7d"
  [[phases.sections]]
  title = "Infrastructure"
    [[phases.sections.items]]
    title = "Clusters healthy"
    check = {{ kind = "kubernetes", namespaces = ["{NS}"], workloads = true }}
    [[phases.sections.items]]
    title = "App is up"
    check = {{ kind = "prometheus", query = "min(app_up)", expect = "value == 1" }}
    [[phases.sections.items]]
    title = "Backups restored"
    manual = true

[[metrics]]
id = "error_rate"
title = "Error rate"
unit = "ratio"
query = 'sum(rate(http_requests_total{{code=~"5.."}}[5s])) / sum(rate(http_requests_total[5s]))'
ok = "< 0.05"

[[triggers]]
id = "errors"
title = "Error rate > 50%"
metric = "error_rate"
when = "> 0.5"
for = "30s"

[rollout]
steps = [5, 50, 100]
[rollout.actuator]
kind = "ingress-nginx"
context = "prod-us-east"
namespace = "{NS}"
ingress = "api-canary"

[[rollback.steps]]
title = "Traffic back to the old version"
action = {{ kind = "rollout", weight = 0 }}

[[rollback.steps]]
title = "Pause the API"
[rollback.steps.action]
kind = "kubernetes-patch"
context = "prod-us-east"
namespace = "{NS}"
api_version = "apps/v1"
resource = "deployments"
name = "api"
patch = {{ spec = {{ paused = true }} }}

[[rollback.steps]]
title = "Restore the database"
dangerous = true
action = {{ kind = "command", argv = ["true"] }}
{broken}
[comms]
status_every = "30m"
[[comms.notify]]
kind = "slack"
name = "launch-chat"
url = "{hook}"
"""
    path = tmp_path / ("ready.toml" if ready else "broken.toml")
    path.write_text(text)
    return path


def test_rehearsal_reports_blockers_and_changes_nothing(
    tmp_path: Path, prometheus, kube_regions, capsys
):
    # A fresh (or just restarted) Prometheus needs two scrapes before a rate has data;
    # without this wait, "Error rate" was an extra no-data blocker under load.
    prometheus.wait_for_data("min(app_up)")
    prometheus.wait_for_data(
        'sum(rate(http_requests_total{code=~"5.."}[5s])) / sum(rate(http_requests_total[5s]))'
    )
    with WebhookReceiver() as hook:
        before = prometheus_handlers(prometheus.url)
        broken = write_plan(
            tmp_path, prometheus.url, kube_regions.kubeconfig, hook.url + "/hook", False
        )
        assert main(["rehearse", str(broken), "--json"]) == 1
        report = json.loads(capsys.readouterr().out)
        assert report["ready"] is False
        blockers = {(b["area"], b["title"]): b["detail"] for b in report["blockers"]}
        assert blockers[("metric", "Sign-ups")] == "no data: the query is empty"
        assert (
            "target does not exist: deployments musicconnect/no-such-worker in prod-eu-west"
            in (blockers[("rollback", "Scale down the worker that is not there")])
        )
        assert (
            blockers[("rollback", "Flush the CDN")] == "program not on PATH: no-such-cdn-flush-tool"
        )
        assert (
            "cannot reach http://127.0.0.1:9/nobody-listens"
            in blockers[("rollback", "Tell the status page")]
        )
        assert len(blockers) == 4, blockers

        findings = {(f["area"], f["title"]): f for f in report["findings"]}
        assert findings[("check", "Pre-Launch: Clusters healthy")]["status"] == "ok"
        assert findings[("check", "Pre-Launch: App is up")]["status"] == "ok"
        assert findings[("metric", "Error rate")]["status"] == "ok"
        assert findings[("trigger", "Error rate > 50%")]["status"] == "ok"
        rollout = findings[("rollout", "actuator ingress-nginx")]
        assert rollout["status"] == "ok"
        assert any("50%" in line and "api-canary" in line for line in rollout["preview"]), rollout
        pause = findings[("rollback", "Pause the API")]
        assert pause["status"] == "ok" and '"paused": true' in pause["preview"][0]
        chat = findings[("notify", "slack launch-chat")]
        assert chat["status"] == "ok"
        body = json.loads(chat["preview"][0])["body"]
        assert body["text"].startswith("MusicConnect status T")

        # the ready plan, in text: exit 0
        ready = write_plan(
            tmp_path, prometheus.url, kube_regions.kubeconfig, hook.url + "/hook", True
        )
        assert main(["rehearse", str(ready)]) == 0
        text = capsys.readouterr().out
        assert "READY: nothing would block the launch of MusicConnect." in text
        assert "Rollout (dry-run preview)" in text

        # nothing changed anywhere: the fixture clusters saw only reads...
        for ctx, cluster in kube_regions.clusters.items():
            verbs = {method for method, _ in cluster.requests}
            assert verbs <= {"GET"}, (ctx, cluster.requests)
            assert cluster.patches == []
            canary = cluster.get("ingresses", "api-canary", NS)
            assert (
                canary["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"]
                == "0"
            )
        assert any("/ingresses/api-canary" in p for _, p in kube_regions["prod-us-east"].requests)
        # ...Prometheus served only queries...
        after = prometheus_handlers(prometheus.url)
        served = {handler for (handler, _code), n in (after - before).items() if n}
        served.discard("/metrics")  # this test's own read of the counters
        assert served and all(h.startswith("/api/v1/query") for h in served), served
        # ...and the chat webhook was asked whether it is there, never sent a message
        assert [r.method for r in hook.requests] == ["HEAD", "HEAD"]


def test_a_bad_plan_exits_2(tmp_path: Path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[launch]\nname = "X"\nt0 = 2026-12-04T16:00:00Z\n[comms]\nbogus = 1\n')
    assert main(["rehearse", str(bad)]) == 2
    assert "bad.toml:5: comms.bogus: unknown field" in capsys.readouterr().err
