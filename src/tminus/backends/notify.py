"""Notification channels: a generic JSON webhook, a Slack-compatible incoming webhook, SMTP
mail and a local command. Each can send, describe what it would send (a preview that
contains no secret), and probe whether its far end answers without sending anything.

Secrets come only from the environment variables the plan names, are registered with
the redaction step, and every payload leaves through `scrub`. httpx and smtplib are
imported on first use: none of this is on the console's start-up path.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any

from tminus.backends.commands import LocalCommands
from tminus.core.records import record
from tminus.core.redact import REDACTED, scrub, secret_from_env
from tminus.plan.model import (
    CommandNotifier,
    EmailNotifier,
    Notifier,
    SlackNotifier,
    WebhookNotifier,
)

if TYPE_CHECKING:  # the email package loads when a mail is built, not with the console
    from email.message import EmailMessage

OUTPUT_LIMIT = 4096


class NotifyError(Exception):
    """A channel could not deliver; the message never holds a secret."""


@record(frozen=True)
class Notification:
    """What is sent: one title, plain-text lines, and the same facts as structured data."""

    topic: str  # status, phase, rollout, trigger, rollback
    title: str
    lines: tuple[str, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "title": self.title, "text": self.text, **self.facts}


def channel_name(ch: Notifier) -> str:
    return ch.name


def channel_kind(ch: Notifier) -> str:
    return ch.kind


def wants(ch: Notifier, topic: str) -> bool:
    return topic in ch.on


# ---------------------------------------------------------------- payloads
def webhook_body(note: Notification) -> dict[str, Any]:
    return scrub(note.to_dict())  # type: ignore[no-any-return]


def slack_body(note: Notification) -> dict[str, Any]:
    """Slack's incoming-webhook shape: `text` is the fallback, blocks carry the layout."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": note.title[:150]}}
    ]
    if note.lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": note.text[:3000]}})
    body = {"text": f"{note.title}\n{note.text}".strip(), "blocks": blocks}
    return scrub(body)  # type: ignore[no-any-return]


def email_message(ch: EmailNotifier, note: Notification) -> EmailMessage:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Subject"] = scrub(note.title)
    msg["From"] = ch.sender
    msg["To"] = ", ".join(ch.to)
    msg.set_content(scrub(note.text) + "\n")
    return msg


def command_argv(ch: CommandNotifier, note: Notification) -> list[str]:
    title, text = scrub(note.title), scrub(note.text)
    return [a.replace("{title}", title).replace("{text}", text) for a in ch.argv]


# ---------------------------------------------------------------- secrets and targets
def _url(ch: WebhookNotifier | SlackNotifier, env: Mapping[str, str]) -> str:
    if ch.url:
        return ch.url
    assert ch.url_env is not None
    value = secret_from_env(env, ch.url_env)
    if not value:
        raise NotifyError(f"environment variable {ch.url_env} is not set (the channel's url)")
    return value


def _headers(ch: WebhookNotifier, env: Mapping[str, str]) -> dict[str, str]:
    headers = dict(ch.headers)
    for header, var in ch.headers_env.items():
        value = secret_from_env(env, var)
        if value is None:
            raise NotifyError(f"environment variable {var} is not set (header {header})")
        headers[header] = value
    return headers


def target(ch: Notifier) -> str:
    """Where the channel sends, safe to show: a URL from the environment is not shown."""
    if isinstance(ch, WebhookNotifier | SlackNotifier):
        return ch.url if ch.url else f"${ch.url_env}"
    if isinstance(ch, EmailNotifier):
        return f"{', '.join(ch.to)} via {ch.host}:{ch.port}"
    if isinstance(ch, CommandNotifier):
        return " ".join(ch.argv)
    return "?"


def preview(ch: Notifier, note: Notification) -> dict[str, Any]:
    """What `send` would send, as data: for the Contacts tab and `tminus rehearse`."""
    out: dict[str, Any] = {"channel": channel_name(ch), "kind": channel_kind(ch)}
    out["target"] = target(ch)
    if isinstance(ch, SlackNotifier):
        out["body"] = slack_body(note)
    elif isinstance(ch, WebhookNotifier):
        out["method"] = ch.method
        out["headers"] = sorted([*ch.headers, *ch.headers_env])
        out["body"] = webhook_body(note)
    elif isinstance(ch, EmailNotifier):
        msg = email_message(ch, note)
        out["subject"] = str(msg["Subject"])
        out["body"] = msg.get_content()
    elif isinstance(ch, CommandNotifier):
        out["argv"] = command_argv(ch, note)
        out["stdin"] = webhook_body(note)
    return scrub(out)  # type: ignore[no-any-return]


def _ssl_context(verify: bool, ca_bundle: str | None) -> ssl.SSLContext | bool:
    if not verify:
        return False
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    return True


# ---------------------------------------------------------------- sending
async def send(ch: Notifier, note: Notification, env: Mapping[str, str] | None = None) -> str:
    """Deliver once; return a short receipt ("HTTP 200"), raise NotifyError on failure."""
    env = os.environ if env is None else env
    try:
        if isinstance(ch, WebhookNotifier | SlackNotifier):
            return await _send_http(ch, note, env)
        if isinstance(ch, EmailNotifier):
            return await asyncio.to_thread(_send_mail, ch, note, env)
        if isinstance(ch, CommandNotifier):
            return await _send_command(ch, note, env)
    except NotifyError as exc:
        raise NotifyError(scrub(str(exc))) from None
    raise NotifyError(f"unknown channel kind {channel_kind(ch)!r}")


async def _send_http(
    ch: WebhookNotifier | SlackNotifier, note: Notification, env: Mapping[str, str]
) -> str:
    import httpx

    url = _url(ch, env)
    if isinstance(ch, SlackNotifier):
        method, headers, body = "POST", {}, slack_body(note)
    else:
        method, headers, body = ch.method, _headers(ch, env), webhook_body(note)
    timeout = ch.timeout.total_seconds()
    try:
        async with httpx.AsyncClient(
            verify=_ssl_context(ch.verify, ch.ca_bundle), timeout=timeout
        ) as client:
            response = await client.request(method, url, json=body, headers=headers)
    except httpx.TimeoutException:
        raise NotifyError(f"no answer within {timeout:g}s") from None
    except httpx.HTTPError as exc:
        raise NotifyError(f"cannot reach {target(ch)}: {exc or type(exc).__name__}") from None
    if response.status_code >= 300:
        snippet = response.text[:200].strip()
        raise NotifyError(f"HTTP {response.status_code}" + (f": {snippet}" if snippet else ""))
    return f"HTTP {response.status_code}"


def _smtp_login(ch: EmailNotifier, env: Mapping[str, str]) -> tuple[str, str] | None:
    if not ch.username_env or not ch.password_env:
        return None
    user = env.get(ch.username_env)
    password = secret_from_env(env, ch.password_env)
    if not user or not password:
        raise NotifyError(f"{ch.username_env} and {ch.password_env} must be set for SMTP login")
    return user, password


def _smtp_connect(ch: EmailNotifier, env: Mapping[str, str]) -> Any:
    import smtplib

    timeout = ch.timeout.total_seconds()
    login = _smtp_login(ch, env)
    try:
        if ch.ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(ch.host, ch.port, timeout=timeout)
        else:
            smtp = smtplib.SMTP(ch.host, ch.port, timeout=timeout)
        try:
            smtp.ehlo()
            if ch.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if login is not None:
                smtp.login(*login)
        except BaseException:
            smtp.close()
            raise
    except (OSError, smtplib.SMTPException) as exc:
        raise NotifyError(f"SMTP {ch.host}:{ch.port}: {exc or type(exc).__name__}") from None
    return smtp


def _send_mail(ch: EmailNotifier, note: Notification, env: Mapping[str, str]) -> str:
    import smtplib

    smtp = _smtp_connect(ch, env)
    try:
        refused = smtp.send_message(email_message(ch, note))
    except (OSError, smtplib.SMTPException) as exc:
        raise NotifyError(f"SMTP {ch.host}:{ch.port}: {exc or type(exc).__name__}") from None
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    accepted = len(ch.to) - len(refused)
    return f"SMTP accepted {accepted} of {len(ch.to)}"


async def _send_command(ch: CommandNotifier, note: Notification, env: Mapping[str, str]) -> str:
    extra = {}
    for var, source in ch.env_from.items():
        value = secret_from_env(env, source)
        if value is None:
            raise NotifyError(f"environment variable {source} is not set")
        extra[var] = value
    runner = LocalCommands(env)
    payload = json.dumps(webhook_body(note), ensure_ascii=False)
    extra["TMINUS_NOTIFICATION"] = payload  # also on stdin-less programs' reach
    from tminus.backends.base import BackendError

    try:
        out = await runner.run(
            command_argv(ch, note),
            command=None,
            shell=False,
            cwd=None,
            env=extra,
            timeout=ch.timeout.total_seconds(),
            output_limit=OUTPUT_LIMIT,
        )
    except BackendError as exc:
        raise NotifyError(str(exc)) from None
    if out.timed_out:
        raise NotifyError(f"{ch.argv[0]} did not finish within {ch.timeout.total_seconds():g}s")
    if out.exit_code != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:]
        raise NotifyError(f"{ch.argv[0]} exited {out.exit_code}" + (f": {tail[0]}" if tail else ""))
    return "exit 0"


# ---------------------------------------------------------------- probing (rehearsal)
async def probe_url(
    url: str,
    *,
    verify: bool = True,
    ca_bundle: str | None = None,
    timeout: float = 10.0,
    shown: str | None = None,
) -> str:
    """Does anyone answer at this URL? HEAD changes nothing; any HTTP answer (even 405)
    means yes. Raises NotifyError naming `shown` (the URL when it is no secret)."""
    import httpx

    try:
        async with httpx.AsyncClient(
            verify=_ssl_context(verify, ca_bundle), timeout=timeout
        ) as client:
            response = await client.head(url)
    except httpx.TimeoutException:
        raise NotifyError(f"{shown or url}: no answer within {timeout:g}s") from None
    except httpx.HTTPError as exc:
        raise NotifyError(f"cannot reach {shown or url}: {exc or type(exc).__name__}") from None
    return f"answers (HTTP {response.status_code} to HEAD)"


async def probe(ch: Notifier, env: Mapping[str, str] | None = None) -> str:
    """Check that the far end answers, sending no notification. Raises NotifyError."""
    env = os.environ if env is None else env
    if isinstance(ch, WebhookNotifier | SlackNotifier):
        try:
            return await probe_url(
                _url(ch, env),
                verify=ch.verify,
                ca_bundle=ch.ca_bundle,
                timeout=ch.timeout.total_seconds(),
                shown=target(ch),
            )
        except NotifyError as exc:
            raise NotifyError(scrub(str(exc))) from None
    if isinstance(ch, EmailNotifier):

        def noop() -> str:
            smtp = _smtp_connect(ch, env)
            try:
                code, _ = smtp.noop()
            finally:
                smtp.close()
            return f"SMTP answers ({code} to NOOP)"

        return await asyncio.to_thread(noop)
    if isinstance(ch, CommandNotifier):
        program = ch.argv[0]
        found = shutil.which(program, path=env.get("PATH"))
        if found is None:
            raise NotifyError(f"program not found on PATH: {program}")
        missing = [v for v in ch.env_from.values() if v not in env]
        if missing:
            raise NotifyError(f"environment variable {', '.join(missing)} is not set")
        return f"found {found}"
    raise NotifyError(f"unknown channel kind {channel_kind(ch)!r}")


__all__ = [
    "REDACTED",
    "Notification",
    "NotifyError",
    "channel_kind",
    "channel_name",
    "preview",
    "probe",
    "send",
    "target",
    "wants",
]
