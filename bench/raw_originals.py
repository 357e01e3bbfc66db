"""Raw originals on PostgreSQL: `bytea` rows (what sourcevault does) against content-addressed files.

Issue 18 asks to measure both and choose. Each case keeps the same bodies once each, gzipped as the
archive gzips them, one transaction per body as a crawl on PostgreSQL commits each capture alone,
then reads every one back and checks it against its sha256:

- bytea: `Captures.store_body` and `Captures.raw_body`, the archive's own code, into `raw_bodies`
  (PostgreSQL moves large values to its TOAST table);
- files: each body written to `<folder>/<sha256[:2]>/<sha256>.gz` (a temporary name, then renamed
  into place) before its row (sha256, size, compression) is committed, so that a crash leaves at
  worst a file no row names, never a row without its file.

The server is the run's own (.ci/postgres: no fsync), and the files are not fsynced either: neither
case pays for durability here. Bodies: the real pages of tests/fixtures (outlets and generic), each
also stored as synthetic variants (the page with a numbered comment appended) until there are
--bodies of them. Printed per case: bodies, their size, the size stored (the table with its TOAST
and indexes; for files, their disk blocks plus their table), bodies written and read per second,
and CPU ms per body of this process and of the server; then files' figures over bytea's.

    python -m bench.raw_originals [--bodies 3000] [--server postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.crawl import ROOT
from bench.worker_servers import new_database, own_server, server_cpu

FIXTURES = (ROOT / "tests" / "fixtures" / "outlets", ROOT / "tests" / "fixtures" / "generic")
MIB = 1 << 20
FILES_TABLE = """
    CREATE TABLE raw_body_files (
        sha256 text PRIMARY KEY, size_bytes bigint NOT NULL, compression text NOT NULL
    )
"""


@dataclass(frozen=True)
class Measure:
    bodies: int
    body_bytes: int
    stored_bytes: int
    write_seconds: float
    read_seconds: float
    client_cpu: float
    server_cpu: float

    def row(self, case: str) -> str:
        return (
            f"{case:<8}{self.bodies:>8}{self.body_bytes / MIB:>12.1f}{self.stored_bytes / MIB:>12.1f}"
            f"{self.bodies / self.write_seconds:>11.1f}{self.bodies / self.read_seconds:>11.1f}"
            f"{self.client_cpu * 1000 / self.bodies:>13.2f}{self.server_cpu * 1000 / self.bodies:>13.2f}"
        )


def bodies(count: int) -> Iterator[bytes]:
    """`count` distinct bodies: the real fixture pages, then synthetic variants of them."""
    pages = sorted(path for folder in FIXTURES for path in folder.rglob("*.html.gz"))
    originals = [gzip.decompress(path.read_bytes()) for path in pages]
    for number in range(count):
        page = originals[number % len(originals)]
        variant = number // len(originals)
        yield page if variant == 0 else page + f"\n<!-- synthetic variant {variant} -->\n".encode()


def cpu() -> float:
    times = os.times()
    return times.user + times.system


def measured(
    postmaster: int, pages: list[bytes], write: Callable[[bytes], str], read: Callable[[str], bytes]
) -> tuple[float, float, float, float]:
    """Write every page, then read each back: write and read seconds, this process's and the server's CPU."""
    client, server = cpu(), server_cpu(postmaster)
    started = time.perf_counter()
    written = [write(page) for page in pages]
    write_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for sha256, page in zip(written, pages, strict=True):
        if read(sha256) != page:
            raise SystemExit(f"{sha256}: read back different bytes")
    read_seconds = time.perf_counter() - started
    return write_seconds, read_seconds, cpu() - client, server_cpu(postmaster) - server


def table_bytes(archive: object, table: str) -> int:
    (size,) = archive.connection.execute(f"SELECT pg_total_relation_size('{table}')").fetchone()  # type: ignore[attr-defined]
    return int(size)


def bytea_case(url: str, postmaster: int, pages: list[bytes]) -> Measure:
    from crawler.archive import Archive  # noqa: PLC0415

    with Archive(url) as archive:

        def write(page: bytes) -> str:
            with archive.db.atomic():
                return archive.captures.store_body(page)

        timings = measured(postmaster, pages, write, archive.captures.raw_body)
        return Measure(len(pages), sum(map(len, pages)), table_bytes(archive, "raw_bodies"), *timings)


def files_case(url: str, postmaster: int, pages: list[bytes], folder: Path) -> Measure:
    from crawler.archive import Archive  # noqa: PLC0415
    from crawler.archive.captures import checked_body  # noqa: PLC0415

    def path_of(sha256: str) -> Path:
        return folder / sha256[:2] / f"{sha256}.gz"

    with Archive(url) as archive:
        archive.connection.execute(FILES_TABLE)

        def write(page: bytes) -> str:
            sha256 = hashlib.sha256(page).hexdigest()
            path = path_of(sha256)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as temporary:
                    temporary.write(gzip.compress(page, compresslevel=6, mtime=0))
                os.replace(temporary.name, path)
            with archive.db.atomic():
                archive.connection.execute(
                    "INSERT INTO raw_body_files (sha256, size_bytes, compression) VALUES (?, ?, 'gzip')"
                    " ON CONFLICT (sha256) DO NOTHING",
                    [sha256, len(page)],
                )
            return sha256

        def read(sha256: str) -> bytes:
            (compression,) = archive.connection.execute(
                "SELECT compression FROM raw_body_files WHERE sha256 = ?", [sha256]
            ).fetchone()
            return checked_body(sha256, path_of(sha256).read_bytes(), compression, folder)

        timings = measured(postmaster, pages, write, read)
        on_disk = sum(path.stat().st_blocks * 512 for path in folder.rglob("*.gz"))
        stored = on_disk + table_bytes(archive, "raw_body_files")
        return Measure(len(pages), sum(map(len, pages)), stored, *timings)


@contextmanager
def server_of(url: str | None, scratch: Path) -> Iterator[tuple[str, int]]:
    """The server to measure on, and its postmaster's pid (to count its CPU)."""
    if url is None:
        with own_server(scratch) as own:
            yield own.url, own.postmaster
        return
    import psycopg  # noqa: PLC0415

    with psycopg.connect(url) as connection:
        (data,) = connection.execute("SHOW data_directory").fetchone()  # type: ignore[misc]
    yield url, int((Path(data) / "postmaster.pid").read_text().split()[0])


def drop_database(server: str, name: str) -> None:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bodies", type=int, default=3000, help="distinct bodies kept by each case")
    parser.add_argument(
        "--server",
        help="a running PostgreSQL server's URL, on this machine (default: a server of the run's own)",
    )
    arguments = parser.parse_args()
    count = arguments.bodies
    pages = list(bodies(count))
    with (
        tempfile.TemporaryDirectory() as scratch,
        server_of(arguments.server, Path(scratch)) as (server, postmaster),
    ):
        suffix = uuid.uuid4().hex
        bytea = bytea_case(new_database(server, f"raw_bytea_{suffix}"), postmaster, pages)
        files = files_case(
            new_database(server, f"raw_files_{suffix}"), postmaster, pages, Path(scratch) / "originals"
        )
        for case in ("bytea", "files"):
            drop_database(server, f"raw_{case}_{suffix}")
    print(
        f"{'case':<8}{'bodies':>8}{'body MiB':>12}{'stored MiB':>12}{'write/s':>11}{'read/s':>11}"
        f"{'client ms':>13}{'server ms':>13}"
    )
    print(bytea.row("bytea"))
    print(files.row("files"))
    write_ratio = bytea.write_seconds / files.write_seconds
    read_ratio = bytea.read_seconds / files.read_seconds
    print(
        f"raw originals at {count} bodies: files/bytea write rate {write_ratio:.2f},"
        f" read rate {read_ratio:.2f}, size {files.stored_bytes / bytea.stored_bytes:.2f}"
    )


if __name__ == "__main__":
    main()
