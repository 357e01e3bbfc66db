"""Shared fixtures; helper functions live in tests/helpers.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from crawler.cli import main
from crawler.registry import Registry, load_registry


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run a `sourcevault` command in-process through click's CliRunner."""

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke
