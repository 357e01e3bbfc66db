"""The article's fields, each declared once: name, type, meaning, and where it shows up.

Everything else that lists the fields is derived from `ARTICLE_FIELDS`: the page objects' cascade
(`ArticlePage.to_article`), the archive's content and JSON columns, the fields fixtures compare
and `outlets check` counts, the coverage a crawl run records, what an import reads, and the
descriptions `sourcevault serve` gives Datasette. The `Article` dataclass, the registry's
`Selectors` and the import model `ImportedRecord` stay written out, for their types and
validators to read plainly; tests/test_article_fields.py checks each against this list.

A new field: declare it here, add it to `Article`, and add a migration for its column.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_origin


@dataclass(frozen=True)
class ArticleField:
    """One field of an extracted article."""

    name: str
    type: Any
    # What the field holds, as `sourcevault serve` describes its column of `articles`.
    description: str
    # identity: the key the article is archived under; content: what an extraction produces;
    # bookkeeping: about the extraction itself.
    column: Literal["identity", "content", "bookkeeping"] = "content"
    # Extracted by the page object's method of the same name, through the cascade of steps.
    cascade: bool = False
    # The registry's [outlet.selectors] may give CSS selectors for it.
    selector: bool = False
    # Compared as it is between a fixture page's extraction and its reviewed output.
    compared: bool = True
    # Its heading in the coverage table of `sourcevault outlets check` (None: not counted).
    coverage_heading: str | None = None
    # Its share among a crawl run's articles is recorded: a drop raises a layout-change alert.
    watched: bool = False
    # Read from the records of `sourcevault import` (False: recomputed there, never trusted).
    imported: bool = True

    @property
    def json_encoded(self) -> bool:
        """Whether the archive stores it as JSON text (lists and mappings)."""
        return get_origin(self.type) in (list, dict)

    def empty(self) -> Any:
        """Its value when nothing was found."""
        origin = get_origin(self.type)
        if origin in (list, dict):
            return origin()
        return "" if self.type is str else None


def _page_field(
    name: str, type_: Any, description: str, heading: str, *, selector: bool = True, watched: bool = False
) -> ArticleField:
    """A field the page object extracts, counted by `outlets check`."""
    return ArticleField(
        name, type_, description, cascade=True, selector=selector, coverage_heading=heading, watched=watched
    )


def _language_field(name: str, type_: Any, description: str, *, compared: bool = True) -> ArticleField:
    """A field filled by language tagging (crawler.language.tag_article), not by the page object."""
    return ArticleField(name, type_, description, compared=compared, imported=False)


# The page object's fields come in the order it extracts them, which is also the order of an
# article's `field_methods` and of the coverage tables.
ARTICLE_FIELDS: tuple[ArticleField, ...] = (
    ArticleField("url", str | None, "The article's URL.", compared=False),
    ArticleField(
        "outlet", str | None, "Slug of the outlet that published it.", column="identity", compared=False
    ),
    ArticleField(
        "article_id", str | None, "The outlet's own id for the article, read from its URL.", column="identity"
    ),
    ArticleField(
        "edition",
        str,
        "gb / b5 for outlets publishing both scripts (Epoch Times), else empty.",
        column="identity",
    ),
    # Follows from the article_id, which is compared; recomputed on import.
    ArticleField(
        "key_source",
        str | None,
        "How article_id was read: pattern (one of the outlet's URL patterns), canonical (its canonical"
        " URL without the scheme: no pattern matches its URL, or its site has no outlet entry), record"
        " (as an imported record gave it); NULL: archived before this was recorded.",
        column="identity",
        compared=False,
        imported=False,
    ),
    _page_field("title", str | None, "Headline, as written.", "title", watched=True),
    # Compared by its start, end and length (crawler/outlet_tools/fixtures.py).
    ArticleField(
        "body",
        str | None,
        "Plain text, paragraphs separated by a blank line, bylines lifted out.",
        cascade=True,
        selector=True,
        compared=False,
        coverage_heading="body",
        watched=True,
    ),
    _page_field(
        "published_at",
        str | None,
        "ISO 8601 with the outlet's offset (or a bare date).",
        "published",
        watched=True,
    ),
    _page_field("modified_at", str | None, "Last update, ISO 8601, when the page says.", "modified"),
    _page_field("authors", list[str], "JSON list of authors.", "authors", watched=True),
    _page_field("editors", list[str], "JSON list of editors.", "editors"),
    _page_field("source", str | None, "Outlet a reposted text comes from (中央社, 新京报, …).", "source"),
    _page_field("section", str | None, "The outlet's section or channel.", "section", watched=True),
    _page_field("tags", list[str], "JSON list of the page's keywords.", "tags", watched=True),
    _page_field("image", str | None, "URL of the lead image.", "image", watched=True),
    _page_field(
        "canonical_url", str | None, "The URL the page names as canonical.", "canonical", selector=False
    ),
    ArticleField("bylines", list[str], "JSON list: the byline text lifted out of the body, verbatim."),
    ArticleField(
        "partial_reason", str | None, "Why the text is incomplete (paywall, expired archive), when it is."
    ),
    ArticleField("declared_language", str | None, "The language the page declares (html lang, og:locale)."),
    ArticleField(
        "wayback_original_url",
        str | None,
        "For a page saved from the Wayback Machine: the address the Wayback Machine captured.",
    ),
    ArticleField(
        "wayback_captured_at",
        str | None,
        "For a page saved from the Wayback Machine: when it captured the page, ISO 8601 UTC.",
    ),
    ArticleField(
        "field_methods",
        dict[str, str],
        "JSON: which step gave each field (selector, json-ld, meta, byline, trafilatura, url, import).",
    ),
    ArticleField(
        "extractor",
        str,
        "The page object that extracted it (generic, an outlet's own), or import.",
        column="bookkeeping",
        compared=False,
        imported=False,
    ),
    _language_field("language", str | None, "Detected language, ISO 639-1 (und: no letters)."),
    _language_field(
        "script", str | None, "Detected script, ISO 15924: Hans, Hant, Hani (Han both scripts share), Latn, …"
    ),
    _language_field("language_tag", str | None, "BCP 47: zh-Hant, zh-Hans, zh, en, …"),
    _language_field("language_confidence", float | None, "0 to 1."),
    _language_field(
        "script_inferred",
        bool | None,
        "1: no one-script character; the script came from the page's declared language or the outlet.",
    ),
    _language_field(
        "declared_language_agrees",
        bool | None,
        "1 / 0: the page's declared language agrees; NULL when it declares none.",
    ),
    _language_field(
        "expected_script", str | None, "The script the outlet (or edition) normally writes, per the registry."
    ),
    _language_field("script_mismatch", bool | None, "1: the text is in another script than expected_script."),
    _language_field(
        "title_simplified",
        str | None,
        "Chinese articles: the title in Simplified (OpenCC tw2s), as searched and deduplicated.",
    ),
    # Follows from the body and the title's Simplified copy, which are compared.
    _language_field(
        "body_simplified",
        str | None,
        "Chinese articles: the body in Simplified (OpenCC tw2s), as searched and deduplicated.",
        compared=False,
    ),
)


@dataclass
class Article:
    """An extracted article, as stored in the archive and printed by `extract` (in this order)."""

    url: str | None
    canonical_url: str | None
    outlet: str | None
    article_id: str | None
    edition: str
    title: str | None
    body: str | None
    key_source: str | None = None
    published_at: str | None = None
    modified_at: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    source: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    bylines: list[str] = field(default_factory=list)
    partial_reason: str | None = None
    declared_language: str | None = None
    wayback_original_url: str | None = None
    wayback_captured_at: str | None = None
    field_methods: dict[str, str] = field(default_factory=dict)
    extractor: str = ""
    # Filled by language tagging (crawler.language.tag_article), not by the page object.
    language: str | None = None
    script: str | None = None
    language_tag: str | None = None
    language_confidence: float | None = None
    script_inferred: bool | None = None
    declared_language_agrees: bool | None = None
    expected_script: str | None = None
    script_mismatch: bool | None = None
    title_simplified: str | None = None
    body_simplified: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
