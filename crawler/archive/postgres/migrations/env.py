"""Alembic's environment for the PostgreSQL archive: run on the connection the caller opened
(crawler/archive/postgres/schema.py), never from an alembic.ini or a URL of its own."""

from alembic import context

from crawler.archive.postgres.tables import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
