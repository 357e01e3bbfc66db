"""Shared fixtures; helper functions live in tests/helpers.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result

from crawler.registry import Registry, load_registry
from tests.helpers import invoke


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run a `sourcevault` command in-process through click's CliRunner."""
    return invoke
