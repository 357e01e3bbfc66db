"""The PostgreSQL server of bench/workers.py's cases, and the CPU it spends on a case.

- The run's own server (.ci/postgres, no fsync): each case in a new, empty database; its CPU is the
  whole server's (postmaster, backends that ended, those alive).
- `--archive-from URL`: the server holding that database (on this machine: its CPU is read from
  /proc), each case in a copy of it (CREATE DATABASE … TEMPLATE, the original never written), dropped
  after the case. That server may serve others too, so its CPU for a case is that of the backends
  connected to the case's database (sampled while the case runs; the server's shared processes,
  WAL writer and checkpointer, not counted).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.crawl import ROOT

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# How often (seconds) the backends of a case's database are looked at; one that ends loses at most this.
SAMPLE_SECONDS = 0.2
# How long to retry a copy whose template another session is connected to (seconds).
TEMPLATE_BUSY_SECONDS = 300


def _stat(pid: int | str) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, *, reaped: bool = True) -> float:
    """A process's CPU seconds (user + system), with those of the children it reaped if `reaped`."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return ticks / CLOCK_TICKS


def _children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields is not None and int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def server_cpu(postmaster: int) -> float:
    """The PostgreSQL server's CPU seconds so far: postmaster, backends that ended and those alive."""
    return cpu_seconds(postmaster) + sum(cpu_seconds(pid) for pid in _children_of(postmaster))


def serves(pid: int, database: str) -> bool:
    """Whether a server process is a backend of `database` (its title: postgres: USER DATABASE HOST …)."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    words = title.split()
    return len(words) > 2 and words[0] == "postgres:" and words[2] == database


class Meter:
    """The server CPU seconds a case used, known once its `measuring` block ends."""

    seconds = 0.0


class OwnServer:
    def __init__(self, url: str, postmaster: int):
        self.url = url
        self.postmaster = postmaster

    def archive(self, name: str) -> str:
        """An empty database with the archive's tables: its URL."""
        return new_database(self.url, name)

    def drop(self, url: str) -> None:
        """Kept: the server and its folder go at the end of the run."""

    @contextmanager
    def measuring(self, database: str) -> Iterator[Meter]:
        meter, before = Meter(), server_cpu(self.postmaster)
        yield meter
        meter.seconds = server_cpu(self.postmaster) - before


class TemplateServer:
    def __init__(self, template_url: str):
        import psycopg  # noqa: PLC0415
        from sqlalchemy import make_url  # noqa: PLC0415

        self.template = make_url(template_url).database or ""
        self.url = make_url(template_url).set(database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(self.url) as connection:
            backend = connection.execute("SELECT pg_backend_pid()").fetchone()
            fields = _stat(backend[0]) if backend else None
        if fields is None:
            raise SystemExit(
                f"--archive-from {template_url}: the server must run on this machine (CPU from /proc)"
            )
        self.postmaster = int(fields[1])

    def archive(self, name: str) -> str:
        """A copy of the template database: its URL. Retried while another session is connected to
        the template (CREATE DATABASE … TEMPLATE needs it alone)."""
        from psycopg.errors import ObjectInUse  # noqa: PLC0415

        deadline = time.monotonic() + TEMPLATE_BUSY_SECONDS
        while True:
            try:
                _create(self.url, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
                return _opened(self.url, name)
            except ObjectInUse:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)

    def drop(self, url: str) -> None:
        from sqlalchemy import make_url  # noqa: PLC0415

        _create(self.url, f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)')

    @contextmanager
    def measuring(self, database: str) -> Iterator[Meter]:
        meter, seen, stop = Meter(), dict[int, float](), threading.Event()

        def sample() -> None:
            while True:
                for pid in _children_of(self.postmaster):
                    if serves(pid, database):
                        seen[pid] = max(seen.get(pid, 0.0), cpu_seconds(pid, reaped=False))
                if stop.wait(SAMPLE_SECONDS):
                    return

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            yield meter
        finally:
            stop.set()
            sampler.join()
            meter.seconds = sum(seen.values())


def _create(server: str, statement: str) -> None:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


def new_database(server: str, name: str) -> str:
    """An empty database with the archive's tables, on `server`: its URL."""
    _create(server, f'CREATE DATABASE "{name}"')
    return _opened(server, name)


def _opened(server: str, name: str) -> str:
    """The database's URL, once its archive tables are made (before the clock starts)."""
    from sqlalchemy import make_url  # noqa: PLC0415

    from crawler.archive.postgres.connection import PostgresArchive  # noqa: PLC0415

    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    PostgresArchive(url).close()
    return url


@contextmanager
def own_server(folder: Path) -> Iterator[OwnServer]:
    """The run's own PostgreSQL server (.ci/postgres), stopped at the end."""
    home = folder / "postgres"
    home.mkdir()
    for reached in (folder, home):
        reached.chmod(0o755)  # run as root, the server is the `postgres` user: it must reach its folder
    script = str(ROOT / ".ci" / "postgres")
    url = subprocess.run([script, "start", str(home / "server")], check=False, capture_output=True, text=True)
    if url.returncode != 0:
        raise SystemExit(f".ci/postgres start failed ({url.returncode}): {url.stderr.strip()}")
    try:
        postmaster = int((home / "server" / "data" / "postmaster.pid").read_text().split()[0])
        yield OwnServer(url.stdout.strip(), postmaster)
    finally:
        subprocess.run([script, "stop", str(home / "server")], check=True)
