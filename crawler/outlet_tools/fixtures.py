"""Stored outlet pages and the reviewed extraction each must keep producing.

Each outlet has a folder `tests/fixtures/outlets/<slug>/` of pages saved gzipped
(`<name>.html.gz`) beside a JSON file (`<name>.json`) holding where the page came from
(`page`: url, captured_at, kind, origin, and content_type when the server sent one) and what
extraction must make of it (`expected`). `sourcevault outlets fixture` stores a page and
writes its `expected`; `sourcevault outlets check --update` rewrites it after an intended
change; a person reviews either.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from crawler.article_fields import ARTICLE_FIELDS
from crawler.config_files import CHECKOUT_DIR, in_checkout
from crawler.exit_status import BadInput
from crawler.extraction import extract_article
from crawler.pages import Extraction
from crawler.pages.document import HtmlDocument, UnparseableDocument
from crawler.registry import Outlet, Registry, Selectors, match_article_url

# An installed sourcevault has no tests/: the folder is then taken in the working directory, as the
# archive (data/archive.db) is.
FIXTURES_ROOT = (CHECKOUT_DIR if in_checkout() else Path()) / "tests" / "fixtures" / "outlets"
BODY_EDGE_CHARS = 40
# Fields compared as they are; the body is compared by its start, end and length.
COMPARED_FIELDS = tuple(f.name for f in ARTICLE_FIELDS if f.compared)
# Fields whose coverage `outlets check` reports, with the column heading it prints.
COVERAGE_FIELDS = {f.name: f.coverage_heading for f in ARTICLE_FIELDS if f.coverage_heading}
NAME_UNSAFE = re.compile(r"[^A-Za-z0-9]+")
MAX_NAME_CHARS = 80
# A fixture's name, however given, is a file name in its outlet's folder and nothing more.
SAFE_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME_CHARS - 1}}}")


class FixtureNameError(BadInput, ValueError):
    """A fixture name that would not be a plain file name in the outlet's folder."""


def checked_name(name: str) -> str:
    """`name` if it is a plain file name (letters, digits, . _ -, no ".."), else FixtureNameError."""
    if not SAFE_NAME.fullmatch(name) or ".." in name:
        raise FixtureNameError(
            f"fixture name {name!r}: give a plain file name (letters, digits, '.', '_', '-';"
            f" at most {MAX_NAME_CHARS} characters), it is stored in the outlet's fixture folder"
        )
    return name


@dataclass(frozen=True)
class Fixture:
    slug: str
    name: str
    page_path: Path
    record_path: Path

    @property
    def record(self) -> dict[str, Any]:
        return json.loads(self.record_path.read_text(encoding="utf-8"))

    @property
    def url(self) -> str:
        return self.record["page"]["url"]

    @property
    def captured_at(self) -> datetime:
        return datetime.fromisoformat(self.record["page"]["captured_at"])

    @property
    def content_type(self) -> str | None:
        return self.record["page"].get("content_type")

    def body(self) -> bytes:
        return gzip.decompress(self.page_path.read_bytes())

    def extract(self, registry: Registry) -> Extraction:
        return extract_article(
            self.body(),
            url=self.url,
            content_type=self.content_type,
            outlet=registry.get(self.slug) if self.slug in registry else None,
            fetched_at=self.captured_at,
        )


def discover_fixtures(root: Path = FIXTURES_ROOT, slug: str | None = None) -> list[Fixture]:
    """Every stored page under `root` (of one outlet if `slug` is given), in name order."""
    if slug:
        folders = [root / slug] if (root / slug).is_dir() else []
    else:
        folders = sorted(path for path in root.iterdir() if path.is_dir()) if root.is_dir() else []
    fixtures = []
    for folder in folders:
        for page_path in sorted(folder.glob("*.html.gz")):
            name = page_path.name.removesuffix(".html.gz")
            fixtures.append(Fixture(folder.name, name, page_path, folder / f"{name}.json"))
    return fixtures


def summarise(extraction: Extraction) -> dict[str, Any]:
    """What a fixture's `expected` records of an extraction."""
    article = extraction.article
    if article is None:
        return {"not_article": extraction.reason}
    body = article.body or ""
    summary = {name: getattr(article, name) for name in COMPARED_FIELDS}
    summary["body_start"] = body[:BODY_EDGE_CHARS]
    summary["body_end"] = body[-BODY_EDGE_CHARS:]
    summary["body_chars"] = len(body)
    return {"article": summary}


def differences(expected: dict[str, Any] | None, actual: dict[str, Any]) -> list[str]:
    """Lines naming each field whose extraction differs from the reviewed one."""
    if expected is None:
        return ["no reviewed expected output yet (run `sourcevault outlets check --update` and review)"]
    if set(expected) != set(actual):
        return [f"expected {next(iter(expected))}, got {next(iter(actual))}: {next(iter(actual.values()))}"]
    if "not_article" in expected:
        if expected["not_article"] != actual["not_article"]:
            return [f"not_article: expected {expected['not_article']!r}, got {actual['not_article']!r}"]
        return []
    want, got = expected["article"], actual["article"]
    return [
        f"{field}: expected {want.get(field)!r}, got {got.get(field)!r}"
        for field in sorted(set(want) | set(got))
        if want.get(field) != got.get(field)
    ]


def write_expected(fixture: Fixture, actual: dict[str, Any]) -> None:
    record = fixture.record
    record["expected"] = actual
    fixture.record_path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def url_problem(outlet: Outlet, url: str) -> str | None:
    """Why `url` cannot be a page of `outlet`, naming the outlet and the field; None if it can."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"fixture URL {url!r} of outlet {outlet.slug!r} is not an absolute http(s) URL"
    if not outlet.owns_host(parts.hostname):
        domains = ", ".join(outlet.domains)
        return (
            f"fixture URL {url} does not belong to outlet {outlet.slug!r} "
            f"(field 'domains': {domains}; add its domain there if the outlet owns it)"
        )
    return None


def fixture_name(slug: str, url: str, captured_at: datetime) -> str:
    """A file name for a page: the outlet, the last words of its path, and the capture date."""
    path = unquote(urlsplit(url).path)
    words = NAME_UNSAFE.sub("_", "/".join(path.strip("/").split("/")[-3:])).strip("_")
    name = f"{slug}_{words}" if words else f"{slug}_home"
    return f"{name[: MAX_NAME_CHARS - 9]}_{captured_at:%Y%m%d}"


def write_fixture(
    root: Path, slug: str, name: str, body: bytes, *, page: dict[str, Any], expected: dict[str, Any]
) -> Fixture:
    folder = root / slug
    fixture = Fixture(slug, checked_name(name), folder / f"{name}.html.gz", folder / f"{name}.json")
    folder.mkdir(parents=True, exist_ok=True)
    # mtime 0: the same page gives the same bytes, so a re-stored page is no diff.
    fixture.page_path.write_bytes(gzip.compress(body, compresslevel=9, mtime=0))
    record = {"page": page, "expected": expected}
    fixture.record_path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return fixture


def coverage(summaries: Iterable[dict[str, Any]]) -> tuple[int, dict[str, int]]:
    """How many article pages there are, and on how many of them each field was found."""
    articles = [summary["article"] for summary in summaries if "article" in summary]
    found = {
        field: sum(
            1
            for article in articles
            if (article.get("body_chars") if field == "body" else article.get(field))
        )
        for field in COVERAGE_FIELDS
    }
    return len(articles), found


def _matches(document: HtmlDocument, query: str) -> bool:
    return any(not isinstance(result, str) or result.strip() for result in document.css(query))


def unmatched_selectors(outlet: Outlet, fixtures: list[Fixture]) -> list[str]:
    """Selectors of `outlet` that match nothing on any article page fetched while they applied.

    Each layout (the outlet's own selectors, then each [[outlet.layouts]] entry) is checked
    against the article fixtures whose capture date puts them in that layout; `remove`
    selectors are left out, since an ad slot missing from a page is no error.
    """
    documents: dict[int | None, list[HtmlDocument]] = {
        None: [],
        **{i: [] for i in range(len(outlet.layouts))},
    }
    for fixture in fixtures:
        if match_article_url(outlet, fixture.url) is None:
            continue
        layout = outlet.layout_at(fixture.captured_at)
        try:
            document = HtmlDocument(fixture.body(), fixture.content_type, fixture.url)
        except UnparseableDocument:
            continue
        documents[outlet.layouts.index(layout) if layout else None].append(document)

    # Which pages each declared selector list applies to: a field a layout leaves out is read
    # with the outlet's own selectors on that layout's pages too.
    applies: dict[tuple[int | None, str], list[HtmlDocument]] = {}
    for period, pages in documents.items():
        for field in Selectors.model_fields:
            overrides = period is not None and field in outlet.layouts[period].selectors.model_fields_set
            applies.setdefault((period if overrides else None, field), []).extend(pages)

    problems = []
    declarations = [(None, outlet.selectors), *enumerate(layout.selectors for layout in outlet.layouts)]
    for position, declared in declarations:
        prefix = "selectors" if position is None else f"layouts.{position}.selectors"
        for field in Selectors.model_fields:
            pages = applies.get((position, field), [])
            if field == "remove" or not pages:
                continue
            for query in getattr(declared, field):
                if not any(_matches(document, query) for document in pages):
                    problems.append(
                        f"outlet {outlet.slug!r}: field '{prefix}.{field}': {query!r} matched nothing "
                        f"on {len(pages)} article page(s)"
                    )
    for position in [None, *range(len(outlet.layouts))]:
        if not documents[position] and (position is not None or outlet.layouts):
            period = (
                f"layouts.{position} (since {outlet.layouts[position].since})"
                if position is not None
                else f"selectors (before {outlet.layouts[0].since})"
            )
            problems.append(f"outlet {outlet.slug!r}: {period}: no article page fetched in its time to check")
    if not any(documents.values()):
        problems.append(f"outlet {outlet.slug!r}: no article page to check its selectors on")
    return problems
