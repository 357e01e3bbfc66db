"""The registry file as TOML, before validation: where it is, its [[outlet]] and [[platform]] tables,
the outlets' slugs.

crawler/registry.py validates every entry (pydantic models, selectors, URL patterns), which
costs a fifth of a second of CPU before anything else; `search` and `stats` only need the
outlets' slugs, and read them here.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from crawler.config_files import config_file
from crawler.exit_status import BadInput
from crawler.sites import is_site_outlet

DEFAULT_REGISTRY_PATH = config_file("outlets.toml")
REGISTRY_ENV_VAR = "SOURCEVAULT_REGISTRY"


class RegistryError(BadInput, ValueError):
    """A registry file that cannot be used; the message is one line naming file, outlet and field."""


def registry_path(path: Path | str | None) -> Path:
    """The registry file to read: `path` if given, else $SOURCEVAULT_REGISTRY, else the checkout's or
    the installed copy (crawler/config_files.py)."""
    return Path(path or os.environ.get(REGISTRY_ENV_VAR) or DEFAULT_REGISTRY_PATH)


def read_entries(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The [[outlet]] and [[platform]] tables of a registry file, as TOML gives them; RegistryError
    if there are no outlets."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"{path}: registry file not found") from None
    except OSError as error:
        raise RegistryError(f"{path}: cannot read the registry ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise RegistryError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise RegistryError(f"{path}: invalid TOML: {error}") from None

    entries = document.get("outlet")
    if not isinstance(entries, list) or not entries:
        raise RegistryError(f"{path}: no [[outlet]] entries")
    unknown = sorted(set(document) - {"outlet", "platform"})
    if unknown:
        raise RegistryError(
            f"{path}: unknown top-level key {unknown[0]!r} (expected [[outlet]] and [[platform]] tables)"
        )
    platforms = document.get("platform", [])
    if not isinstance(platforms, list):
        raise RegistryError(f"{path}: 'platform' must be [[platform]] tables")
    return entries, platforms


def no_such_outlet(path: Path, slug: str, known: list[str]) -> RegistryError:
    return RegistryError(
        f"{path}: no outlet {slug!r} (known: {', '.join(known)}; or a site outlet, site:<domain>)"
    )


class OutletSlugs:
    """The slugs a registry file names, unvalidated: enough to list outlets or check a name."""

    def __init__(self, path: Path | str | None = None):
        self.path = registry_path(path)
        self.slugs = [
            entry["slug"]
            for entry in read_entries(self.path)[0]
            if isinstance(entry, dict) and isinstance(entry.get("slug"), str)
        ]

    def check(self, slugs: tuple[str, ...] | list[str]) -> None:
        """RegistryError naming the first of `slugs` the registry does not name (a site outlet,
        `site:<domain>`, is named by no registry and always stands)."""
        for slug in slugs:
            if slug not in self.slugs and not is_site_outlet(slug):
                raise no_such_outlet(self.path, slug, self.slugs)
