"""Secrets never reach an output, in any common encoding.

A plan names a distinctive secret in every `*_env` field; loopback servers echo what they
receive back in bodies, headers and errors: an HTTP echo server (the http check), a
Prometheus API stand-in whose error echoes the request headers (the real client library
sends them), and a Kubernetes API stand-in whose 403 Status echoes the bearer token to the
real `kubernetes` client. A command check prints its secret as is, in base64 and
URL-encoded. Then every output (stdout and stderr of `tminus check`, human, --json and
--junit, and every file under TMINUS_HOME) is searched for every form of every secret.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from fixtures.echo_server import forms

SRC = str(Path(__file__).parents[1] / "src")

# '/', '+' and '=' make the URL-encoded and base64 forms differ from the plain one
SECRETS = {
    "PROM_TOKEN": "prom-TOKEN/aa+11=zz",
    "PROM_USER": "prom-user-bb22",
    "PROM_PASSWORD": "prom-PASS/cc+33=yy",
    "PROM_HEADER": "prom-HEADER/dd+44",
    "HTTP_HEADER": "http-HEADER/ee+55=xx",
    "CMD_SECRET": "cmd-SECRET/ff+66=ww",
}
KUBE_TOKEN = "kube-TOKEN/gg+77=vv-0123456789"


def all_forms() -> dict[str, str]:
    found = {f: name for name, s in SECRETS.items() for f in forms(s)}
    found |= {f: "KUBE_TOKEN" for f in forms(KUBE_TOKEN)}
    basic = base64.b64encode(f"{SECRETS['PROM_USER']}:{SECRETS['PROM_PASSWORD']}".encode())
    found[basic.decode()] = "basic auth header"
    return found


PLAN = """
[launch]
name = "Secrets"
t0 = 2026-12-04T16:00:00Z

[settings]
check_timeout = "90s"  # the first import of the kubernetes client is slow on a busy machine

[backends.prometheus]
url = "{echo}/prom"
token_env = "PROM_TOKEN"
username_env = "PROM_USER"
password_env = "PROM_PASSWORD"
headers_env = {{ X-Scope-OrgID = "PROM_HEADER" }}

[backends.kubernetes]
contexts = ["eu"]
kubeconfig = "{kubeconfig}"

[[phases]]
id = "p"
title = "P"
at = "-1d"

  [[phases.sections]]
  title = "S"

    [[phases.sections.items]]
    title = "HTTP echo"
    check.kind = "http"
    check.url = "{echo}/echo"
    check.headers_env = {{ X-Api-Key = "HTTP_HEADER" }}
    check.expect = 'status == 201 or text contains "nothing"'

    [[phases.sections.items]]
    title = "Prometheus echo"
    check = {{ kind = "prometheus", query = "up", expect = "value > 0" }}

    [[phases.sections.items]]
    title = "Kubernetes echo"
    check = {{ kind = "kubernetes" }}

    [[phases.sections.items]]
    title = "Command prints its secret"
    check.kind = "command"
    check.shell = true
    check.command = '{command}'
    check.env_from = {{ S = "CMD_SECRET" }}
    check.expect = "exit_code == 1"
"""


def kubeconfig(path: Path, server: str) -> Path:
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": KUBE_TOKEN}}],
                "contexts": [{"name": "eu", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "eu",
            }
        )
    )
    return path


def write_plan(tmp_path: Path, echo: str) -> Path:
    script = tmp_path / "leak.sh"
    script.write_text(
        'echo "plain $S"\n'
        'printf %s "$S" | base64\n'
        'echo "Bearer $S"\n'
        f'printf %s "$S" | {sys.executable} -c'
        " \"import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read(), safe=''))\"\n"
        'echo "err $S" >&2\n'
        "exit 3\n"
    )
    plan = tmp_path / "plan.toml"
    text = PLAN.format(
        echo=echo,
        kubeconfig=kubeconfig(tmp_path / "kubeconfig", f"{echo}/kube"),
        command=f"sh {script}",
    )
    plan.write_text(text)
    return plan


def test_no_secret_in_any_output(tmp_path: Path, echo_url: str) -> None:
    home = tmp_path / "home"
    plan = write_plan(tmp_path, echo_url)
    env = {**os.environ, **SECRETS, "PYTHONPATH": SRC, "TMINUS_HOME": str(home)}
    outputs: dict[str, str] = {}
    for name, extra in (
        ("human", []),
        ("json", ["--json", "--junit", str(tmp_path / "out" / "junit.xml")]),
    ):
        (tmp_path / "out").mkdir(exist_ok=True)
        proc = subprocess.run(
            [sys.executable, "-m", "tminus.cli", "check", *extra, str(plan)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert proc.returncode == 1, proc.stderr  # every check fails or errors
        outputs[f"{name} stdout"] = proc.stdout
        outputs[f"{name} stderr"] = proc.stderr
    junit = tmp_path / "out" / "junit.xml"
    assert stat.S_IMODE(junit.stat().st_mode) == 0o600
    outputs["junit"] = junit.read_text()
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jsonl" for p in files), files  # the sessions were recorded
    for p in files:
        outputs[str(p)] = p.read_text(errors="replace")

    # the servers really echoed: the redacted echoes are there
    joined = "\n".join(outputs.values())
    assert "[redacted]" in outputs["json stdout"]
    report = json.loads(outputs["json stdout"])
    by_title = {r["title"]: r for r in report["results"]}
    assert "forbidden" in by_title["Kubernetes echo"]["message"]
    assert "Authorization: Bearer [redacted]" in by_title["Prometheus echo"]["message"] or (
        "Authorization: Basic [redacted]" in by_title["Prometheus echo"]["message"]
    )
    assert "plain [redacted]" in joined and "Bearer [redacted]" in joined

    leaks = [
        f"{secret_name} as {form!r} in {where}"
        for form, secret_name in all_forms().items()
        for where, text in outputs.items()
        if form in text
    ]
    assert not leaks, "\n".join(leaks)


FILE_TOKEN = "kube-FILE-token/hh+88=uu-4242"
EXEC_TOKEN = "kube-EXEC-token/ii+99=tt-2424"
KUBE_ONLY_PLAN = """
[launch]
name = "Secrets"
t0 = 2026-12-04T16:00:00Z

[settings]
check_timeout = "90s"

[backends.kubernetes]
contexts = ["file", "exec"]
kubeconfig = "{kubeconfig}"

[[phases]]
id = "p"
title = "P"
at = "-1d"
  [[phases.sections]]
  title = "S"
    [[phases.sections.items]]
    title = "Kubernetes echo"
    check = {{ kind = "kubernetes" }}
"""


def test_token_file_and_exec_plugin_tokens_are_redacted(tmp_path: Path, echo_url: str) -> None:
    """Neither credential is in the kubeconfig: one is read from a `tokenFile`, the other
    printed by an exec plugin. The fixture's 403 echoes each back; no output may hold it."""
    token_file = tmp_path / "token"
    token_file.write_text(FILE_TOKEN)  # the client sends the file as is, newline too
    plugin = tmp_path / "plugin.py"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "status": {"token": EXEC_TOKEN},
    }
    plugin.write_text(f"print({json.dumps(json.dumps(credential))})\n")
    config = tmp_path / "kubeconfig"
    config.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": f"{echo_url}/kube"}}],
                "users": [
                    {"name": "f", "user": {"tokenFile": str(token_file)}},
                    {
                        "name": "x",
                        "user": {
                            "exec": {
                                "apiVersion": "client.authentication.k8s.io/v1beta1",
                                "command": sys.executable,
                                "args": [str(plugin)],
                            }
                        },
                    },
                ],
                "contexts": [
                    {"name": "file", "context": {"cluster": "c", "user": "f"}},
                    {"name": "exec", "context": {"cluster": "c", "user": "x"}},
                ],
                "current-context": "file",
            }
        )
    )
    plan = tmp_path / "plan.toml"
    plan.write_text(KUBE_ONLY_PLAN.format(kubeconfig=config))
    home = tmp_path / "home"
    env = {**os.environ, "PYTHONPATH": SRC, "TMINUS_HOME": str(home)}
    outputs: dict[str, str] = {}
    for name, extra in (("human", []), ("json", ["--json"])):
        proc = subprocess.run(
            [sys.executable, "-m", "tminus.cli", "check", *extra, str(plan)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert proc.returncode == 1, proc.stderr
        outputs[f"{name} stdout"] = proc.stdout
        outputs[f"{name} stderr"] = proc.stderr
    for p in home.rglob("*.jsonl"):
        outputs[str(p)] = p.read_text(errors="replace")
    message = json.loads(outputs["json stdout"])["results"][0]["message"]
    # the fixture did echo both credentials back, redacted
    assert "forbidden" in message and message.count("Bearer [redacted]") >= 2, message
    leaks = [
        f"{label} as {form!r} in {where}"
        for label, secret in (("tokenFile", FILE_TOKEN), ("exec plugin", EXEC_TOKEN))
        for form in forms(secret)
        for where, text in outputs.items()
        if form in text
    ]
    assert not leaks, "\n".join(leaks)
