"""Which URLs are an outlet's articles, and how each one's id is read: [outlet.article].

An outlet names its article URLs with one `url_pattern`, or with several
[[outlet.article.url_patterns]] when it publishes under sister sites or earlier URL schemes.
Each pattern is a regular expression matched against scheme://host/path (else against the whole
URL, for a scheme whose id sits in the query), with the article's id as (?P<id>...) and, for an
outlet publishing both scripts, its edition as (?P<edition>...). Patterns are tried in order and
the first that matches reads the id.

Patterns of one `id_namespace` read ids of one numbering: UDN's sister sites share its story
numbers, so money.udn.com/money/story/5603/4909425 and udn.com/news/story/7331/4909425 are one
article. A scheme that numbers its articles on its own takes a namespace of its own, written
before the id ("shtml:7996060"), so that its ids never name another scheme's articles.

URL patterns are the crawler's filter for discovery. Pages given by URL (`extract`, `import`,
`reextract`) are judged by the page itself; one at a URL no pattern matches is keyed by its
canonical URL instead (crawler/identity.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from string import Formatter
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from crawler.regex_safety import nested_quantifier
from crawler.registry_sections import Strict, check_host, check_url

if TYPE_CHECKING:
    from crawler.registry import Outlet

# The one pattern of an outlet that gives a single `url_pattern`.
MAIN_PATTERN = "main"
PATTERN_NAME = r"^[a-z0-9][a-z0-9_-]*$"
# Patterns are matched against at most this many characters: no longer URL is fetched
# (URLLENGTH_LIMIT's default), and a bounded input bounds what a pattern's backtracking can cost.
PATTERN_INPUT_MAX_CHARS = 4096


def check_url_regex(pattern: str) -> str:
    """A URL pattern that compiles, names the article's id and cannot hang a crawl (no nested
    quantifiers, crawler/regex_safety.py); ValueError saying why not."""
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


def check_canonical_path(template: str | None, pattern: str) -> None:
    """A canonical_path names only groups of its pattern and starts with '/'."""
    if template is None:
        return
    if not template.startswith("/"):
        raise ValueError(f"canonical_path {template!r} must start with '/'")
    try:
        names = {name for _, name, _, _ in Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise ValueError(f"canonical_path {template!r}: {error}") from None
    unknown = sorted(names - set(re.compile(pattern).groupindex))
    if unknown or "" in names:
        raise ValueError(
            f"canonical_path {template!r} names {{{unknown[0] if unknown else ''}}},"
            " which is not a named group of its url pattern"
        )


def bare_url(url: str) -> str:
    """scheme://host/path: what a URL pattern is matched against first."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class UrlPattern(Strict):
    """One URL scheme of an outlet's articles and how an article's id is read from it."""

    # Names the scheme in `outlets explain` and in errors: story, money, shtml, …
    name: str = Field(pattern=PATTERN_NAME)
    regex: str
    # Empty: ids of the outlet's shared numbering. Else the scheme's own numbering, written
    # before the id ("shtml:7996060").
    id_namespace: str = Field(default="", pattern=r"^(?:[a-z0-9][a-z0-9_-]*)?$")
    # The article's path written from the pattern's named groups ("/news/{category}/{id}.aspx"):
    # whatever it leaves out (a -1 suffix, a /m prefix) is not part of the article's address.
    canonical_path: str | None = None
    # URLs this pattern must match, checked on load (and tried by `outlets explain`).
    examples: list[str] = []

    _regex = field_validator("regex")(check_url_regex)

    @field_validator("examples")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        return [check_url(url) for url in urls]

    @model_validator(mode="after")
    def _path_and_examples(self) -> UrlPattern:
        check_canonical_path(self.canonical_path, self.regex)
        for example in self.examples:
            if self.match(example) is None:
                raise ValueError(f"example {example!r} does not match regex {self.regex!r}")
        return self

    @cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.regex)

    def match(self, url: str) -> re.Match[str] | None:
        return self.match_start(bare_url(url)) or self.match_start(url.split("#", 1)[0])

    def match_start(self, text: str) -> re.Match[str] | None:
        """The pattern matched at the start of `text`; None for text too long to be a URL."""
        return None if len(text) > PATTERN_INPUT_MAX_CHARS else self.compiled.match(text)

    def article_id(self, match: re.Match[str]) -> str:
        return f"{self.id_namespace}:{match['id']}" if self.id_namespace else match["id"]


class ArticleRule(Strict):
    """Which URLs are the outlet's articles, and how one article's many URLs become one.

    Give `url_pattern` (and `canonical_path`) for one URL scheme, or [[url_patterns]] for
    several. `keep_query` lists the query parameters that identify the article: every other one
    is tracking or navigation (?from=, utm_*, ?re=nextnews) and is dropped. `mobile_hosts` maps a
    mobile site's host to the desktop host serving the same article.
    """

    url_pattern: str | None = None
    canonical_path: str | None = None
    url_patterns: list[UrlPattern] = []
    keep_query: list[str] = []
    mobile_hosts: dict[str, str] = {}

    @field_validator("url_pattern")
    @classmethod
    def _compile(cls, pattern: str | None) -> str | None:
        return None if pattern is None else check_url_regex(pattern)

    @field_validator("mobile_hosts")
    @classmethod
    def _hosts(cls, hosts: dict[str, str]) -> dict[str, str]:
        for host in [*hosts, *hosts.values()]:
            check_host(host)
        return hosts

    @model_validator(mode="after")
    def _one_form(self) -> ArticleRule:
        if self.url_pattern is None and not self.url_patterns:
            raise ValueError("no article URLs: give url_pattern, or [[outlet.article.url_patterns]]")
        if self.url_pattern is not None and self.url_patterns:
            raise ValueError("give url_pattern or [[outlet.article.url_patterns]], not both")
        if self.url_patterns and self.canonical_path is not None:
            raise ValueError("canonical_path goes into each of [[outlet.article.url_patterns]]")
        if self.url_pattern is not None:
            check_canonical_path(self.canonical_path, self.url_pattern)
        names = [pattern.name for pattern in self.url_patterns]
        if duplicated := next((name for name in names if names.count(name) > 1), None):
            raise ValueError(f"two url_patterns are named {duplicated!r}")
        return self

    @cached_property
    def patterns(self) -> tuple[UrlPattern, ...]:
        """The outlet's URL schemes, in the order they are tried."""
        if self.url_pattern is not None:
            return (
                UrlPattern(name=MAIN_PATTERN, regex=self.url_pattern, canonical_path=self.canonical_path),
            )
        return tuple(self.url_patterns)


@dataclass(frozen=True)
class ArticleUrl:
    """What an article URL says about itself, per the outlet's URL patterns."""

    url: str
    # The outlet's own id, with its pattern's namespace ("shtml:7996060"), if any.
    article_id: str
    edition: str
    # The URL as a page listed it, before it was made canonical (kept as an alias of the article).
    listed_url: str | None = None
    # The name of the pattern that read the id.
    pattern: str = MAIN_PATTERN


def match_article_url(outlet: Outlet, url: str) -> ArticleUrl | None:
    """The article id and edition if `url` is one of `outlet`'s article pages (its first pattern)."""
    if not outlet.owns_host(urlsplit(url).hostname or ""):
        return None
    for pattern in outlet.article.patterns:
        match = pattern.match(url)
        if match is not None:
            return ArticleUrl(
                url=url,
                article_id=pattern.article_id(match),
                edition=match.groupdict().get("edition") or "",
                pattern=pattern.name,
            )
    return None
