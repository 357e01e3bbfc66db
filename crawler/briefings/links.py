"""What a cited link is, from its host: a short link, a social post, or a page.

The hosts are data, config/briefing_links.toml, read once per parse: an operator adds a
shortener there, not in code. A social post's platform is read here from its URL, and so is
anything else a post's URL says about it (its post id) when a command needs it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crawler.config_files import config_file
from crawler.exit_status import BadInput
from crawler.posts.urls import PostRef, read_post_url
from crawler.registry import name_key

DEFAULT_LINKS_PATH = config_file("briefing_links.toml")
LinkKindName = Literal["page", "short_link", "social_post"]


class BriefingLinksError(BadInput, ValueError):
    """config/briefing_links.toml cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlatformEntry(_Strict):
    hosts: list[str] = Field(min_length=1)
    labels: list[str] = []


class LinksFile(_Strict):
    short_link_hosts: list[str] = []
    platforms: dict[str, PlatformEntry] = {}


@dataclass(frozen=True)
class LinkKind:
    kind: LinkKindName
    platform: str | None = None
    # A social post's own id, as crawler/posts reads it from the URL (Weibo's numeric mid, X's
    # status id); None for anything else, or a post URL of a form it does not know.
    post_id: str | None = None


def _on_host(host: str, hosts: list[str]) -> bool:
    return any(host == listed or host.endswith("." + listed) for listed in hosts)


def _read(path: Path) -> LinksFile:
    try:
        return LinksFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise BriefingLinksError(f"{path}: file not found") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise BriefingLinksError(f"{path}: not valid TOML ({error})") from None
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise BriefingLinksError(f"{path}: field '{field}': {first['msg']}") from None


class LinkKinds:
    """The short-link hosts and social platforms of one links file."""

    def __init__(self, path: Path | None = None):
        self.path = path or DEFAULT_LINKS_PATH
        links = _read(self.path)
        self._short_link_hosts = [host.lower() for host in links.short_link_hosts]
        self._platform_hosts = {
            name: [host.lower() for host in entry.hosts] for name, entry in links.platforms.items()
        }
        self._platform_labels = {
            name_key(label): name for name, entry in links.platforms.items() for label in entry.labels
        }

    def of_url(self, url: str) -> LinkKind:
        try:
            host = (urlsplit(url).hostname or "").rstrip(".")
        except ValueError:
            return LinkKind("page")
        post = read_post_url(url)
        if isinstance(post, PostRef):
            return LinkKind("social_post", str(post.platform), str(post.post_id))
        if _on_host(host, self._short_link_hosts):
            return LinkKind("short_link")
        for platform, hosts in self._platform_hosts.items():
            if _on_host(host, hosts):
                return LinkKind("social_post", platform)
        return LinkKind("page")

    def platform_named(self, label: str) -> str | None:
        """The platform a label names, whole or by its first word ("Weibo post by …")."""
        key = name_key(label)
        return self._platform_labels.get(key) or self._platform_labels.get(key.split(" ", 1)[0])
