"""Shared fixtures; helper functions live in tests/helpers.py."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from crawler.registry import Registry, load_registry
from crawler.registry_file import REGISTRY_ENV_VAR

# The suite tests this checkout's registry, whichever one the shell that runs it names.
os.environ.pop(REGISTRY_ENV_VAR, None)
from tests.doc_commands import Clone
from tests.helpers import invoke

# postgres_url: a fresh PostgreSQL database per test.
pytest_plugins = ["tests.postgres_databases"]


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run a `sourcevault` command in-process through click's CliRunner."""
    return invoke


@pytest.fixture(scope="session")
def made_clone(tmp_path_factory: pytest.TempPathFactory) -> Clone:
    """The checkout cloned once a session (on each xdist worker); a test takes a copy, `fresh_clone`."""
    return Clone.made(tmp_path_factory.mktemp("made_clone"))


@pytest.fixture
def fresh_clone(made_clone: Clone, tmp_path: Path) -> Clone:
    """A fresh clone of the checkout of the test's own, where the commands the docs show run."""
    return made_clone.copy_to(tmp_path / "clone")


def xdist_work_unit(item: pytest.Item) -> str:
    """The unit `--dist loadscope` hands a worker whole: the test's class, or else its module."""
    return item.nodeid.rsplit("::", 1)[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The work units holding slow tests first, then the others by size (`make test` passes
    --no-loadscope-reorder, so xdist hands units out in this order): a long unit is never left to
    run alone at the end while the other workers sit idle."""
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(xdist_work_unit(item), []).append(item)

    def order(unit: list[pytest.Item]) -> tuple[bool, int]:
        return (not any(item.get_closest_marker("slow") for item in unit), -len(unit))

    items[:] = [item for unit in sorted(units.values(), key=order) for item in unit]
