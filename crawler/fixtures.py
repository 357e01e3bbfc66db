"""Stored outlet pages and the reviewed extraction each must keep producing.

Each outlet has a folder `tests/fixtures/outlets/<slug>/` of pages saved gzipped
(`<name>.html.gz`) beside a JSON file (`<name>.json`) holding where the page came from
(`page`: url, captured_at, kind, origin) and what extraction must make of it (`expected`).
`sourcevault outlets check --update` writes `expected`; a person reviews the diff.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.articles import extract_article
from crawler.pages import LANGUAGE_FIELDS, Extraction
from crawler.registry import Registry

FIXTURES_ROOT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "outlets"
BODY_EDGE_CHARS = 40
# Fields compared as they are; the body is compared by its start, end and length (and its
# Simplified copy through the title's).
COMPARED_FIELDS = (
    "title",
    "article_id",
    "edition",
    "canonical_url",
    "published_at",
    "modified_at",
    "authors",
    "editors",
    "source",
    "section",
    "tags",
    "image",
    "bylines",
    "partial_reason",
    "field_methods",
    "declared_language",
    *(name for name in LANGUAGE_FIELDS if name != "body_simplified"),
)


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

    def body(self) -> bytes:
        return gzip.decompress(self.page_path.read_bytes())

    def extract(self, registry: Registry) -> Extraction:
        return extract_article(
            self.body(),
            url=self.url,
            outlet=registry.get(self.slug) if self.slug in registry else None,
            fetched_at=self.captured_at,
        )


def discover_fixtures(root: Path = FIXTURES_ROOT, slug: str | None = None) -> list[Fixture]:
    """Every stored page under `root` (of one outlet if `slug` is given), in name order."""
    folders = [root / slug] if slug else sorted(path for path in root.iterdir() if path.is_dir())
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
