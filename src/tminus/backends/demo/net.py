"""The demo world's network: HTTP through httpx's MockTransport, and TLS, DNS and TCP answered
from the world's zone. Nothing here opens a socket.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from tminus.backends.base import BackendError, CertInfo, DnsAnswer, HttpReply, HttpRequest
from tminus.backends.demo.topology import APEX, KNOWN_IPS, STALE_IP, ZONE
from tminus.backends.demo.world import DemoWorld
from tminus.backends.http_errors import socket_cause, where

if TYPE_CHECKING:  # httpx and the simulated site load with the first HTTP check
    import httpx

OPEN_PORTS = (80, 443)
DNS_TTL = 300
STALE_TTL = 60


class DemoHttp:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world
        self._site: Any = None  # one per backend: the rate limiter spans every client
        self._transport: Any = None

    @property
    def site(self) -> Any:
        if self._site is None:
            from tminus.backends.demo.site import Site

            self._site = Site(self.world)
        return self._site

    def client(
        self, *, verify: bool, ca_bundle: str | None, follow_redirects: bool, timeout: float
    ) -> httpx.AsyncClient:
        import httpx

        if self._transport is None:
            self._transport = httpx.MockTransport(self.site.handle)
        return httpx.AsyncClient(
            transport=self._transport, follow_redirects=follow_redirects, timeout=timeout
        )

    async def fetch(self, request: HttpRequest, *, timeout: float, limit: int) -> HttpReply:
        """As the real backend's, answered by the simulated site through httpx."""
        import httpx

        started = time.monotonic()
        client = self.client(
            verify=request.verify,
            ca_bundle=request.ca_bundle,
            follow_redirects=request.follow_redirects,
            timeout=timeout,
        )
        try:
            async with client:
                response = await client.request(
                    request.method,
                    request.url,
                    headers=dict(request.headers),
                    content=request.body,
                    json=request.json,
                )
                body = response.content[:limit]
        except httpx.TimeoutException:
            raise TimeoutError from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise BackendError("query", f"bad URL {request.url!r}: {exc}") from None
        except (httpx.HTTPError, OSError) as exc:
            found = socket_cause(exc, request.url)
            if found is not None:
                raise BackendError(*found) from None
            if isinstance(exc, httpx.ConnectError):
                raise BackendError(
                    "unreachable", f"cannot connect to {where(request.url)}: {exc}"
                ) from None
            raise BackendError(
                "protocol", f"{type(exc).__name__} from {where(request.url)}: {exc}"
            ) from None
        headers: dict[str, str] = {k.lower(): v for k, v in response.headers.items()}
        return HttpReply(
            status=response.status_code,
            headers=headers,
            body=body,
            charset=response.charset_encoding,
            elapsed=time.monotonic() - started,
        )


def _normal(name: str) -> str:
    return name.strip().lower().rstrip(".")


def _resolvable(host: str) -> bool:
    records = ZONE.get(_normal(host), {})
    return "A" in records or "CNAME" in records or _normal(host) in KNOWN_IPS


def _delay(world: DemoWorld, what: str) -> float:
    return 0.002 + 0.002 * (1 + world.noise(what, world.time(), 5.0))


class DemoTls:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    async def certificate(
        self, host: str, port: int, *, sni: str | None, ca_bundle: str | None, timeout: float
    ) -> CertInfo:
        if not _resolvable(host):
            raise BackendError("unreachable", f"cannot resolve {host}")
        if port != 443:
            raise BackendError("unreachable", f"{host}:{port}: connection refused")
        await asyncio.sleep(_delay(self.world, f"tls:{host}"))
        name = _normal(sni or host)
        covered = name == APEX or (name.endswith(f".{APEX}") and name.count(".") == 2)
        return CertInfo(
            subject=f"CN={APEX}",
            issuer="CN=Demo Issuing CA R3, O=Demo Trust Services",
            not_after=self.world.cert_not_after,
            hostname_ok=covered,
            chain_ok=True,
            hostname_error="" if covered else f"certificate is for {APEX}, *.{APEX}, not {name}",
        )


class DemoDns:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    async def resolve(
        self, name: str, rdtype: str, *, resolver: str | None, port: int, timeout: float
    ) -> DnsAnswer:
        await asyncio.sleep(_delay(self.world, f"dns:{name}"))
        return self.answer(name, rdtype.upper())

    def answer(self, name: str, rdtype: str, depth: int = 0) -> DnsAnswer:
        fqdn = _normal(name)
        records = ZONE.get(fqdn)
        if records is None:
            raise BackendError("not_found", f"NXDOMAIN: {fqdn} does not exist")
        if rdtype == "A" and fqdn == APEX and self.world.stale_dns(self.world.time()):
            return DnsAnswer((STALE_IP,), STALE_TTL)
        if rdtype in records:
            return DnsAnswer(records[rdtype], DNS_TTL)
        if "CNAME" in records and depth < 8:  # resolvers follow the alias for other types
            return self.answer(records["CNAME"][0], rdtype, depth + 1)
        return DnsAnswer((), DNS_TTL)  # the name exists, without this type (NODATA)


class DemoTcp:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    async def connect(self, host: str, port: int, *, timeout: float) -> float:
        if not _resolvable(host):
            raise BackendError("unreachable", f"cannot resolve {host}")
        if port not in OPEN_PORTS:
            raise BackendError("unreachable", f"{host}:{port}: connection refused")
        seconds = _delay(self.world, f"tcp:{host}:{port}")
        await asyncio.sleep(seconds)
        return seconds
