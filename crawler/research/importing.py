"""Import articles from JSON lines: another archive's `export --format jsonl`, or any file whose
lines hold at least `url`, `title`, `body` and `published_at`.

Each record goes through the stages a crawled article goes through after extraction (it is an
article already): identity from the registry (the outlet owning the URL's host, unless the
record names one; the outlet's own article id and edition read by its URL patterns, else the
record's article_id, else the canonical URL: crawler.identity.identify), a host no outlet owns
being its site outlet (`site:rfa.org`), then
language and script tagging (`crawler.language.tag_article`, as the crawl's LanguagePipeline),
then the archive's store path, which versions the article, records its URLs, links it to the
archived copies of its story (deduplication, as the crawl's DedupPipeline) and keeps the
record's exact bytes as the article's original. The language fields of an
exported record are recomputed, never trusted.

A line that cannot be imported is reported with its number and why; the others still import.
Importing the same file twice adds nothing (the archive knows each record by its sha256), even twice
at once into a PostgreSQL archive (crawler/archive/postgres/races.py, `hold_import`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crawler.archive import Archive
from crawler.archive.articles import ArticleChange
from crawler.archive.connection import storage_failure
from crawler.article_fields import ARTICLE_FIELDS, Article
from crawler.date_span import outside_span
from crawler.file_limits import open_regular
from crawler.identity import ArticleIdentity, ArticleKey, identify
from crawler.items import stage_error
from crawler.language import tag_article
from crawler.pages.dates import guess_zone, mostly_chinese
from crawler.registry import Outlet, Registry
from crawler.sites import is_site_outlet, site_outlet_slug

BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
IMPORT_EXTRACTOR = "import"
# The article's fields a record may give (ImportedRecord declares each, with its type and checks).
IMPORTED_FIELDS = tuple(f.name for f in ARTICLE_FIELDS if f.imported)
NonEmpty = Annotated[str, Field(min_length=1)]
# An exported article is a few dozen kilobytes; a longer line is not read into memory whole.
MAX_RECORD_BYTES = 10_000_000


class RejectedRecord(ValueError):
    """A record that cannot be imported; the message says which field and why."""


def _timestamp(value: str | None) -> str | None:
    """An ISO 8601 date or time as given (a bare date stays a date); raises ValueError otherwise."""
    if value is None:
        return value
    if not BARE_DATE.match(value):
        datetime.fromisoformat(value)
    return value


class ImportedRecord(BaseModel):
    """The fields an import reads (IMPORTED_FIELDS, and when the record was fetched); any others
    (ids, language fields of an export) are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    url: NonEmpty
    title: NonEmpty
    body: NonEmpty
    published_at: str | None
    outlet: str | None = None
    article_id: str | None = None
    edition: str = ""
    canonical_url: str | None = None
    modified_at: str | None = None
    authors: list[str] = []
    editors: list[str] = []
    tags: list[str] = []
    bylines: list[str] = []
    source: str | None = None
    section: str | None = None
    image: str | None = None
    partial_reason: str | None = None
    declared_language: str | None = None
    wayback_original_url: str | None = None
    wayback_captured_at: str | None = None
    field_methods: dict[str, str] = {}
    fetched_at: datetime | None = None

    @field_validator("url")
    @classmethod
    def _absolute(cls, url: str) -> str:
        if not re.match(r"^https?://[^/\s]+", url):
            raise ValueError(f"not an absolute http(s) URL: {url!r}")
        return url

    @field_validator("fetched_at")
    @classmethod
    def _in_span(cls, value: datetime | None) -> datetime | None:
        if value is not None and (problem := outside_span(value.isoformat())):
            raise ValueError(problem)
        return value

    @field_validator("published_at", "modified_at", "wayback_captured_at")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        if problem := outside_span(value):
            raise ValueError(problem)
        try:
            return _timestamp(value)
        except ValueError:
            raise ValueError(f"not an ISO 8601 date or time: {value!r}") from None


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    name = ".".join(str(part) for part in first["loc"]) or "record"
    if first["type"] == "missing":
        return f'no "{name}"'
    return f'"{name}": {first["msg"].removeprefix("Value error, ")}'


def _local_time(value: str | None, zone: ZoneInfo) -> str | None:
    """A time without an offset is the outlet's local time, as the crawl reads the outlets' pages."""
    if value is None or BARE_DATE.match(value):
        return value
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat(timespec="seconds")


def _outlet(record: ImportedRecord, registry: Registry) -> Outlet | None:
    """The record's outlet: the one it names, else the one owning its host; None: its site outlet."""
    if record.outlet and record.outlet in registry:
        outlet = registry.get(record.outlet)
        # Its domains hold every host it publishes under (sister and earlier sites among them).
        if not outlet.owns_host(host := urlsplit(record.url).hostname or ""):
            raise RejectedRecord(
                f'"url": {host} is not a host of outlet {outlet.slug!r} ({", ".join(outlet.domains)})'
            )
        return outlet
    if record.outlet and not is_site_outlet(record.outlet):
        raise RejectedRecord(f'"outlet": {record.outlet!r} is not a configured outlet')
    if record.outlet and record.outlet != (site := site_outlet_slug(record.url)):
        raise RejectedRecord(f'"outlet": {record.outlet!r} is not the site of {record.url} ({site})')
    # A site outlet's record whose host an outlet of the registry owns now is that outlet's.
    return registry.for_url(record.url)


def _identity(record: ImportedRecord, outlet: Outlet | None) -> ArticleIdentity:
    """As the crawl finds it: tracking parameters, mobile hosts and old suffixes make no other article.

    The outlet's URL patterns read the key; else the record's own article_id; else the canonical URL.
    """
    identity = identify(outlet, record.url, record.canonical_url)
    assert identity is not None, "an ImportedRecord's URL is an absolute http(s) URL"
    if identity.source == "canonical" and record.article_id and record.article_id != identity.key.article_id:
        key = ArticleKey(identity.key.outlet, record.article_id, record.edition)
        return ArticleIdentity(key, "record")
    return identity


def _zone(record: ImportedRecord, outlet: Outlet | None) -> ZoneInfo:
    """The outlet's zone; for a site outlet, the one its domain, declared language or script suggests."""
    if outlet is not None:
        return outlet.zone
    chinese = mostly_chinese(record.title)
    return guess_zone(urlsplit(record.url).hostname or "", record.declared_language, chinese)


def article_from_record(record: ImportedRecord, registry: Registry) -> tuple[Article, Outlet | None]:
    outlet = _outlet(record, registry)
    identity = _identity(record, outlet)
    zone = _zone(record, outlet)
    fields = {name: getattr(record, name) for name in IMPORTED_FIELDS}
    fields |= {
        "outlet": identity.key.outlet,
        "article_id": identity.key.article_id,
        "edition": identity.key.edition,
        "key_source": identity.source,
        "published_at": _local_time(record.published_at, zone),
        "modified_at": _local_time(record.modified_at, zone),
    }
    return Article(**fields, extractor=IMPORT_EXTRACTOR), outlet


def parse_record(line: bytes) -> ImportedRecord:
    try:
        document = json.loads(line.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise RejectedRecord(f"not UTF-8 ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise RejectedRecord(f"not JSON ({error.msg} at column {error.colno})") from None
    except RecursionError:
        raise RejectedRecord("not a record: JSON nested too deep") from None
    if not isinstance(document, dict):
        raise RejectedRecord(f"expected a JSON object, got {type(document).__name__}")
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        raise RejectedRecord(
            f"not text: a lone surrogate escape (\\u{ord(error.object[error.start]):04x}) no UTF-8 can hold"
        ) from None
    try:
        return ImportedRecord.model_validate(document)
    except ValidationError as error:
        raise RejectedRecord(_describe(error)) from None


def import_record(archive: Archive, registry: Registry, line: bytes, imported_from: str) -> ArticleChange:
    """One JSON line through the stages a crawled article goes through after extraction."""
    record = parse_record(line)
    article, outlet = article_from_record(record, registry)
    article = tag_article(article, outlet)
    fetched_at = record.fetched_at or datetime.now(UTC)
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    # The archive's store path is the crawl's: versions, URL aliases, and story clusters (dedup).
    return archive.store_import(line, article, fetched_at, imported_from, outlet)


@dataclass(frozen=True)
class ImportProblem:
    line: int
    reason: str


def _lines(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """Each non-blank line and its number; None for a line longer than MAX_RECORD_BYTES (not kept)."""
    with open_regular(path) as stream:
        number = 0
        while raw_line := stream.readline(MAX_RECORD_BYTES + 1):
            number += 1
            if len(raw_line) > MAX_RECORD_BYTES and not raw_line.endswith(b"\n"):
                while (rest := stream.readline(MAX_RECORD_BYTES)) and not rest.endswith(b"\n"):
                    pass
                yield number, None
                continue
            line = raw_line.rstrip(b"\r\n")
            if line.strip():
                yield number, line


def import_file(
    archive: Archive,
    registry: Registry,
    path: Path,
    on_problem: Callable[[ImportProblem], None] | None = None,
) -> tuple[Counter[str], list[ImportProblem]]:
    """Import every line of `path`; count new, updated and unchanged articles, list the rejected lines."""
    archive.sync_outlets(registry)
    counts: Counter[str] = Counter({"new": 0, "updated": 0, "unchanged": 0})
    problems = []
    for number, line in _lines(path):
        try:
            if line is None:
                raise RejectedRecord(f"longer than {MAX_RECORD_BYTES:,} bytes: not read")
            counts[import_record(archive, registry, line, f"{path}:{number}")] += 1
        except RejectedRecord as error:
            problem = ImportProblem(number, str(error))
        except Exception as error:
            # A record no stage foresaw (a bug): its line says so, the others still import. The
            # archive failing (disk full) ends the import.
            if storage_failure(error) is not None:
                raise
            problem = ImportProblem(number, stage_error("import", error))
        else:
            continue
        problems.append(problem)
        if on_problem is not None:
            on_problem(problem)
    return counts, problems
