"""`sourcevault outlets new`: a commented registry entry, a fixture folder, and an outlet module if asked.

The registry is edited as text, appended to, so its existing formatting and comments stay
as they are; the file must still validate afterwards, or it is put back as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from crawler.config_files import BUNDLED_CONFIG_DIR, in_checkout
from crawler.exit_status import BadInput
from crawler.registry import SLUG_PATTERN, Registry, RegistryError, load_registry
from crawler.registry_file import REGISTRY_ENV_VAR

# What a site's country domain says about the language it writes and the clock it keeps.
DEFAULTS_BY_TOP_LEVEL_DOMAIN = {
    "tw": ("zh", "Hant", "Asia/Taipei"),
    "hk": ("zh", "Hant", "Asia/Hong_Kong"),
    "mo": ("zh", "Hant", "Asia/Macau"),
    "cn": ("zh", "Hans", "Asia/Shanghai"),
    "sg": ("zh", "Hans", "Asia/Singapore"),
}
HOST_PREFIXES = ("www.", "m.", "news.")
BARE_DOMAIN = re.compile(r"[a-z0-9.-]+\.[a-z]{2,}")


class ScaffoldError(BadInput, ValueError):
    """The new outlet cannot be added; the message is one line saying why."""


@dataclass(frozen=True)
class NewOutlet:
    slug: str
    home: str
    name: str
    native_name: str
    language: str
    script: str
    timezone: str

    @property
    def domain(self) -> str:
        host = (urlsplit(self.home).hostname or "").lower()
        for prefix in HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") >= 2:
                return host[len(prefix) :]
        return host


def describe_new_outlet(
    registry: Registry,
    slug: str,
    home: str,
    *,
    name: str | None,
    native_name: str | None,
    language: str | None,
    script: str | None,
    timezone: str | None,
) -> NewOutlet:
    """Check the slug and home page and fill in what the home page's domain tells."""
    if not re.match(SLUG_PATTERN, slug):
        raise ScaffoldError(f"slug {slug!r}: use lowercase letters, digits and _ (starting with a letter)")
    if slug in registry:
        raise ScaffoldError(f"{registry.path}: outlet {slug!r} exists already")
    parts = urlsplit(home)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not BARE_DOMAIN.fullmatch(host):
        raise ScaffoldError(
            f"--home {home!r}: not the absolute http(s) URL of a site (e.g. https://www.example.com/)"
        )
    clash = registry.for_url(home)
    if clash is not None:
        raise ScaffoldError(f"{home} belongs to outlet {clash.slug!r} already (field 'domains')")
    guessed = DEFAULTS_BY_TOP_LEVEL_DOMAIN.get(host.rsplit(".", 1)[-1])
    language = language or (guessed[0] if guessed else None)
    script = script or (guessed[1] if guessed else None)
    timezone = timezone or (guessed[2] if guessed else None)
    if not (language and script and timezone):
        raise ScaffoldError(
            f"cannot tell the language, script and time zone of {host}: "
            "give --language, --script and --timezone"
        )
    return NewOutlet(slug, home, name or slug, native_name or "", language, script, timezone)


def registry_entry(outlet: NewOutlet, today: date) -> str:
    """The TOML text of a new [[outlet]] table, with what to fill in written beside it."""
    domain_pattern = re.escape(outlet.domain)
    return f"""
# ---------------------------------------------------------------------------------------------
# {outlet.name}: added by `sourcevault outlets new` on {today}. Fill in every TODO, then run
# `sourcevault outlets` (validates this file) and `sourcevault outlets check {outlet.slug}`.
[[outlet]]
slug = "{outlet.slug}"
name = "{outlet.name}"  # TODO: the outlet's English name
native_name = "{outlet.native_name}"  # TODO: its name in its own language
# aliases = []  # other names it signs its pages with (never an author, never a source)
# cited_as = []  # names briefings cite it by ("China Times"), each owned by one outlet
home = "{outlet.home}"
domains = ["{outlet.domain}"]
# hosts = []  # the hosts it publishes under (sister sites, earlier sites), each under domains
language = "{outlet.language}"
script = "{outlet.script}"
timezone = "{outlet.timezone}"

[outlet.discovery]
# TODO: its RSS/Atom feeds, sitemaps or JSON list APIs. Until then its home page is read as a
# listing: every link on it that matches article.url_pattern is fetched.
listings = [{{ url = "{outlet.home}" }}]
# feeds = ["https://{outlet.domain}/rss.xml"]
# sitemaps = ["https://{outlet.domain}/sitemap.xml"]

[outlet.article]
# TODO: a regular expression matching its article URLs and nothing else, with the article's
# own id as (?P<id>...). This guess takes any address of the site whose last part holds a
# number of 5 digits or more, and that number as the id.
url_pattern = '^https?://(?:[a-z0-9-]+\\.)*{domain_pattern}/(?:[^?#]*/)?[^/?#]*?(?P<id>\\d{{5,}})[^/?#]*$'
# Several URL schemes (sister sites, earlier forms): [[outlet.article.url_patterns]] tables in
# place of url_pattern, each a name, a regex and its id_namespace (docs/outlets-and-urls.md).

[outlet.selectors]
# TODO: CSS selectors per field, tried in order (parsel syntax: ::text and ::attr(name) allowed).
# An empty list leaves the field to the generic cascade: JSON-LD, meta tags, the densest text
# block, trafilatura. `sourcevault outlets check {outlet.slug}` names selectors that match nothing.
title = []
body = []  # the paragraphs, e.g. "div.article-body > p"
published_at = []
authors = []
remove = []  # elements whose text never counts: captions, ads, share bars

[outlet.page_rules]
# TODO: text on its soft-404 pages (served with status 200) and on cut-short (paywalled) ones.
not_found_text = []
partial_text = []
"""


def fixture_folder_readme(outlet: NewOutlet) -> str:
    return f"""# {outlet.name}: fixture pages

Every page here is extracted by the tests and by `sourcevault outlets check {outlet.slug}`, and must
give the reviewed output in its JSON file: `<name>.html.gz` (the page as fetched, gzipped) beside
`<name>.json` (`page`: where and when it was fetched; `expected`: the reviewed extraction).

Add a page (a file saved from the browser or by wget, or a URL to fetch):

    sourcevault outlets fixture {outlet.slug} saved-page.html --url https://{outlet.domain}/...
    sourcevault outlets fixture {outlet.slug} https://{outlet.domain}/...

then read the `expected` it wrote, fix selectors in config/outlets.toml until it is right,
`sourcevault outlets check {outlet.slug} --update`, and review the diff. Label pages you wrote
yourself `--kind synthetic`.
"""


def outlet_module_text(outlet: NewOutlet) -> str:
    return f'''"""{outlet.name}: what its registry entry cannot say, in Python.

Define only what the outlet needs, and delete this module if config/outlets.toml turns out to be
enough (crawler/outlets/__init__.py says what each name is for):
- `Page`: a field method returns Extracted(value, method) (crawler/pages/reader.py); override only
  the fields that need Python and let the rest go through ArticlePage's cascade (selectors,
  JSON-LD, meta, text density);
- `Page<yyyymmdd>(Page)`: what the [[outlet.layouts]] entry since that date changed;
- `discovery_requests(spider, outlet)`: discovery that feeds, sitemaps, listings and JSON APIs
  cannot express.
"""

from __future__ import annotations

from crawler.pages.article import ArticlePage


class Page(ArticlePage):
    name = "{outlet.slug}"
'''


def add_outlet(
    outlet: NewOutlet,
    *,
    registry_path: Path,
    fixtures_root: Path,
    outlets_dir: Path | None,
    today: date,
) -> list[Path]:
    """Append the entry to the registry, make the fixture folder (and the outlet module); return the files."""
    # What an install of sourcevault carries is replaced, edits and all, by the next install.
    if registry_path.resolve().parent == BUNDLED_CONFIG_DIR:
        raise ScaffoldError(
            f"{registry_path} is the registry installed with sourcevault: add outlets to a copy "
            f"named by --registry or {REGISTRY_ENV_VAR}, or in a checkout"
        )
    if outlets_dir is not None and not in_checkout():
        raise ScaffoldError(
            "an outlet module (--parser) goes into crawler/outlets/ of a checkout of sourcevault"
        )
    if outlet.slug in load_registry(registry_path):
        raise ScaffoldError(f"{registry_path}: outlet {outlet.slug!r} exists already")
    module = outlets_dir / f"{outlet.slug}.py" if outlets_dir else None
    if module is not None and module.exists():
        raise ScaffoldError(f"{module} exists already")

    original = registry_path.read_text(encoding="utf-8")
    registry_path.write_text(original.rstrip("\n") + "\n" + registry_entry(outlet, today), encoding="utf-8")
    try:
        load_registry(registry_path)
    except RegistryError as error:
        registry_path.write_text(original, encoding="utf-8")
        raise ScaffoldError(f"the new entry does not validate, registry left as it was: {error}") from None

    written = [registry_path]
    folder = fixtures_root / outlet.slug
    folder.mkdir(parents=True, exist_ok=True)
    readme = folder / "README.md"
    if not readme.exists():
        readme.write_text(fixture_folder_readme(outlet), encoding="utf-8")
        written.append(readme)
    if module is not None:
        module.write_text(outlet_module_text(outlet), encoding="utf-8")
        written.append(module)
    return written
