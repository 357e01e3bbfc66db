"""Recorded snapshots: WARC files of request/response pairs, written and read with warcio.

A snapshot is what `crawl --replay` serves instead of the network. Any WARC with response
records works (one written by `snapshot build`, by `export --format warc`, or by another
web-archiving tool); bodies are stored as the client received them, so Content-Encoding
and Transfer-Encoding are renamed to X-Archive-Orig-* as pywb and warcprox do.
"""

from __future__ import annotations

import hashlib
import io
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.exit_status import BadInput
from crawler.file_limits import gunzip_at_most, inside_folder, read_regular_file
from crawler.settings import DOWNLOAD_MAXSIZE

# Hop-by-hop and encoding headers that no longer describe the stored (decoded) body.
RENAMED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
ORIGINAL_HEADER_PREFIX = "X-Archive-Orig-"
# Bytes read past the last whole record of a snapshot to tell a truncated file from a whole one.
TAIL_CHECK_BYTES = 4096
REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class SnapshotError(BadInput, ValueError):
    """A snapshot or snapshot manifest that cannot be read; the message names file and place."""


class RecordTooLarge(SnapshotError):
    """A recorded body larger than the snapshot is allowed to hand out."""


@dataclass(frozen=True)
class RecordedExchange:
    """One request and the response it got, as kept in a snapshot."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    method: str = "GET"
    request_body: bytes = b""
    # Free-text provenance kept in the WARC record (e.g. "synthetic", a repository and commit).
    origin: str | None = None


def exchange_key(method: str, url: str, request_body: bytes = b"") -> tuple[str, str, str]:
    """How a request is looked up: method, canonical URL, and for bodies their digest."""
    digest = hashlib.sha1(request_body).hexdigest() if request_body else ""
    return method.upper(), canonicalize_url(url, keep_fragments=False), digest


def stored_headers(headers: Iterable[tuple[str, str]], body: bytes) -> list[tuple[str, str]]:
    kept = [
        (f"{ORIGINAL_HEADER_PREFIX}{name}" if name.lower() in RENAMED_HEADERS else name, value)
        for name, value in headers
    ]
    return [*kept, ("Content-Length", str(len(body)))]


def warc_date(moment: datetime) -> str:
    """A WARC-Date header value: UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_exchange(writer: WARCWriter, exchange: RecordedExchange) -> None:
    """Write one exchange as a response record and the request record that asked for it."""
    date = warc_date(exchange.fetched_at)
    warc_headers = {"WARC-Date": date}
    if exchange.origin:
        warc_headers["WARC-Sourcevault-Origin"] = exchange.origin
    status_line = f"{exchange.status} {REASONS.get(exchange.status, 'Status')}"
    response = writer.create_warc_record(
        exchange.url,
        "response",
        payload=io.BytesIO(exchange.body),
        length=len(exchange.body),
        http_headers=StatusAndHeaders(
            status_line, stored_headers(exchange.headers, exchange.body), protocol="HTTP/1.1"
        ),
        warc_headers_dict=warc_headers,
    )
    target = urlsplit(exchange.url)
    request_headers = [("Host", target.netloc)]
    if exchange.request_body:
        request_headers.append(("Content-Length", str(len(exchange.request_body))))
    path = (target.path or "/") + (f"?{target.query}" if target.query else "")
    request = writer.create_warc_record(
        exchange.url,
        "request",
        payload=io.BytesIO(exchange.request_body),
        length=len(exchange.request_body),
        http_headers=StatusAndHeaders(
            f"{exchange.method} {path} HTTP/1.1", request_headers, is_http_request=True
        ),
        warc_headers_dict={"WARC-Date": date},
    )
    writer.write_request_response_pair(request, response)


def write_snapshot(exchanges: Iterable[RecordedExchange], output: BinaryIO) -> int:
    """Write each exchange as a response record plus its request record; return the count."""
    writer = WARCWriter(output, gzip=True)
    count = 0
    for exchange in exchanges:
        write_exchange(writer, exchange)
        count += 1
    return count


class Snapshot:
    """An indexed WARC file: responses looked up by request, read from disk on demand.

    A recorded body (decoded: a foreign WARC may keep it gzipped) is read to at most
    `max_body_bytes`, as a live download is (DOWNLOAD_MAXSIZE); a larger one is RecordTooLarge.
    """

    def __init__(self, path: Path | str, max_body_bytes: int = DOWNLOAD_MAXSIZE):
        self.path = Path(path)
        self.max_body_bytes = max_body_bytes
        self._index: dict[tuple[str, str, str], int] = {}
        try:
            self._build_index()
        except FileNotFoundError:
            raise SnapshotError(f"{self.path}: snapshot file not found") from None
        except SnapshotError:
            raise
        except Exception as error:  # warcio raises plain Exceptions for malformed input
            raise SnapshotError(f"{self.path}: not a readable WARC file ({error})") from None

    def __len__(self) -> int:
        return len(self._index)

    def hosts(self) -> set[str]:
        """The host names the recorded responses came from."""
        return {urlsplit(url).hostname or "" for _, url, _ in self._index}

    def _build_index(self) -> None:
        requests: dict[str, tuple[str, bytes]] = {}
        responses: dict[str, tuple[str, int]] = {}
        end = 0
        with self.path.open("rb") as stream:
            records = ArchiveIterator(stream)
            for number, record in enumerate(records, start=1):
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                if record.rec_type == "request":
                    method = (record.http_headers.protocol if record.http_headers else "GET") or "GET"
                    target = record.rec_headers.get_header("WARC-Concurrent-To") or ""
                    requests[target] = (method.upper(), self._body(record, f"WARC record {number}"))
                elif record.rec_type == "response" and record.http_headers:
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    responses[record_id] = (url, records.get_record_offset())
                end = records.get_record_offset() + records.get_record_length()
                # Reading on to the next record consumed this one: bytes it still lacks are missing.
                if getattr(record.raw_stream, "limit", 0):
                    raise SnapshotError(f"{self.path}: truncated: WARC record {number} ends early")
            # What follows the last whole record: nothing, or (uncompressed) the blank lines ending it.
            stream.seek(end)
            if stream.read(TAIL_CHECK_BYTES).strip():
                raise SnapshotError(f"{self.path}: truncated or damaged after byte {end:,}")
        if not responses:
            raise SnapshotError(f"{self.path}: no responses in it (an empty WARC file?)")
        for record_id, (url, offset) in responses.items():
            method, body = requests.get(record_id, ("GET", b""))
            # The first recording of a request wins, as a crawl would have met it first.
            self._index.setdefault(exchange_key(method, url, body), offset)

    def lookup(self, method: str, url: str, request_body: bytes = b"") -> RecordedExchange | None:
        offset = self._index.get(exchange_key(method, url, request_body))
        if offset is None and request_body:
            offset = self._index.get(exchange_key(method, url))
        if offset is None:
            return None
        with self.path.open("rb") as stream:
            stream.seek(offset)
            record = next(iter(ArchiveIterator(stream)))
            http_headers = record.http_headers
            # The body below is decoded; headers describing an encoding would be applied twice.
            headers = [
                (name, value) for name, value in http_headers.headers if name.lower() not in RENAMED_HEADERS
            ]
            date = record.rec_headers.get_header("WARC-Date")
            return RecordedExchange(
                url=record.rec_headers.get_header("WARC-Target-URI"),
                status=int(http_headers.get_statuscode()),
                headers=headers,
                body=self._body(record, f"the response to {method} {url}"),
                fetched_at=datetime.fromisoformat(date.replace("Z", "+00:00")) if date else datetime.now(UTC),
                method=method,
                request_body=request_body,
                origin=record.rec_headers.get_header("WARC-Sourcevault-Origin"),
            )

    def _body(self, record: ArcWarcRecord, what: str) -> bytes:
        body = record.content_stream().read(self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            raise RecordTooLarge(f"{self.path}: {what} is larger than {self.max_body_bytes:,} bytes")
        return body


# --- manifests: how a snapshot is built from files in the repository ---------------------------


@dataclass
class ManifestEntry:
    url: str
    fetched_at: datetime
    status: int = 200
    method: str = "GET"
    request_body: str = ""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    file: str | None = None
    origin: str | None = None


def read_manifest(
    path: Path, within: Path | None = None, max_body_bytes: int = DOWNLOAD_MAXSIZE
) -> Iterator[RecordedExchange]:
    """Exchanges listed in a TOML manifest of [[response]] tables (see crawler/demo/manifest.toml).

    A `file` is named relative to the manifest; it must be a regular file inside `within` (the
    manifest's folder unless given), its body (gunzipped if it ends in .gz) at most `max_body_bytes`.
    """
    try:
        document = tomllib.loads(read_regular_file(path, max_body_bytes).decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SnapshotError(f"{path}: cannot read manifest ({error})") from None
    if not document.get("response"):
        raise SnapshotError(f"{path}: no [[response]] tables: nothing to write")
    for position, table in enumerate(document.get("response", []), start=1):
        try:
            entry = ManifestEntry(**table)
        except TypeError as error:
            raise SnapshotError(f"{path}: response #{position}: {error}") from None
        if (entry.body is None) == (entry.file is None):
            raise SnapshotError(f"{path}: response #{position} ({entry.url}): give exactly one of body, file")
        if entry.file is not None:
            body = _manifest_file(path, position, entry.file, within or path.parent, max_body_bytes)
        else:
            body = (entry.body or "").encode("utf-8")
        headers = list(entry.headers.items())
        if entry.content_type:
            headers.insert(0, ("Content-Type", entry.content_type))
        fetched_at = entry.fetched_at
        if isinstance(fetched_at, datetime) and fetched_at.tzinfo is None:
            fetched_at = fetched_at.replace(tzinfo=UTC)
        yield RecordedExchange(
            url=entry.url,
            status=entry.status,
            headers=headers,
            body=body,
            fetched_at=fetched_at,
            method=entry.method.upper(),
            request_body=entry.request_body.encode("utf-8"),
            origin=entry.origin,
        )


def _manifest_file(manifest: Path, position: int, name: str, within: Path, max_bytes: int) -> bytes:
    try:
        source = inside_folder(manifest.parent, name, within)
        body = read_regular_file(source, max_bytes)
        if source.suffix == ".gz":
            body = gunzip_at_most(body, max_bytes, str(source))
    except (OSError, SnapshotError, ValueError) as error:
        raise SnapshotError(f"{manifest}: response #{position}: {error}") from None
    return body
