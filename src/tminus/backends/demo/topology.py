"""The demo world's fixed shape: regions, clusters, the DNS zone. Names only, no behaviour.

Metrics (series.py), Kubernetes (kube.py) and the network (net.py, site.py) all read these
names, so a node that is hot in a metric is the node the cluster view lists.
"""

from __future__ import annotations

import hashlib

SCENARIOS = ("healthy", "bad-release", "flaky-dns")
REGIONS = ("prod-us-east", "prod-eu-west", "prod-ap-south")
PRIMARY_REGION = "prod-us-east"  # the postgres primary; the other regions hold replicas
CANARY_REGION = "prod-eu-west"  # where the bad release's canary crash-loops
TRAFFIC_SHARE = {"prod-us-east": 0.5, "prod-eu-west": 0.3, "prod-ap-south": 0.2}
CDN_POPS = ("iad", "fra", "bom")

NODES_PER_REGION = 4
WEB_DEPLOYMENTS = {"api": 6, "web": 4, "upload-worker": 3, "payments": 3}
CANARY = "api-canary"
CANARY_MAX_REPLICAS = 6  # at 100 % weight the canary runs as many pods as the stable api
DATA_STATEFULSETS = {"postgres": 1, "redis": 3}
HPAS = {"api": "api", "upload-worker": "upload-worker"}  # HPA name -> Deployment in "web"

APEX = "musicconnect.example"
SITE_IPS = ("203.0.113.10", "203.0.113.11")
STALE_IP = "198.51.100.7"  # what a stale resolver hands out in the flaky-dns scenario
SUBDOMAINS = {
    "api": "203.0.113.20",
    "cdn": "203.0.113.30",
    "lb": "203.0.113.40",
    "flags": "203.0.113.50",
    "sentry": "203.0.113.51",
    "analytics": "203.0.113.52",
    "grafana": "203.0.113.53",
    "logs": "203.0.113.54",
    "tracing": "203.0.113.55",
    "search": "203.0.113.56",
    "ops": "203.0.113.57",
    "mx1": "203.0.113.60",
    "mx2": "203.0.113.61",
    "ns1": "203.0.113.70",
    "ns2": "203.0.113.71",
}

ZONE: dict[str, dict[str, tuple[str, ...]]] = {
    APEX: {
        "A": SITE_IPS,
        "AAAA": ("2001:db8::10", "2001:db8::11"),
        "TXT": ('"v=spf1 include:_spf.musicconnect.example -all"', '"demo-site-verification=1"'),
        "MX": ("10 mx1.musicconnect.example.", "20 mx2.musicconnect.example."),
        "CAA": ('0 issue "letsencrypt.org"', '0 iodef "mailto:security@musicconnect.example"'),
        "NS": ("ns1.musicconnect.example.", "ns2.musicconnect.example."),
    },
    f"www.{APEX}": {"CNAME": (f"{APEX}.",)},
    **{f"{sub}.{APEX}": {"A": (ip,)} for sub, ip in SUBDOMAINS.items()},
}
KNOWN_IPS = frozenset(SITE_IPS) | frozenset(SUBDOMAINS.values())


def stable_suffix(*parts: object, length: int = 5) -> str:
    """Kubernetes-like random-looking suffix, stable for the same parts (unlike hash())."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).digest()
    alphabet = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet Kubernetes uses for names
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


def node_names(region: str) -> list[str]:
    short = region.removeprefix("prod-")
    return [f"node-{short}-{i}" for i in range(1, NODES_PER_REGION + 1)]


def pod_names(seed: int, region: str, deployment: str, replicas: int) -> list[str]:
    template = stable_suffix(seed, region, deployment, length=10)  # the ReplicaSet hash
    return [
        f"{deployment}-{template}-{stable_suffix(seed, region, deployment, i)}"
        for i in range(replicas)
    ]


def canary_replicas(weight: int) -> int:
    """Pods the canary Deployment runs at this traffic weight (none before the rollout)."""
    return -(-CANARY_MAX_REPLICAS * weight // 100)  # ceiling division
