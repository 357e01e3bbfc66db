"""Shared fixtures; helper functions live in tests/helpers.py."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from click.testing import Result

from crawler.registry import Registry, load_registry
from crawler.registry_file import REGISTRY_ENV_VAR

# The suite tests this checkout's registry, whichever one the shell that runs it names.
os.environ.pop(REGISTRY_ENV_VAR, None)
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
