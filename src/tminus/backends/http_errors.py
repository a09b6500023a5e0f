"""Words for a failed HTTP request, shared by the real and the demo world's HTTP backends."""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit


def where(url: str) -> str:
    """host:port of a URL ([v6]:port), the port defaulted from the scheme."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return url
    if not host:
        return url
    port = port or (443 if parts.scheme == "https" else 80)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def socket_cause(exc: BaseException, url: str) -> tuple[str, str] | None:
    """(kind, message) for the socket or TLS error behind `exc`, which HTTP libraries wrap
    (sometimes twice); None when there is none."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "unreachable", f"connection refused to {where(url)}"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                "unreachable",
                f"certificate of {where(url)} not trusted: {cause.verify_message}",
            )
        if isinstance(cause, socket.gaierror):
            return "unreachable", f"cannot resolve {where(url)} ({cause.strerror})"
        cause = cause.__cause__ or cause.__context__
    return None
