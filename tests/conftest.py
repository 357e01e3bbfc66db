"""Shared fixtures; helper functions live in tests/helpers.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from filelock import FileLock

from crawler.registry import Registry, load_registry
from crawler.registry_file import REGISTRY_ENV_VAR

# The suite tests this checkout's registry, whichever one the shell that runs it names.
os.environ.pop(REGISTRY_ENV_VAR, None)
from tests.doc_commands import Clone
from tests.helpers import invoke, run_sourcevault

# postgres_url: a fresh PostgreSQL database per test.
pytest_plugins = ["tests.postgres_databases"]


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run a `sourcevault` command in-process through click's CliRunner."""
    return invoke


def session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of the whole run, which every xdist worker's own folder is in."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]) -> Path:
    """A folder `make` fills once a test run: the xdist workers share it, one waiting while another
    makes it. Tests only read it, or take a copy of it to change."""
    folder = session_folder(tmp_path_factory) / name
    made = Path(f"{folder}.made")
    with FileLock(f"{folder}.lock"):
        if not made.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            made.touch()
    return folder


@pytest.fixture(scope="session")
def made_clone(tmp_path_factory: pytest.TempPathFactory) -> Clone:
    """The checkout cloned once a test run; a test takes a copy, `fresh_clone`."""
    return Clone(made_once(tmp_path_factory, "made-clone", Clone.made))


@pytest.fixture
def fresh_clone(made_clone: Clone, tmp_path: Path) -> Clone:
    """A fresh clone of the checkout of the test's own, where the commands the docs show run."""
    return made_clone.copy_to(tmp_path / "clone")


@dataclass(frozen=True)
class DemoRun:
    """What one `sourcevault demo` made: its archive, alone in a folder, what it printed, and when it
    began (in whole seconds, as the archive writes times)."""

    database: Path
    stdout: str
    started: datetime

    def copy_to(self, folder: Path) -> Path:
        """A copy of the archive (its folder whole, so a -wal beside it too) in `folder`, to change freely."""
        shutil.copytree(self.database.parent, folder, dirs_exist_ok=True)
        return folder / self.database.name

    def copy_as(self, path: Path) -> Path:
        """A copy of the archive named `path` (a -wal beside it too, named alike), to change freely."""
        for file in self.database.parent.glob(f"{self.database.name}*"):
            shutil.copy2(file, path.with_name(path.name + file.name.removeprefix(self.database.name)))
        return path


def run_demo(folder: Path) -> None:
    (folder / "archive").mkdir()
    started = datetime.now(UTC).replace(microsecond=0)
    result = run_sourcevault("demo", "--db", str(folder / "archive" / "demo.db"))
    assert result.returncode == 0, result.stderr
    (folder / "stdout.txt").write_text(result.stdout, encoding="utf-8")
    (folder / "started.txt").write_text(started.isoformat(), encoding="utf-8")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`sourcevault demo` run once a test run, in its own process, for the tests that read the archive
    it makes; each takes a copy, `DemoRun.copy_to`."""
    folder = made_once(tmp_path_factory, "demo-run", run_demo)
    return DemoRun(
        folder / "archive" / "demo.db",
        (folder / "stdout.txt").read_text(encoding="utf-8"),
        datetime.fromisoformat((folder / "started.txt").read_text(encoding="utf-8")),
    )


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
