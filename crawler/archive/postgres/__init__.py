"""An archive on a PostgreSQL server: the connection that builds and migrates it (`connection`, from
the model and history both backends share: crawler/archive/model/, crawler/archive/history/), its
write locks (`lock`), the crawl workers' leases (`leases`) and the retry of a lost race (`races`).

psycopg, the driver, is the `postgresql` extra; it, SQLAlchemy and Alembic are imported only when
an archive is built or migrated, or is a `postgresql://` URL: the quick commands start as fast as before.
"""

from __future__ import annotations

from pathlib import Path

from crawler.exit_status import BadInput

URL_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
EXTRA = "postgresql"


class MissingExtra(BadInput, ImportError):
    """A PostgreSQL archive was asked for, but the `postgresql` extra is not installed."""


def is_postgres_url(location: str | Path) -> bool:
    """Whether an archive location names a PostgreSQL database rather than an SQLite file."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def require_extra() -> None:
    """Refuse, in one line naming the extra, when psycopg is missing."""
    try:
        import psycopg  # noqa: F401
    except ImportError as error:
        missing = (error.name or "a package").partition(".")[0]
        raise MissingExtra(
            f"a postgresql:// archive needs the {EXTRA!r} extra ({missing} is missing):"
            f" pip install 'sourcevault[{EXTRA}]'"
        ) from None
