"""`tminus serve`: the war room in a browser.

- `/`: the console, through textual-serve (one console process per browser viewer):
  `tminus attach SESSION`, read-only and following the live session, unless `--writable`,
  which opens the commander's own console and requires the token printed at start. The
  page is served without any outside request (no web fonts: see `local_index_template`).
- `/status`: a light live page for many observers, fed by server-sent events from one
  shared reader of the session log (see tminus.web.status).

It binds to loopback unless told otherwise, and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import re
import secrets
import shlex
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import textual_serve.server as textual_server
from textual_serve.app_service import AppService
from textual_serve.server import Server

from tminus.web.status import StatusHub

if TYPE_CHECKING:
    from aiohttp import web

COOKIE = "tminus_token"
STOP_GRACE_S = 3.0
INDEX = "app_index.html"
# a stylesheet, script or font the page would fetch from another host
OUTSIDE_LINK = re.compile(
    r"<(?:link|script)\b[^>]*\b(?:href|src)\s*=\s*[\"']?(?:https?:)?//[^>]*>(?:\s*</script>)?",
    re.IGNORECASE,
)
# textual-serve ships the font its page asks the web for: serve that copy instead
LOCAL_FONTS = """<style>
@font-face{font-family:"Roboto Mono";font-style:normal;font-weight:100 700;
src:url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype")}
@font-face{font-family:"Roboto Mono";font-style:italic;font-weight:100 700;
src:url("{{ config.static.url }}fonts/RobotoMono-Italic-VariableFont_wght.ttf") format("truetype")}
</style>"""


class TrackedAppService(AppService):
    """textual-serve's per-viewer console process, remembered so that stopping the server
    stops every console too (a console asked to quit can take its time; it is then killed)."""

    live: set[TrackedAppService] = set()

    async def start(self, width: int, height: int) -> None:
        TrackedAppService.live.add(self)
        await super().start(width, height)

    async def stop(self) -> None:
        try:
            with contextlib.suppress(TimeoutError, OSError, RuntimeError):
                await asyncio.wait_for(super().stop(), STOP_GRACE_S)
        finally:
            await self._reap()
            TrackedAppService.live.discard(self)

    async def _reap(self) -> None:
        """The console was asked to quit; one that lingers past the grace is killed."""
        process = self._process  # no public handle; the process must not outlive its viewer
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), STOP_GRACE_S)
            return
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), STOP_GRACE_S)

    @classmethod
    async def stop_all(cls) -> None:
        await asyncio.gather(*(service.stop() for service in list(cls.live)))


def local_index_template(original: str) -> str:
    """textual-serve's page with every outside stylesheet or script removed and its web
    font served from the package's own copy: a bastion offline, or a browser that may not
    reach the internet, loads the console without waiting on another host."""
    page = OUTSIDE_LINK.sub("", original)
    # first in <head>, before the page's own styles name the font
    return page.replace("<head>", "<head>" + LOCAL_FONTS, 1)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def console_command(path: Path, writable: bool) -> str:
    """The command textual-serve runs for each viewer: `tminus attach SESSION` (the one
    follower there is) unless the console is writable. textual-serve starts it through a
    shell: every part is quoted, and `exec` makes the console the process textual-serve
    holds (stopping it stops the console)."""
    if writable:
        argv = [sys.executable, "-m", "tminus.commands.serve_console", str(path), "--writable"]
    else:
        argv = [sys.executable, "-m", "tminus.cli", "attach", str(path)]
    return "exec " + shlex.join(argv)


class WarRoomServer(Server):
    """textual-serve's server with the status page beside it and a token on the console
    when it is writable."""

    def __init__(
        self, command: str, *, host: str, port: int, title: str, hub: StatusHub, token: str | None
    ) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.hub = hub
        self.token = token

    def _authorized(self, request: web.Request) -> bool:
        if self.token is None:
            return True
        given = request.query.get("token") or request.cookies.get(COOKIE, "")
        return hmac.compare_digest(given.encode(), self.token.encode())

    async def handle_index(self, request: web.Request) -> Any:
        from aiohttp import web

        if not self._authorized(request):
            return web.Response(
                status=403,
                text="This console is writable: open the URL with the token printed by "
                "`tminus serve`. The read-only status page is at /status.",
            )
        # the page's own URLs (websocket, static files) name the host the browser asked
        # for: bound to 0.0.0.0, the address it listens on is no address to connect to
        self.public_url = f"{request.scheme}://{request.host}"
        response = await super().handle_index(request)
        if self.token is not None:
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict")
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        from aiohttp import web

        if not self._authorized(request):
            raise web.HTTPForbidden(text="token required")
        return await super().handle_websocket(request)

    async def on_startup(self, app: web.Application) -> None:
        """Quiet: `tminus serve` prints its own lines."""

    async def _make_app(self) -> web.Application:
        # the server builds one AppService per websocket by this module-level name
        textual_server.AppService = TrackedAppService  # type: ignore[attr-defined]
        app = await super()._make_app()
        self._serve_local_template(app)
        self.hub.add_routes(app)
        return app

    def _serve_local_template(self, app: web.Application) -> None:
        import aiohttp_jinja2
        import jinja2

        original = (Path(self.templates_path) / INDEX).read_text(encoding="utf-8")
        page = local_index_template(original)
        aiohttp_jinja2.setup(app, loader=jinja2.DictLoader({INDEX: page}))

    async def run(self) -> None:
        from aiohttp import web

        app = await self._make_app()
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in str(host) else str(host)
        self.port = int(port)
        self.public_url = f"http://{shown}:{self.port}"
        self._announce()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await TrackedAppService.stop_all()
            await runner.cleanup()

    def _announce(self) -> None:
        url = self.public_url
        if self.token is None:
            print(f"console (read-only, following the session): {url}/")
        else:
            print(f"console (WRITABLE, the commander's): {url}/?token={self.token}")
            print("  anyone with this token acts as the commander; share it with nobody")
        print(f"status page (for observers): {url}/status")
        if is_loopback(self.host):
            print(f"listening on loopback only ({self.host}); --host to let others in")
        else:
            print(f"listening on {self.host}: anyone who can reach this machine can connect")
        sys.stdout.flush()


def serve(session: str | None, *, host: str, port: int, writable: bool) -> int:
    from tminus.commands.served_session import plan_for, resolve_session

    path = resolve_session(session)
    plan = plan_for(path)
    hub = StatusHub(plan, path)
    token = secrets.token_urlsafe(18) if writable else None
    server = WarRoomServer(
        console_command(path, writable),
        host=host,
        port=port,
        title=f"tminus · {plan.launch.name}",
        hub=hub,
        token=token,
    )
    print(f"tminus serve: session {path.stem} ({plan.launch.name})")
    try:
        asyncio.run(server.run())
    except OSError as exc:
        from tminus.core.errors import UsageError

        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return 0
