"""The outlet registry: `config/outlets.toml` loaded and validated.

Which file: `--registry`, else the file `SOURCEVAULT_REGISTRY` names, else config/outlets.toml of
the checkout sourcevault runs from, else the copy installed with it (crawler/config_files.py).

Every outlet is data: one `Outlet` entry, its sections (crawler/registry_sections.py) and its
article URL patterns (crawler/url_patterns.py). A bad entry fails the load with one line that
names the file, the outlet and the field, so an operator editing the TOML by hand sees exactly
what to fix; so do two outlets owning one host.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator

from crawler.registry_file import (
    RegistryError,
    no_such_outlet,
    read_entries,
    registry_path,
)
from crawler.registry_sections import (
    SLUG_PATTERN,
    Discovery,
    Edition,
    FieldError,
    JsonApiSource,
    Layout,
    ListingSource,
    PageRules,
    Politeness,
    Script,
    Selectors,
    Strict,
    check_host,
    check_url,
    is_address,
)
from crawler.url_patterns import ArticleRule, ArticleUrl, UrlPattern, match_article_url

__all__ = [
    "SLUG_PATTERN",
    "ArticleRule",
    "ArticleUrl",
    "Discovery",
    "Edition",
    "JsonApiSource",
    "Layout",
    "ListingSource",
    "Outlet",
    "PostPlatform",
    "Registry",
    "RegistryError",
    "Selectors",
    "UrlPattern",
    "load_registry",
    "match_article_url",
]


class Outlet(Strict):
    slug: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1)
    native_name: str = ""
    # Other names the outlet signs its own pages with (never an author, never a source).
    aliases: list[str] = []
    # The names briefings cite it by ("Global Times", "LTN"), each matched whole against a
    # citation's label (case, spacing and full-width forms aside) and owned by one outlet only.
    cited_as: list[str] = []
    # Keywords stamped on every page of the site, which say nothing about an article.
    site_keywords: list[str] = []
    home: str
    # Hosts and their subdomains the outlet owns: no two outlets own one host.
    domains: list[str] = Field(min_length=1)
    # The hosts it publishes under (sister sites, earlier sites), each under one of its domains.
    hosts: list[str] = []
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

    _home = field_validator("home")(check_url)

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

    @field_validator("domains", "hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        return [check_host(host) for host in hosts]

    @model_validator(mode="after")
    def _editions_in_patterns(self) -> Outlet:
        for pattern in self.article.patterns if self.editions else ():
            if "edition" not in pattern.compiled.groupindex:
                raise ValueError(
                    f"editions are listed but article url pattern {pattern.name!r}"
                    " has no (?P<edition>...) group"
                )
        return self

    @model_validator(mode="after")
    def _hosts_owned(self) -> Outlet:
        for field, hosts in (
            ("hosts", self.hosts),
            ("article.mobile_hosts", [*self.article.mobile_hosts, *self.article.mobile_hosts.values()]),
        ):
            for host in hosts:
                if not self.owns_host(host):
                    raise FieldError(field, f"{host!r} is not in the outlet's domains")
        return self

    @model_validator(mode="after")
    def _examples_read_by_their_pattern(self) -> Outlet:
        for position, pattern in enumerate(self.article.patterns):
            for example in pattern.examples:
                found = match_article_url(self, example)
                if found is None:
                    raise FieldError(
                        f"article.url_patterns.{position}.examples",
                        f"{example!r} is not in the outlet's domains",
                    )
                if found.pattern != pattern.name:
                    raise FieldError(
                        f"article.url_patterns.{position}.examples",
                        f"{example!r} is read by the earlier pattern {found.pattern!r}",
                    )
        return self

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


class PostPlatform(Strict):
    """A platform whose posts briefings cite (Weibo, X): never crawled, its posts read one at a time
    through its public endpoints (crawler/posts/). `domains` are the hosts those requests and its
    short links reach, the hosts the network policy allows for them; `crawl` the pace kept."""

    slug: Literal["weibo", "x"]
    name: str = Field(min_length=1)
    native_name: str = ""
    home: str
    domains: list[str] = Field(min_length=1)
    timezone: str
    crawl: Politeness = Politeness()

    _home = field_validator("home")(check_url)
    _zone = field_validator("timezone")(Outlet._zone.__func__)  # type: ignore[attr-defined]
    _hosts = field_validator("domains")(Outlet._hosts.__func__)  # type: ignore[attr-defined]

    def owns_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == domain or host.endswith("." + domain) for domain in self.domains)


EntryModel = TypeVar("EntryModel", "Outlet", "PostPlatform")


def name_key(name: str) -> str:
    """A name as briefings vary it, with case, spacing and full-width forms set aside."""
    return unicodedata.normalize("NFKC", " ".join(name.split())).casefold()


class Registry:
    """The validated outlets of one registry file, looked up by slug or by URL."""

    def __init__(self, outlets: list[Outlet], path: Path, platforms: list[PostPlatform] = ()):
        self.path = path
        self.platforms = {platform.slug: platform for platform in platforms}
        self._by_slug = {outlet.slug: outlet for outlet in outlets}
        self._by_cited_name = {name_key(name): outlet for outlet in outlets for name in outlet.cited_as}

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
        """The outlet owning the URL's host; on a host several share (an address of the offline
        tests), the first whose URL patterns match it, else the first."""
        host = urlsplit(url).hostname or ""
        owners = [outlet for outlet in self if outlet.owns_host(host)]
        if len(owners) > 1:
            return next((outlet for outlet in owners if match_article_url(outlet, url)), owners[0])
        return owners[0] if owners else None

    def platform(self, slug: str) -> PostPlatform:
        try:
            return self.platforms[slug]
        except KeyError:
            raise RegistryError(
                f"{self.path}: no [[platform]] {slug!r}: posts of it cannot be fetched"
                f" (known: {', '.join(self.platforms) or 'none'})"
            ) from None

    def cited_as(self, label: str) -> Outlet | None:
        """The outlet a briefing means by `label` (one of its `cited_as` names), if any."""
        return self._by_cited_name.get(name_key(label))

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
    entries, platform_entries = read_entries(path)
    outlets: list[Outlet] = []
    for position, entry in enumerate(entries, start=1):
        outlet, label = _validated(Outlet, entry, position=position, path=path, earlier=outlets)
        for name in outlet.cited_as:
            owner = next(
                (other for other in outlets if name_key(name) in map(name_key, other.cited_as)), None
            )
            if owner is not None:
                raise RegistryError(
                    f"{path}: {label}: field 'cited_as': {name!r} already names outlet {owner.slug!r}"
                )
        if clash := _shared_host(outlet, outlets):
            raise RegistryError(f"{path}: {label}: field 'domains': {clash}")
        outlets.append(outlet)
    return Registry(outlets, path, _platforms(path, platform_entries, outlets))


def _validated(
    model: type[EntryModel], entry: Any, *, position: int, path: Path, earlier: list[EntryModel]
) -> tuple[EntryModel, str]:
    """One [[outlet]] or [[platform]] entry validated, and how errors name it; RegistryError naming
    file, entry and field when it is not valid or repeats an earlier slug."""
    kind = "outlet" if model is Outlet else "platform"
    slug = entry.get("slug") if isinstance(entry, dict) else None
    label = f"{kind} {slug!r}" if slug else f"{kind} #{position}"
    try:
        validated = model.model_validate(entry)
    except ValidationError as error:
        raise RegistryError(f"{path}: {label}: {_describe(error)}") from None
    if any(existing.slug == validated.slug for existing in earlier):  # type: ignore[attr-defined]
        raise RegistryError(f"{path}: {label}: field 'slug': duplicate slug")
    return validated, label


def _platforms(path: Path, entries: list[dict[str, Any]], outlets: list[Outlet]) -> list[PostPlatform]:
    platforms: list[PostPlatform] = []
    for position, entry in enumerate(entries, start=1):
        platform, label = _validated(PostPlatform, entry, position=position, path=path, earlier=platforms)
        for domain in platform.domains:
            owner = next((outlet for outlet in outlets if outlet.owns_host(domain)), None)
            if owner is not None:
                raise RegistryError(
                    f"{path}: {label}: field 'domains': {domain!r} belongs to outlet {owner.slug!r}"
                )
        platforms.append(platform)
    return platforms


def _shared_host(outlet: Outlet, earlier: list[Outlet]) -> str | None:
    """Why `outlet` cannot own its domains: one of them is, or is under, another outlet's.

    An IP address or localhost may be shared: the offline tests serve several outlets on
    127.0.0.1, told apart by their URL patterns (`Registry.for_url`).
    """
    for other in earlier:
        for domain in outlet.domains:
            for theirs in other.domains if not is_address(domain) else ():
                if domain == theirs or domain.endswith("." + theirs) or theirs.endswith("." + domain):
                    return (
                        f"{domain!r} overlaps {theirs!r} of outlet {other.slug!r}:"
                        " a host belongs to one outlet (list a sister site under its owner's hosts)"
                    )
    return None
