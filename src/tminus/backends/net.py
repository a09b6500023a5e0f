"""The real network backends: HTTP (aiohttp), TLS and TCP (asyncio streams),
DNS (dnspython).

Everything here is asyncio-native; the only blocking work (loading CA files, reading
/etc/resolv.conf) runs in a worker thread or once per client. dnspython is imported inside
RealDns.resolve so a plan without DNS checks never loads it.

Error kinds raised (BackendError.kind), which the check kinds rely on:
  "unreachable"  connection refused, no route, or (TLS) the host name does not resolve
  "timeout"      nothing within the time given
  "not_found"    DNS: NXDOMAIN; TCP: the host name does not resolve
  "protocol"     the peer answered but not as expected (not TLS, a malformed DNS reply)
  "query"        a bad request (an invalid resolver address or record type)
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import ipaddress
import json as _json
import socket
import ssl
import sys
import time
from typing import TYPE_CHECKING, Any

from tminus import __version__
from tminus.backends.base import BackendError, CertInfo, DnsAnswer, HttpReply, HttpRequest
from tminus.backends.http_errors import socket_cause, where

if TYPE_CHECKING:  # cryptography (~8 MB) loads with the first TLS check, not with HTTP ones
    from cryptography import x509

# OpenSSL verify codes that mean "the certificate is fine, just not for this name"
_HOSTNAME_MISMATCH = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _connect_error(exc: OSError, host: str, port: int, *, unresolved_kind: str) -> BackendError:
    """Turn a socket error into a BackendError with a message naming host:port."""
    where = _address(host, port)
    if isinstance(exc, socket.gaierror):
        return BackendError(unresolved_kind, f"cannot resolve host {host!r} ({exc.strerror})")
    if isinstance(exc, ConnectionRefusedError):
        return BackendError("unreachable", f"connection refused by {where}")
    reason = exc.strerror or str(exc) or type(exc).__name__
    return BackendError("unreachable", f"cannot connect to {where}: {reason}")


async def _close(writer: asyncio.StreamWriter) -> None:
    # A polite TLS close_notify, but never wait long for a peer that does not answer it.
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
        async with asyncio.timeout(1.0):
            await writer.wait_closed()


# ---------------------------------------------------------------- HTTP
_LIMIT = 100  # connections per TLS setting: sized for ~100 checks in flight at once
_MAX_REDIRECTS = 20  # as many as browsers follow
_USER_AGENT = f"tminus/{__version__}"


def _header_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # not UTF-8: take the bytes as Latin-1, as HTTP/1.1 did
        return raw.decode("latin-1")


class RealHttp:
    """Sends http checks' requests with aiohttp, one pooled session per TLS setting.

    aiohttp directly, without an httpx layer on top: at 10,000 checks that layer's request
    and response objects cost more CPU than the wire work. Sessions keep sockets alive so
    repeated checks reuse them; they are tied to the event loop that made them (their
    pooled sockets are), so another loop gets its own. aiohttp is imported off the event
    loop on first use (see `preload`).
    """

    def __init__(self, limit: int = _LIMIT) -> None:
        self._limit = limit
        self._sessions: dict[tuple[bool, str | None], Any] = {}
        self._loops: dict[tuple[bool, str | None], asyncio.AbstractEventLoop] = {}

    def session(self, *, verify: bool, ca_bundle: str | None) -> Any:
        """The aiohttp session for this TLS setting on the running loop.

        Raises BackendError("query") when the CA bundle cannot be read.
        """
        import aiohttp

        key = (verify, ca_bundle if verify else None)
        loop = asyncio.get_running_loop()
        session = self._sessions.get(key)
        if session is not None and not session.closed and self._loops.get(key) is loop:
            return session
        tls: bool | ssl.SSLContext = verify
        if verify and ca_bundle:
            try:  # one small PEM file, once per bundle: cheap enough to read inline
                tls = ssl.create_default_context(cafile=ca_bundle)
            except (OSError, ssl.SSLError) as exc:
                raise BackendError("query", f"cannot load CA bundle {ca_bundle}: {exc}") from None
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._limit, ssl=tls),
            cookie_jar=aiohttp.DummyCookieJar(),  # cookies are not a check's business
            headers={"User-Agent": _USER_AGENT},
            # the check's own Content-Type, or none: aiohttp would add one for any body
            skip_auto_headers=("Content-Type",),
        )
        self._sessions[key] = session
        self._loops[key] = loop
        return session

    def preload(self) -> None:
        """Import aiohttp (and its TLS defaults) now, from a worker thread: see CheckRunner."""
        import aiohttp  # noqa: F401

    async def fetch(self, request: HttpRequest, *, timeout: float, limit: int) -> HttpReply:
        if "aiohttp" not in sys.modules:  # first use: import off the loop (~0.1 s)
            await asyncio.to_thread(importlib.import_module, "aiohttp")
        import aiohttp

        session = self.session(verify=request.verify, ca_bundle=request.ca_bundle)
        headers = dict(request.headers)
        data: bytes | None = None
        if request.json is not None:
            data = _json.dumps(
                request.json, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            ).encode()
            if not any(k.lower() == "content-type" for k in headers):
                headers["Content-Type"] = "application/json"
        elif request.body is not None:
            data = request.body.encode()
        started = time.monotonic()
        try:
            async with session.request(
                request.method,
                request.url,
                headers=headers,
                data=data,
                allow_redirects=request.follow_redirects,
                max_redirects=_MAX_REDIRECTS,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout),
            ) as response:
                chunks: list[bytes] = []
                size = 0
                while size < limit:
                    chunk = await response.content.readany()
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                elapsed = time.monotonic() - started
                body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                reply_headers: dict[str, str] = {}
                for k, v in response.raw_headers:
                    # interned: a run keeps every reply's headers in its result, and they
                    # repeat (names, server, content type); an interned string is freed too
                    name = sys.intern(_header_text(k).lower())
                    value = sys.intern(_header_text(v))
                    old = reply_headers.get(name)
                    reply_headers[name] = value if old is None else f"{old}, {value}"
                return HttpReply(
                    status=response.status,
                    headers=reply_headers,
                    body=body[:limit],
                    charset=response.charset,
                    elapsed=elapsed,
                )
        except (TimeoutError, aiohttp.ServerTimeoutError):
            raise TimeoutError from None
        except aiohttp.InvalidURL as exc:
            raise BackendError("query", f"bad URL {request.url!r}: {exc}") from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise _http_error(exc, request.url) from None

    async def aclose(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        self._loops = {}
        for session in sessions:
            with contextlib.suppress(RuntimeError):  # a session from a loop that is gone
                await session.close()


def _http_error(exc: BaseException, url: str) -> BackendError:
    import aiohttp

    inner: BaseException = exc
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        inner = exc.certificate_error  # the ssl error, with its verify message
    elif isinstance(exc, aiohttp.ClientConnectorError):
        inner = exc.os_error
    found = socket_cause(inner, url)
    if found is not None:
        return BackendError(*found)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return BackendError("unreachable", f"cannot connect to {where(url)}: {exc}")
    return BackendError("protocol", f"{type(exc).__name__} from {where(url)}: {exc}")


# ---------------------------------------------------------------- TLS
def _hostname_matches(cert: x509.Certificate, hostname: str) -> bool:
    """RFC 6125 matching like OpenSSL's: SANs only (CN when there are none), whole-label *."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(hostname)
    except ValueError:
        ip = None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if ip is not None:
        return san is not None and ip in san.get_values_for_type(x509.IPAddress)
    if san is not None:
        names = san.get_values_for_type(x509.DNSName)
    else:
        names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    want = hostname.lower().rstrip(".").split(".")
    for name in names:
        labels = name.lower().rstrip(".").split(".")
        if len(labels) != len(want):
            continue
        if labels[0] == "*" and len(labels) > 2 and labels[1:] == want[1:]:
            return True
        if labels == want:
            return True
    return False


def _load_der(der: bytes) -> x509.Certificate:
    from cryptography import x509

    return x509.load_der_x509_certificate(der)


class RealTls:
    """Reads a server's certificate, and whether its chain and hostname verify."""

    def preload(self) -> None:
        """Import cryptography now, from a worker thread: see CheckRunner.preload."""
        from cryptography import x509  # noqa: F401

    def __init__(self) -> None:
        self._contexts: dict[tuple[str | None, bool], ssl.SSLContext] = {}
        self._unverified = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._unverified.check_hostname = False
        self._unverified.verify_mode = ssl.CERT_NONE

    async def _context(self, ca_bundle: str | None, check_hostname: bool) -> ssl.SSLContext:
        key = (ca_bundle, check_hostname)
        ctx = self._contexts.get(key)
        if ctx is None:
            # Loading the system store or a bundle reads files: keep it off the event loop.
            try:
                ctx = await asyncio.to_thread(ssl.create_default_context, cafile=ca_bundle)
            except (OSError, ssl.SSLError) as exc:
                raise BackendError("query", f"cannot load CA bundle {ca_bundle}: {exc}") from None
            ctx.check_hostname = check_hostname
            self._contexts[key] = ctx
        return ctx

    async def _handshake(
        self, host: str, port: int, ctx: ssl.SSLContext, server_hostname: str
    ) -> bytes:
        """One TLS handshake; returns the peer certificate (DER). Socket errors propagate."""
        _reader, writer = await asyncio.open_connection(
            host, port, ssl=ctx, server_hostname=server_hostname
        )
        try:
            ssl_object = writer.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        finally:
            await _close(writer)
        if not der:
            raise BackendError("protocol", f"{_address(host, port)} sent no certificate")
        return bytes(der)

    async def certificate(
        self, host: str, port: int, *, sni: str | None, ca_bundle: str | None, timeout: float
    ) -> CertInfo:
        name = sni or host
        where = _address(host, port)
        chain_ok = hostname_ok = True
        chain_error = hostname_error = ""
        der: bytes | None = None
        try:
            async with asyncio.timeout(timeout):
                try:
                    der = await self._handshake(
                        host, port, await self._context(ca_bundle, True), name
                    )
                except ssl.SSLCertVerificationError as exc:
                    if exc.verify_code in _HOSTNAME_MISMATCH:
                        # OpenSSL stops at the name check, before it looks at dates and
                        # signatures: verify the chain again without the name.
                        hostname_ok, hostname_error = False, str(exc.verify_message)
                        try:
                            der = await self._handshake(
                                host, port, await self._context(ca_bundle, False), name
                            )
                        except ssl.SSLCertVerificationError as chain_exc:
                            chain_ok, chain_error = False, str(chain_exc.verify_message)
                    else:
                        chain_ok, chain_error = False, str(exc.verify_message)
                    if der is None:
                        der = await self._handshake(host, port, self._unverified, name)
        except TimeoutError:
            raise BackendError(
                "timeout", f"no TLS handshake with {where} within {timeout:g}s"
            ) from None
        except ssl.SSLError as exc:
            raise BackendError("protocol", f"TLS handshake with {where} failed: {exc}") from None
        except OSError as exc:
            raise _connect_error(exc, host, port, unresolved_kind="unreachable") from None
        try:
            cert = _load_der(der)
        except ValueError as exc:
            raise BackendError(
                "protocol", f"{where} sent an unreadable certificate: {exc}"
            ) from None
        if not chain_ok and hostname_ok and not _hostname_matches(cert, name):
            # The chain failed first, so OpenSSL never checked the name: check it here.
            hostname_ok = False
            hostname_error = f"certificate is not valid for {name!r}"
        return CertInfo(
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            not_after=cert.not_valid_after_utc,
            hostname_ok=hostname_ok,
            chain_ok=chain_ok,
            chain_error=chain_error,
            hostname_error=hostname_error,
        )


# ---------------------------------------------------------------- DNS
def _rdata_text(rdtype: str, rdata: Any) -> str:
    """Answers as plan authors write them (see DnsCheck.values)."""
    if rdtype in ("A", "AAAA"):
        return str(rdata.address)
    if rdtype in ("CNAME", "NS"):
        return str(rdata.target.to_text())  # absolute: trailing dot
    if rdtype == "TXT":
        return b"".join(rdata.strings).decode("utf-8", "replace")
    if rdtype == "MX":
        return f"{rdata.preference} {rdata.exchange.to_text()}"
    return str(rdata.to_text())  # CAA: 0 issue "letsencrypt.org"


class RealDns:
    """Resolves through the system's resolvers, or one given server (host:port)."""

    def __init__(self) -> None:
        self._system: Any = None  # the configured resolver, read from /etc/resolv.conf once

    async def resolve(
        self, name: str, rdtype: str, *, resolver: str | None, port: int, timeout: float
    ) -> DnsAnswer:
        import dns.asyncresolver
        import dns.exception
        import dns.resolver

        if resolver:
            res = dns.asyncresolver.Resolver(configure=False)
            try:
                res.nameservers = [resolver]
            except ValueError as exc:
                raise BackendError("query", f"bad resolver address {resolver!r}: {exc}") from None
            res.port = port
        else:
            if self._system is None:
                self._system = await asyncio.to_thread(dns.asyncresolver.Resolver, configure=True)
            res = self._system
        server = f" at {_address(resolver, port)}" if resolver else ""
        try:
            answer = await res.resolve(
                name, rdtype, lifetime=timeout, raise_on_no_answer=False, search=False
            )
        except dns.resolver.NXDOMAIN:
            raise BackendError("not_found", f"{name}: no such name{server}") from None
        except dns.resolver.NoAnswer:
            return DnsAnswer(())
        except dns.exception.Timeout:
            raise BackendError(
                "timeout", f"no answer for {name} {rdtype}{server} within {timeout:g}s"
            ) from None
        except dns.resolver.NoNameservers as exc:
            # Every server failed (SERVFAIL, REFUSED, unreachable)
            raise BackendError("unreachable", f"{name} {rdtype}: {exc}") from None
        except dns.exception.DNSException as exc:
            raise BackendError("protocol", f"{name} {rdtype}{server}: {exc}") from None
        except OSError as exc:
            raise BackendError("unreachable", f"cannot query {name}{server}: {exc}") from None
        rrset = answer.rrset
        if rrset is None:
            return DnsAnswer(())
        return DnsAnswer(tuple(_rdata_text(rdtype.upper(), r) for r in rrset), ttl=rrset.ttl)


# ---------------------------------------------------------------- TCP
class RealTcp:
    """Opens (and closes) one TCP connection.

    Raises BackendError "unreachable" when the port refuses or the network has no route,
    "timeout" when nothing answers in time, "not_found" when the host name does not resolve.
    """

    async def connect(self, host: str, port: int, *, timeout: float) -> float:
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                _reader, writer = await asyncio.open_connection(host, port)
        except TimeoutError:
            raise BackendError(
                "timeout", f"no connection to {_address(host, port)} within {timeout:g}s"
            ) from None
        except OSError as exc:
            raise _connect_error(exc, host, port, unresolved_kind="not_found") from None
        elapsed = time.monotonic() - started
        await _close(writer)
        return elapsed
