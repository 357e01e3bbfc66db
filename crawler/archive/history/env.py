"""Alembic's environment for the archive, SQLite or PostgreSQL: run on the connection the caller opened
(crawler/archive/schema.py), never from an alembic.ini or a URL of its own."""

from alembic import context

from crawler.archive import schema
from crawler.archive.model import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    include_object=schema.compared(connection.dialect.name),
    # SQLite alters a table by copying it: autogenerate writes its changes as batch operations.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
