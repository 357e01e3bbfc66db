"""The sections of an outlet's registry entry other than its article URLs, and the checks they share.

Each [outlet.<section>] table of config/outlets.toml is one strict pydantic model here: an unknown
field or a bad value fails the load with one line naming file, outlet and field
(crawler/registry.py). The article URL rules are in crawler/url_patterns.py.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import jmespath
import jmespath.exceptions
from cssselect import SelectorError
from parsel.csstranslator import HTMLTranslator
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Script = Literal["Hans", "Hant", "Latn"]
SLUG_PATTERN = r"^[a-z][a-z0-9_]*$"
BARE_HOST = re.compile(r"[a-z0-9.-]+\.[a-z]{2,}")
_css_translator = HTMLTranslator()


class FieldError(ValueError):
    """A check across fields that still names the one field to fix (e.g. 'layouts.1.since')."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def check_css(selector: str) -> str:
    try:
        _css_translator.css_to_xpath(selector)
    except SelectorError as error:
        raise ValueError(f"invalid CSS selector {selector!r}: {error}") from None
    return selector


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return url


CssSelector = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Edition(Strict):
    """One language edition of an outlet that publishes the same article more than once."""

    id: str = Field(pattern=r"^[a-z0-9]+$")
    script: Script
    language: str = Field(pattern=r"^[a-z]{2,3}$")


class ListingSource(Strict):
    url: str
    links: CssSelector = "a[href]"

    _url = field_validator("url")(check_url)
    _links = field_validator("links")(check_css)


class JsonApiSource(Strict):
    url: str
    method: Literal["GET", "POST"] = "GET"
    body: dict[str, Any] | None = None
    headers: dict[str, str] = {}
    links: str = Field(min_length=1, description="JMESPath expression yielding article URLs")
    # When the API gives ids, not URLs: a URL with one "{}" where the id goes.
    link_template: str | None = None

    _url = field_validator("url")(check_url)

    @field_validator("link_template")
    @classmethod
    def _template(cls, template: str | None) -> str | None:
        if template is not None and (template.count("{}") != 1 or not template.startswith("http")):
            raise ValueError(f"link_template {template!r} must be an absolute URL with exactly one {{}}")
        return template

    @field_validator("links")
    @classmethod
    def _compile_links(cls, expression: str) -> str:
        try:
            jmespath.compile(expression)
        except jmespath.exceptions.ParseError as error:
            raise ValueError(f"invalid JMESPath expression {expression!r}: {error}") from None
        return expression


class Discovery(Strict):
    feeds: list[str] = []
    sitemaps: list[str] = []
    listings: list[ListingSource] = []
    json_apis: list[JsonApiSource] = []

    @field_validator("feeds", "sitemaps")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        return [check_url(url) for url in urls]

    @model_validator(mode="after")
    def _not_empty(self) -> Discovery:
        if not (self.feeds or self.sitemaps or self.listings or self.json_apis):
            raise ValueError("no discovery source: give at least one feed, sitemap, listing or json_api")
        return self


class Selectors(Strict):
    """CSS selectors tried in order; the first that yields a value wins.

    `body` selects the paragraph elements; `remove` lists elements whose text never
    counts (ads, captions, share bars) wherever they sit inside the body.
    """

    title: list[CssSelector] = []
    body: list[CssSelector] = []
    published_at: list[CssSelector] = []
    modified_at: list[CssSelector] = []
    authors: list[CssSelector] = []
    editors: list[CssSelector] = []
    source: list[CssSelector] = []
    section: list[CssSelector] = []
    tags: list[CssSelector] = []
    image: list[CssSelector] = []
    remove: list[CssSelector] = []

    @field_validator("*")
    @classmethod
    def _css(cls, selectors: list[str]) -> list[str]:
        return [check_css(selector) for selector in selectors]


class Layout(Strict):
    """A page layout an outlet adopted on a date, with the selectors that read it.

    Its selectors replace the outlet's own field by field; a field it leaves out keeps the
    outlet's. Pages fetched on or after `since` (in the outlet's time zone) are read with the
    newest layout in force then; pages fetched before the first `since` with the outlet's own
    `[outlet.selectors]`. Python for one layout only is the class Page<yyyymmdd> in the outlet's
    module, crawler/outlets/<slug>.py.
    """

    since: date
    note: str = ""
    selectors: Selectors = Selectors()


class PageRules(Strict):
    """Text that marks a page served with status 200 as something other than a full article."""

    # Soft 404s: any of these in the page's visible text, its <title>, or its final URL, or an
    # element matching one of the selectors (WordPress marks its 404 template body.error404).
    not_found_text: list[str] = []
    not_found_title: list[str] = []
    not_found_url: list[str] = []
    not_found_selector: list[CssSelector] = []
    # Pages whose article text is cut short (paywall, login wall, expired archive): kept, but
    # flagged partial, by text or by an element only such pages carry.
    partial_text: list[str] = []
    partial_selector: list[CssSelector] = []
    min_body_chars: int = Field(default=40, ge=1)

    @field_validator("not_found_selector", "partial_selector")
    @classmethod
    def _css(cls, selectors: list[str]) -> list[str]:
        return [check_css(selector) for selector in selectors]


class Politeness(Strict):
    """How gently to crawl an outlet; unset values take the crawl's defaults (crawler/settings.py).

    Every request of an outlet, whatever its host, goes through one Scrapy download slot named
    after the outlet, configured from these values (crawler/extensions/throttle.py, outlet_download_slots).
    """

    # Seconds between two requests (DOWNLOAD_DELAY when unset); AutoThrottle may only lengthen it.
    delay: float | None = Field(default=None, ge=0)
    # Requests at once (CONCURRENT_REQUESTS_PER_DOMAIN when unset).
    concurrency: int | None = Field(default=None, ge=1)


def is_address(host: str) -> bool:
    """An IP address or localhost: the offline tests serve outlets on 127.0.0.1."""
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_host(host: str) -> str:
    if not is_address(host) and not BARE_HOST.fullmatch(host):
        raise ValueError(f"not a bare domain name or IP address: {host!r}")
    return host
