"""A real kubectl accepts the Kubernetes API fixture (tests/fixtures/kube_apiserver.py):
discovery, paging with limit/continue, fieldSelector, and 403 for a token without rights."""

from __future__ import annotations

import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl not installed (make test installs it)"
)


def kubectl(kube, *args: str, kubeconfig=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "kubectl",
            "--kubeconfig",
            str(kubeconfig or kube.kubeconfig),
            "--context",
            "prod-eu-west",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_kubectl_lists_every_kind_tminus_reads(kube_regions):
    out = kubectl(kube_regions, "get", "nodes,deploy,pods,hpa,ingress,httproutes", "-A")
    assert out.returncode == 0, out.stderr
    for name in (
        "node/prod-eu-west-node-1",
        "deployment.apps/api",
        "pod/api-7c9d8f6b5-00000",
        "horizontalpodautoscaler.autoscaling/api",
        "ingress.networking.k8s.io/api-canary",
        "httproute.gateway.networking.k8s.io/api",
    ):
        assert name in out.stdout


def test_kubectl_pages_with_limit_and_continue(kube_regions):
    out = kubectl(kube_regions, "get", "pods", "-A", "--chunk-size=3", "-o", "name")
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.split()) == 7  # all pods, over three pages
    pages = [p for m, p in kube_regions["prod-eu-west"].requests if p.startswith("/api/v1/pods?")]
    assert len(pages) == 3 and all("limit=3" in p for p in pages)
    assert "continue=3" in pages[1] and "continue=6" in pages[2]


def test_kubectl_field_selector(kube_regions):
    out = kubectl(
        kube_regions,
        "get",
        "pods",
        "-A",
        "-o",
        "name",
        "--field-selector=metadata.name=web-7c9d8f6b5-00001",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["pod/web-7c9d8f6b5-00001"]
    refused = kubectl(kube_regions, "get", "pods", "-A", "--field-selector=spec.nodeName=x")
    assert refused.returncode != 0 and "field label not supported" in refused.stderr


def test_kubectl_gets_403_for_a_token_without_rights(kube_regions, tmp_path):
    weak = kube_regions.write_kubeconfig(
        tmp_path / "weak", {"prod-eu-west": kube_regions["prod-eu-west"].no_rights_token}
    )
    out = kubectl(kube_regions, "get", "pods", "-n", "musicconnect", kubeconfig=weak)
    assert out.returncode != 0 and "Forbidden" in out.stderr
