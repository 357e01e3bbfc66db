"""The outlet registry: `config/outlets.toml` loaded and validated.

Which file: `--registry`, else the file `SOURCEVAULT_REGISTRY` names, else config/outlets.toml of
the checkout sourcevault runs from, else the copy installed with it (crawler/config_files.py).

Every outlet is data. A bad entry fails the load with one line that names the
file, the outlet and the field, so an operator editing the TOML by hand sees
exactly what to fix.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from string import Formatter
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jmespath
import jmespath.exceptions
from cssselect import SelectorError
from parsel.csstranslator import HTMLTranslator
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crawler.regex_safety import nested_quantifier
from crawler.registry_file import (
    RegistryError,
    no_such_outlet,
    read_entries,
    registry_path,
)

Script = Literal["Hans", "Hant", "Latn"]
SLUG_PATTERN = r"^[a-z][a-z0-9_]*$"
BARE_HOST = re.compile(r"[a-z0-9.-]+\.[a-z]{2,}")
# Article URL patterns are matched against at most this many characters: no longer URL is fetched
# (URLLENGTH_LIMIT's default), and a bounded input bounds what a pattern's backtracking can cost.
PATTERN_INPUT_MAX_CHARS = 4096
_css_translator = HTMLTranslator()


class FieldError(ValueError):
    """A check across fields that still names the one field to fix (e.g. 'layouts.1.since')."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _check_css(selector: str) -> str:
    try:
        _css_translator.css_to_xpath(selector)
    except SelectorError as error:
        raise ValueError(f"invalid CSS selector {selector!r}: {error}") from None
    return selector


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return url


CssSelector = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Edition(_Strict):
    """One language edition of an outlet that publishes the same article more than once."""

    id: str = Field(pattern=r"^[a-z0-9]+$")
    script: Script
    language: str = Field(pattern=r"^[a-z]{2,3}$")


class ListingSource(_Strict):
    url: str
    links: CssSelector = "a[href]"

    _url = field_validator("url")(_check_url)
    _links = field_validator("links")(_check_css)


class JsonApiSource(_Strict):
    url: str
    method: Literal["GET", "POST"] = "GET"
    body: dict[str, Any] | None = None
    headers: dict[str, str] = {}
    links: str = Field(min_length=1, description="JMESPath expression yielding article URLs")
    # When the API gives ids, not URLs: a URL with one "{}" where the id goes.
    link_template: str | None = None

    _url = field_validator("url")(_check_url)

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


class Discovery(_Strict):
    feeds: list[str] = []
    sitemaps: list[str] = []
    listings: list[ListingSource] = []
    json_apis: list[JsonApiSource] = []

    @field_validator("feeds", "sitemaps")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        return [_check_url(url) for url in urls]

    @model_validator(mode="after")
    def _not_empty(self) -> Discovery:
        if not (self.feeds or self.sitemaps or self.listings or self.json_apis):
            raise ValueError("no discovery source: give at least one feed, sitemap, listing or json_api")
        return self


class ArticleRule(_Strict):
    """Which URLs are the outlet's articles, and how one article's many URLs become one.

    `keep_query` lists the query parameters that identify the article: every other one is
    tracking or navigation (?from=, utm_*, ?re=nextnews) and is dropped. `mobile_hosts` maps a
    mobile site's host to the desktop host serving the same article. `canonical_path` writes the
    article's path from `url_pattern`'s named groups: whatever it leaves out (a `-1` suffix, a
    `/m` prefix) does not belong to the article's address.
    """

    url_pattern: str
    keep_query: list[str] = []
    mobile_hosts: dict[str, str] = {}
    canonical_path: str | None = None

    @field_validator("url_pattern")
    @classmethod
    def _compile(cls, pattern: str) -> str:
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            raise ValueError(f"invalid regular expression {pattern!r}: {error}") from None
        if "id" not in compiled.groupindex:
            raise ValueError(f"regular expression {pattern!r} has no named group (?P<id>...)")
        if nested_quantifier(pattern):
            raise ValueError(
                f"regular expression {pattern!r} nests quantifiers, as (a+)+ does: matching a long URL"
                " could take forever; end each round at a character the inner one cannot match,"
                " as in (?:[a-z0-9]+/)*"
            )
        return pattern

    @field_validator("mobile_hosts")
    @classmethod
    def _hosts(cls, hosts: dict[str, str]) -> dict[str, str]:
        for host in [*hosts, *hosts.values()]:
            _check_host(host)
        return hosts

    @model_validator(mode="after")
    def _path_from_groups(self) -> ArticleRule:
        if self.canonical_path is None:
            return self
        if not self.canonical_path.startswith("/"):
            raise ValueError(f"canonical_path {self.canonical_path!r} must start with '/'")
        try:
            names = {name for _, name, _, _ in Formatter().parse(self.canonical_path) if name is not None}
        except ValueError as error:
            raise ValueError(f"canonical_path {self.canonical_path!r}: {error}") from None
        unknown = sorted(names - set(re.compile(self.url_pattern).groupindex))
        if unknown or "" in names:
            raise ValueError(
                f"canonical_path {self.canonical_path!r} names {{{unknown[0] if unknown else ''}}},"
                " which is not a named group of url_pattern"
            )
        return self


class Selectors(_Strict):
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
        return [_check_css(selector) for selector in selectors]


class Layout(_Strict):
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


class PageRules(_Strict):
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
        return [_check_css(selector) for selector in selectors]


class Politeness(_Strict):
    """How gently to crawl an outlet; unset values take the crawl's defaults (crawler/settings.py).

    Every request of an outlet, whatever its host, goes through one Scrapy download slot named
    after the outlet, configured from these values (crawler/extensions/throttle.py, outlet_download_slots).
    """

    # Seconds between two requests (DOWNLOAD_DELAY when unset); AutoThrottle may only lengthen it.
    delay: float | None = Field(default=None, ge=0)
    # Requests at once (CONCURRENT_REQUESTS_PER_DOMAIN when unset).
    concurrency: int | None = Field(default=None, ge=1)


def _check_host(host: str) -> str:
    # An IP address or localhost is a host too: the offline tests serve outlets on 127.0.0.1.
    if host == "localhost":
        return host
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not BARE_HOST.fullmatch(host):
            raise ValueError(f"not a bare domain name or IP address: {host!r}") from None
    return host


class Outlet(_Strict):
    slug: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1)
    native_name: str = ""
    # Other names the outlet signs its own pages with (never an author, never a source).
    aliases: list[str] = []
    # Keywords stamped on every page of the site, which say nothing about an article.
    site_keywords: list[str] = []
    home: str
    domains: list[str] = Field(min_length=1)
    language: str = Field(pattern=r"^[a-z]{2,3}$")
    script: Script
    timezone: str
    # Some outlets stamp local wall-clock times with "Z"; such an offset is then not trusted.
    utc_designator_is_local: bool = False
    editions: list[Edition] = []
    discovery: Discovery
    article: ArticleRule
    selectors: Selectors = Selectors()
    layouts: list[Layout] = []
    page_rules: PageRules = PageRules()
    crawl: Politeness = Politeness()

    _home = field_validator("home")(_check_url)

    @model_validator(mode="after")
    def _layouts_in_order(self) -> Outlet:
        for position in range(1, len(self.layouts)):
            since, before = self.layouts[position].since, self.layouts[position - 1].since
            if since <= before:
                raise FieldError(
                    f"layouts.{position}.since", f"{since} is not after {before}: list layouts oldest first"
                )
        return self

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {name!r}") from None
        return name

    @field_validator("domains")
    @classmethod
    def _domains(cls, domains: list[str]) -> list[str]:
        return [_check_host(domain) for domain in domains]

    @model_validator(mode="after")
    def _editions_in_pattern(self) -> Outlet:
        if self.editions and "edition" not in re.compile(self.article.url_pattern).groupindex:
            raise ValueError("editions are listed but article.url_pattern has no (?P<edition>...) group")
        return self

    @model_validator(mode="after")
    def _mobile_hosts_owned(self) -> Outlet:
        for host in [*self.article.mobile_hosts, *self.article.mobile_hosts.values()]:
            if not self.owns_host(host):
                raise ValueError(f"article.mobile_hosts: {host!r} is not in the outlet's domains")
        return self

    @cached_property
    def url_regex(self) -> re.Pattern[str]:
        return re.compile(self.article.url_pattern)

    def url_match(self, text: str) -> re.Match[str] | None:
        """`article.url_pattern` matched at the start of `text`; None for text too long to be a URL."""
        return None if len(text) > PATTERN_INPUT_MAX_CHARS else self.url_regex.match(text)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def owns_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == domain or host.endswith("." + domain) for domain in self.domains)

    def is_home_page(self, url: str) -> bool:
        """Whether `url` is the outlet's home page (where some outlets redirect a removed article)."""
        parts, home = urlsplit(url), urlsplit(self.home)
        if not self.owns_host(parts.hostname or "") or parts.query:
            return False
        return parts.path in ("", "/") or (parts.hostname, parts.path.rstrip("/")) == (
            home.hostname,
            home.path.rstrip("/"),
        )

    def edition(self, edition_id: str) -> Edition | None:
        return next((edition for edition in self.editions if edition.id == edition_id), None)

    def layout_at(self, moment: datetime) -> Layout | None:
        """The layout in force when a page was fetched; None for the outlet's first layout."""
        day = moment.astimezone(self.zone).date() if moment.tzinfo else moment.date()
        return next((layout for layout in reversed(self.layouts) if layout.since <= day), None)

    def selectors_of(self, layout: Layout | None) -> Selectors:
        """The outlet's selectors with those of `layout` in place of the fields it gives."""
        if layout is None:
            return self.selectors
        replaced = {name: getattr(layout.selectors, name) for name in layout.selectors.model_fields_set}
        return self.selectors.model_copy(update=replaced)


@dataclass(frozen=True)
class ArticleUrl:
    """What an article URL says about itself, per the outlet's `article.url_pattern`."""

    url: str
    article_id: str
    edition: str
    # The URL as a page listed it, before it was made canonical (kept as an alias of the article).
    listed_url: str | None = None


def match_article_url(outlet: Outlet, url: str) -> ArticleUrl | None:
    """Return the article id and edition if `url` is one of `outlet`'s article pages."""
    parts = urlsplit(url)
    bare = f"{parts.scheme}://{parts.netloc}{parts.path}"
    match = outlet.url_match(bare) or outlet.url_match(url.split("#", 1)[0])
    if match is None or not outlet.owns_host(parts.hostname or ""):
        return None
    groups = match.groupdict()
    return ArticleUrl(url=url, article_id=groups["id"], edition=groups.get("edition") or "")


class Registry:
    """The validated outlets of one registry file, looked up by slug or by URL."""

    def __init__(self, outlets: list[Outlet], path: Path):
        self.path = path
        self._by_slug = {outlet.slug: outlet for outlet in outlets}

    def __iter__(self) -> Iterator[Outlet]:
        return iter(self._by_slug.values())

    def __len__(self) -> int:
        return len(self._by_slug)

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    @property
    def slugs(self) -> list[str]:
        return list(self._by_slug)

    def get(self, slug: str) -> Outlet:
        try:
            return self._by_slug[slug]
        except KeyError:
            raise no_such_outlet(self.path, slug, self.slugs) from None

    def for_url(self, url: str) -> Outlet | None:
        host = urlsplit(url).hostname or ""
        return next((outlet for outlet in self if outlet.owns_host(host)), None)

    def select(self, slugs: list[str] | tuple[str, ...]) -> list[Outlet]:
        return [self.get(slug) for slug in slugs] if slugs else list(self)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "(entry)"
    message = first["msg"].removeprefix("Value error, ")
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, FieldError):
        field, message = cause.field, str(cause)
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    elif first["type"] == "missing":
        message = "required field is missing"
    return f"field '{field}': {message}"


def load_registry(path: Path | str | None = None) -> Registry:
    """Load and validate a registry file; raise RegistryError with a one-line reason."""
    path = registry_path(path)
    entries = read_entries(path)
    outlets: list[Outlet] = []
    for position, entry in enumerate(entries, start=1):
        label = f"outlet {entry.get('slug')!r}" if entry.get("slug") else f"outlet #{position}"
        try:
            outlet = Outlet.model_validate(entry)
        except ValidationError as error:
            raise RegistryError(f"{path}: {label}: {_describe(error)}") from None
        if any(existing.slug == outlet.slug for existing in outlets):
            raise RegistryError(f"{path}: {label}: field 'slug': duplicate slug")
        outlets.append(outlet)
    return Registry(outlets, path)
