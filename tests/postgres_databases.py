"""A fresh PostgreSQL database per test, on the server $SOURCEVAULT_TEST_POSTGRES names.

.ci/run starts a server of its own (.ci/postgres) and sets SOURCEVAULT_POSTGRES_TESTS=required: there
a missing server fails the PostgreSQL tests. Elsewhere they are skipped with the reason, which
`make test` prints. Each test's database has a name of its own (uuid), so tests on several xdist
workers never share one; it is dropped when the test ends.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import make_url

SERVER_ENV = "SOURCEVAULT_TEST_POSTGRES"
REQUIRED_ENV = "SOURCEVAULT_POSTGRES_TESTS"
DATABASE_PREFIX = "sourcevault_test_"


def server_url() -> str:
    """The test server's URL, or the test skipped (failed, where a server is required)."""
    url = os.environ.get(SERVER_ENV)
    if url:
        return url
    reason = f"no PostgreSQL server: {SERVER_ENV} is not set (.ci/run starts one with .ci/postgres)"
    if os.environ.get(REQUIRED_ENV) == "required":
        pytest.fail(reason)
    pytest.skip(reason)


def database_url(server: str, name: str) -> str:
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _administer(server: str, statement: str) -> None:
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(statement)


def new_database(server: str) -> str:
    """A new, empty database on the server: its URL."""
    name = f"{DATABASE_PREFIX}{uuid.uuid4().hex}"
    _administer(server, f'CREATE DATABASE "{name}"')
    return database_url(server, name)


def copied_database(server: str, template: str) -> str:
    """A new database holding what the database `template` holds, copied by the server (no session
    may be connected to `template`): its URL."""
    name = f"{DATABASE_PREFIX}{uuid.uuid4().hex}"
    _administer(server, f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}"')
    return database_url(server, name)


def drop_database(server: str, url: str) -> None:
    _administer(server, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The `postgresql://` URL of an empty database of this test's own."""
    server = server_url()
    url = new_database(server)
    yield url
    drop_database(server, url)
