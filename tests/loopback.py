"""A synthetic news site on 127.0.0.1 for offline crawls: feeds, sitemaps, articles, and faults.

Everything it serves is made here (synthetic). It listens on an ephemeral loopback port in a
thread of the test (or benchmark) process, while the crawl runs as a real `sourcevault` process.
A fault is attached to a path and hits the first `times` requests of it (all when None): a
status with headers (5xx, 429 with Retry-After), a request held unanswered until the test
releases it, a connection reset, a truncated body, a late answer, or a slow drip. Feeds carry an ETag and
answer a matching If-None-Match with 304.

Tests wait on what the site saw (`wait_until`), never on the clock; each request is stamped
with the time the kernel received it, so gaps between requests measure the client's pace,
not how soon a thread of this busy test process got round to reading them.
"""

from __future__ import annotations

import hashlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

FaultKind = Literal["status", "hold", "reset", "truncate", "slow", "late"]
# Linux's SO_TIMESTAMPNS (Python's socket module does not name it): the kernel stamps each
# received packet with the time it arrived.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
PARAGRAPHS = (
    "市政府今天舉行年度防災演習，動員超過兩千名人員，模擬強震後的搜救、收容與物資調度。",
    "市長在演習後表示，希望市民熟悉住家附近的避難路線與集合地點，並備妥緊急避難包。",
    "消防局指出，今年首度加入無人機空拍與即時影像回傳，協助指揮中心掌握災情與調派人力。",
)

# A Cloudflare "managed challenge" interstitial, as served with status 200 instead of the page.
CLOUDFLARE_CHALLENGE = (
    "<!DOCTYPE html><html lang='en-US'><head><title>Just a moment...</title></head><body>"
    "<noscript>Enable JavaScript and cookies to continue</noscript>"
    "<script src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1'></script></body></html>"
)


@dataclass
class Page:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None = None


@dataclass
class Fault:
    kind: FaultKind
    times: int | None
    status: int = 503
    headers: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    released: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Hit:
    path: str
    # When the request's first bytes reached the server's socket (the kernel's stamp, time.time()).
    at: float
    headers: dict[str, str]


def arrival_time(connection: socket.socket) -> float:
    """When the next request on `connection` arrived: the kernel's stamp of its first packet.

    Waits for the request (peeking, so the handler still reads all of it). The clients here
    never pipeline requests, so nothing of the next one waits in the handler's read buffer.
    """
    try:
        _, ancillary, _, _ = connection.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
    except OSError:
        return time.time()
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return seconds + nanoseconds / 1e9
    return time.time()


def article_html(title: str, paragraphs: Iterable[str] = PARAGRAPHS, author: str = "王小明") -> bytes:
    """A synthetic article page, matching the selectors of `outlet_toml`."""
    text = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        f"<!DOCTYPE html><html lang='zh-Hant'><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1 class='headline'>{title}</h1><span class='author'>{author}</span>"
        f"<time datetime='2026-11-01T08:00:00+08:00'>2026-11-01 08:00</time>"
        f"<article>{text}</article></body></html>"
    ).encode()


def rss(links: Iterable[str]) -> bytes:
    items = "".join(f"<item><title>t</title><link>{link}</link></item>" for link in links)
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>{items}</channel></rss>".encode()
    )


def _sitemap(root: str, entry: str, links: Iterable[str]) -> bytes:
    entries = "".join(f"<{entry}><loc>{link}</loc></{entry}>" for link in links)
    namespace = "http://www.sitemaps.org/schemas/sitemap/0.9"
    return f"<?xml version='1.0'?><{root} xmlns='{namespace}'>{entries}</{root}>".encode()


def urlset(links: Iterable[str]) -> bytes:
    return _sitemap("urlset", "url", links)


def sitemap_index(links: Iterable[str]) -> bytes:
    return _sitemap("sitemapindex", "sitemap", links)


def outlet_toml(
    slug: str,
    base_url: str,
    *,
    feeds: Iterable[str] = (),
    sitemaps: Iterable[str] = (),
    json_apis: Iterable[str] = (),
    home: str | None = None,
    delay: float = 0.0,
    concurrency: int = 4,
) -> str:
    """A registry entry for an outlet served under /<slug>/ of the site (articles at /<slug>/a/<n>)."""
    quoted = ", ".join(f'"{base_url}{path}"' for path in feeds)
    maps = ", ".join(f'"{base_url}{path}"' for path in sitemaps)
    apis = "".join(
        f'\n[[outlet.discovery.json_apis]]\nurl = "{base_url}{path}"\nlinks = "items[*].url"\n'
        for path in json_apis
    )
    return f"""
[[outlet]]
slug = "{slug}"
name = "Loopback {slug}"
home = "{home or f"{base_url}/{slug}/"}"
domains = ["127.0.0.1"]
language = "zh"
script = "Hant"
timezone = "Asia/Taipei"

[outlet.discovery]
feeds = [{quoted}]
sitemaps = [{maps}]
{apis}
[outlet.article]
url_pattern = '^http://127\\.0\\.0\\.1:\\d+/{slug}/a/(?P<id>\\d+)$'

[outlet.selectors]
title = ["h1.headline"]
body = ["article > p"]
published_at = ["time::attr(datetime)"]
authors = ["span.author"]

[outlet.crawl]
delay = {delay}
concurrency = {concurrency}
"""


class LoopbackSite:
    """The site: pages and faults by path, and a record of every request it received."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.faults: dict[str, Fault] = {}
        self.requests: list[Hit] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the site first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- content --------------------------------------------------------------------------------

    def add(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: Iterable[tuple[str, str]] = (),
        etag: bool = False,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        tag = f'"{hashlib.sha1(data).hexdigest()[:16]}"' if etag else None
        self.pages[path] = Page(status, [("Content-Type", content_type), *headers], data, tag)

    def add_article(self, path: str, title: str, **parts: str) -> None:
        self.add(path, article_html(title, **parts))  # type: ignore[arg-type]

    def add_feed(self, path: str, article_paths: Iterable[str]) -> None:
        links = [f"{self.base_url}{article}" for article in article_paths]
        self.add(path, rss(links), content_type="application/rss+xml", etag=True)

    def redirect(self, path: str, target: str, status: int = 302) -> None:
        self.add(path, b"", status=status, headers=[("Location", target)])

    def fault(self, path: str, kind: FaultKind, times: int | None = None, **details: object) -> None:
        self.faults[path] = Fault(kind, times, **details)  # type: ignore[arg-type]

    def release(self, path: str) -> None:
        """Answer the requests held by the "hold" fault of `path` (by closing them), and hold no more."""
        with self._lock:
            fault = self.faults.pop(path)
        fault.released.set()

    def hits(self, path: str) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.requests if hit.path == path]

    def wait_until(self, condition: Callable[[list[Hit]], bool], timeout: float = 120.0) -> bool:
        """Block until `condition(requests so far)` holds; False if `timeout` seconds pass first."""
        with self._arrived:
            return self._arrived.wait_for(lambda: condition(self.requests), timeout)

    def wait_for_request(self, path: str, timeout: float = 120.0) -> None:
        """Block until `path` is requested; the timeout is generous, only a stuck crawl reaches it."""
        if not self.wait_until(lambda hits: any(hit.path == path for hit in hits), timeout):
            raise AssertionError(f"{path} was not requested within {timeout} s")

    # --- serving --------------------------------------------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            fault = self.faults.get(path)
            if fault is None or fault.times == 0:
                return None
            if fault.times is not None:
                fault.times -= 1
            return fault

    def start(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm the second waits for
            # the client's delayed ACK, 40 ms per response.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the tests read `site.requests` instead."""

            def handle_one_request(self) -> None:
                self.arrived_at = arrival_time(self.connection)
                super().handle_one_request()

            def do_GET(self) -> None:
                site._serve(self)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                site._serve(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request: object, client_address: object) -> None:
                """Resets and timeouts are what this server is for: nothing to report."""

            def server_bind(self) -> None:
                # Accepted connections inherit the option: each request gets the kernel's stamp.
                self.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                super().server_bind()

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            held = list(self.faults.values())
        for fault in held:
            fault.released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @contextmanager
    def running(self) -> Iterator[LoopbackSite]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self._arrived:
            self.requests.append(Hit(path, handler.arrived_at, dict(handler.headers.items())))  # type: ignore[attr-defined]
            self._arrived.notify_all()
        fault = self._take_fault(path)
        page = self.pages.get(path)
        if fault is not None and fault.kind not in ("slow", "late"):
            self._fail(handler, fault)
            return
        if fault is not None and fault.kind == "late":
            # A slow server: the answer starts `seconds` late (a loaded machine can only add to it).
            time.sleep(fault.seconds)
        if page is None:
            self._respond(
                handler, 404, [("Content-Type", "text/html")], b"<html><title>404</title>not here</html>"
            )
            return
        if page.etag and handler.headers.get("If-None-Match") == page.etag:
            self._respond(handler, 304, [("ETag", page.etag)], b"")
            return
        headers = [*page.headers, *([("ETag", page.etag)] if page.etag else [])]
        drip = fault.seconds if fault and fault.kind == "slow" else 0.0
        self._respond(handler, page.status, headers, page.body, drip_seconds=drip)

    @staticmethod
    def _respond(
        handler: BaseHTTPRequestHandler,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        drip_seconds: float = 0.0,
    ) -> None:
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if not drip_seconds:
            handler.wfile.write(body)
            return
        chunks = 10
        size = max(1, len(body) // chunks + 1)
        for start in range(0, len(body), size):
            handler.wfile.write(body[start : start + size])
            handler.wfile.flush()
            time.sleep(drip_seconds / chunks)

    def _fail(self, handler: BaseHTTPRequestHandler, fault: Fault) -> None:
        if fault.kind == "status":
            self._respond(
                handler, fault.status, [("Content-Type", "text/html"), *fault.headers], b"<html>busy</html>"
            )
            return
        handler.close_connection = True
        if fault.kind == "hold":
            fault.released.wait()
        elif fault.kind == "reset":
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.connection.close()
        elif fault.kind == "truncate":
            body = article_html("截斷的新聞")
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            handler.connection.shutdown(socket.SHUT_RDWR)


def outlets_site(
    site: LoopbackSite, slugs: Iterable[str], pages_per_outlet: int, concurrency: int = 8
) -> str:
    """`pages_per_outlet` articles per outlet on the site, each outlet's in its sitemap; their registry."""
    registry = ""
    for slug in slugs:
        paths = [f"/{slug}/a/{number}" for number in range(1, pages_per_outlet + 1)]
        for number, path in enumerate(paths, 1):
            site.add_article(path, f"{slug} 第{number}號新聞")
        site.add(
            f"/{slug}/sitemap.xml",
            urlset(f"{site.base_url}{path}" for path in paths),
            content_type="application/xml",
        )
        registry += outlet_toml(
            slug, site.base_url, sitemaps=[f"/{slug}/sitemap.xml"], concurrency=concurrency
        )
    return registry


# The network policy refuses loopback addresses unless a crawl allows them, as every crawl of this
# site must.
ALLOW_LOOPBACK = ("-s", "NETWORK_ALLOW_LOOPBACK=True")
# Settings that make a loopback crawl quick: short backoff, no AutoThrottle. The download timeout
# stays long: a loaded machine can stall a crawl for seconds, and a timeout that fires then is a
# retry no test asked for. A test of timeouts holds a request (fault "hold") and sets its own.
FAST_CRAWL = (
    *ALLOW_LOOPBACK,
    "-s",
    "DOWNLOAD_TIMEOUT=120",
    "-s",
    "RETRY_BACKOFF_BASE=0.1",
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
)


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound, never listening, and held, so that no
    other test (another pytest-xdist worker) can take it meanwhile."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield int(holder.getsockname()[1])
