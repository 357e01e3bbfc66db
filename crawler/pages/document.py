"""One HTML page, decoded and parsed once, with the lookups every page object shares."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import Any

import lxml.etree
import lxml.html
from parsel import Selector

from crawler.pages.decoding import DecodedText, decode_html
from crawler.pages.wayback import WaybackCapture, read_wayback

SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "textarea", "select"})
BLOCK_BREAK_TAGS = frozenset({"br"})
ARTICLE_LD_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "BlogPosting",
        "OpinionNewsArticle",
        "WebPage",
        "LiveBlogPosting",
    }
)
# JSON-LD nested deeper than this is not a page's metadata (real blocks are a few levels deep), and
# walking it would exhaust Python's recursion limit: such a block is skipped, as a broken one is.
MAX_JSON_LD_DEPTH = 32
# JSON may escape half a surrogate pair ("\\ud800"): json.loads keeps it, UTF-8 cannot encode it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# The mark a browser's "save page" leaves before <html>.
SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(?P<url>https?://[^\s>]+?)\s*-->", re.IGNORECASE)
SAVED_FROM_WITHIN = 1024
_WHITESPACE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u3000\ufeff]+")
_LINEBREAKS = re.compile(r"\s*\n\s*")


class UnparseableDocument(ValueError):
    """The bytes hold no HTML tree at all (empty, binary, or not markup)."""


def clean_text(text: str) -> str:
    """Collapse runs of spaces (ideographic ones too) and trim; keep explicit line breaks."""
    text = _WHITESPACE.sub(" ", text)
    return _LINEBREAKS.sub("\n", text).strip()


def element_text(element: lxml.html.HtmlElement, excluded: set[Any] | frozenset[Any] = frozenset()) -> str:
    """Visible text of an element, skipping scripts and any element in `excluded`."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node.tag, str) and node.tag not in SKIPPED_TAGS and node not in excluded:
            if node.tag in BLOCK_BREAK_TAGS:
                parts.append("\n")
            if node.text:
                parts.append(node.text)
            for child in node:
                walk(child)
        if node.tail:
            parts.append(node.tail)

    if element.text and element not in excluded:
        parts.append(element.text)
    for child in element:
        walk(child)
    return clean_text("".join(parts))


class HtmlDocument:
    """Decoded text, lxml tree and parsel selector of one page, built once."""

    def __init__(self, body: bytes, content_type: str | None = None, url: str | None = None):
        self.url = url
        self.decoded: DecodedText = decode_html(body, content_type)
        self.html: str
        self.wayback: WaybackCapture | None
        # A page saved from the Wayback Machine is read as its site served it.
        self.html, self.wayback = read_wayback(self.decoded.text, url)
        if not self.html.strip():
            raise UnparseableDocument("empty body")
        if "\x00" in self.html[:4096]:
            raise UnparseableDocument("binary content (NUL bytes), not HTML")
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
        try:
            root = lxml.html.document_fromstring(self.html.encode("utf-8", "replace"), parser=parser)
        except (lxml.etree.ParserError, ValueError) as error:
            raise UnparseableDocument(f"unparseable HTML: {error}") from None
        if root is None or (root.find("body") is None and root.find("head") is None):
            raise UnparseableDocument("no HTML document in the body")
        self.tree: lxml.html.HtmlElement = root
        self.selector = Selector(root=root, type="html")

    def css(self, query: str) -> list[str | lxml.html.HtmlElement]:
        """Results of a CSS query (parsel syntax): strings for ::text/::attr(), else elements."""
        return [result.root for result in self.selector.css(query)]

    @cached_property
    def _meta_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for element in self.tree.iter("meta"):
            content = clean_text(element.get("content") or "")
            if not content:
                continue
            for attribute in ("property", "name", "itemprop", "http-equiv"):
                key = (element.get(attribute) or "").strip().lower()
                if key:
                    index.setdefault(key, content)
        return index

    def meta(self, *keys: str) -> str | None:
        """First non-empty <meta> content whose name, property or itemprop is one of `keys`."""
        return next((self._meta_index[key] for key in keys if key in self._meta_index), None)

    @cached_property
    def saved_from(self) -> str | None:
        """The address a browser saved the page from (`<!-- saved from url=(0071)https://… -->`)."""
        match = SAVED_FROM.search(self.decoded.text[:SAVED_FROM_WITHIN])
        return match["url"] if match else None

    def link(self, rel: str) -> str | None:
        values = self.tree.xpath("//link[@rel=$rel]/@href", rel=rel)
        return values[0].strip() if values and values[0].strip() else None

    @cached_property
    def title_tag(self) -> str | None:
        titles = self.tree.xpath("//head/title/text() | //title/text()")
        return clean_text(titles[0]) if titles and clean_text(titles[0]) else None

    @cached_property
    def declared_language(self) -> str | None:
        lang = self.tree.get("lang") or self.tree.get("xml:lang")
        return (lang or self.meta("content-language", "og:locale") or "").strip() or None

    @cached_property
    def json_ld(self) -> list[dict[str, Any]]:
        """Every JSON-LD object of the page, @graph and arrays flattened; broken blocks skipped."""
        objects: list[dict[str, Any]] = []
        for script in self.tree.xpath('//script[@type="application/ld+json"]/text()'):
            try:
                data = json.loads(script, strict=False)
            except (json.JSONDecodeError, RecursionError):
                continue
            if nested_within(data, MAX_JSON_LD_DEPTH):
                objects.extend(_flatten_ld(_without_lone_surrogates(data)))
        return objects

    @cached_property
    def json_ld_article(self) -> dict[str, Any]:
        """The page's main JSON-LD article object, or an empty dict."""
        for wanted in (ARTICLE_LD_TYPES - {"WebPage"}, {"WebPage"}):
            for item in self.json_ld:
                if ld_types(item) & wanted:
                    return item
        return {}


def nested_within(data: Any, depth: int) -> bool:
    """Whether JSON data nests lists and objects at most `depth` deep (walked without recursion)."""
    level: list[Any] = [data]
    for _ in range(depth):
        level = [
            child
            for value in level
            if isinstance(value, list | dict)
            for child in (value.values() if isinstance(value, dict) else value)
        ]
        if not level:
            return True
    return not any(isinstance(value, list | dict) for value in level)


def _without_lone_surrogates(data: Any) -> Any:
    """JSON data with each lone surrogate escape ("\\ud800", which no text can hold) as U+FFFD."""
    if isinstance(data, str):
        return LONE_SURROGATE.sub("\ufffd", data)
    if isinstance(data, list):
        return [_without_lone_surrogates(item) for item in data]
    if isinstance(data, dict):
        return {_without_lone_surrogates(key): _without_lone_surrogates(value) for key, value in data.items()}
    return data


def _flatten_ld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten_ld(item)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _flatten_ld(data["@graph"])
        yield data


def ld_types(item: dict[str, Any]) -> set[str]:
    """The @type names of a JSON-LD object."""
    types = item.get("@type", [])
    return {name for name in (types if isinstance(types, list) else [types]) if isinstance(name, str)}


def ld_text(value: Any) -> str | None:
    """A JSON-LD value as one string: plain, or the name/url of an object, or the first of a list."""
    if isinstance(value, list):
        return next((text for text in map(ld_text, value) if text), None)
    if isinstance(value, dict):
        return ld_text(value.get("name") or value.get("url") or value.get("@id"))
    if isinstance(value, str | int | float) and str(value).strip():
        return clean_text(str(value))
    return None


def ld_people(value: Any) -> Iterable[str]:
    """Names of the persons in a JSON-LD author value (organisations are not authors)."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str) and item.strip():
            yield clean_text(item)
        elif isinstance(item, dict) and "Organization" not in ld_types(item):
            name = ld_text(item.get("name"))
            if name:
                yield name
