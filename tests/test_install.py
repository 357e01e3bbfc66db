"""A regular install: the wheel built from this checkout, installed in a fresh venv, runs from a folder
outside the checkout with the registry and the Datasette metadata it carries; which registry a
command reads (--registry > SOURCEVAULT_REGISTRY > the checkout's config/ > the installed copy)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from crawler.config_files import config_file
from crawler.registry import load_registry
from crawler.registry_file import REGISTRY_ENV_VAR
from tests.helpers import ROOT
from tests.loopback import outlet_toml

# A HOME that cannot be written, not even by root: nothing sourcevault runs may need one.
UNWRITABLE_HOME = "/dev/null/home"
# Registries of one outlet: only written and read, never crawled.
BASE_URL = "http://127.0.0.1:9"


def run(*command: str | Path, **options) -> subprocess.CompletedProcess[str]:
    words = [str(word) for word in command]
    return subprocess.run(words, capture_output=True, text=True, timeout=300, check=False, **options)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a fresh venv holding the wheel built from this checkout."""
    wheels = tmp_path_factory.mktemp("wheels")
    pip = (sys.executable, "-m", "pip")
    build = run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", wheels, ROOT)
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("sourcevault-*.whl")

    venv = tmp_path_factory.mktemp("venv")
    base_python = Path(sys.base_prefix, "bin", f"python{sys.version_info.major}.{sys.version_info.minor}")
    assert run(base_python, "-m", "venv", "--without-pip", venv).returncode == 0
    python = venv / "bin" / "python"
    # Offline: the dependencies are this suite's own, not fetched from PyPI (sourcevault itself is
    # the wheel's: the suite's editable install is not on that path, only its metadata).
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout
    Path(purelib.strip(), "suite-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = run(*pip, "--python", python, "install", "--no-index", "--no-deps", "--ignore-installed", wheel)
    assert install.returncode == 0, install.stderr
    return venv / "bin"


def outside_the_checkout(**variables: str) -> dict[str, str]:
    environment = dict(os.environ)
    for name in ("PYTHONPATH", "VIRTUAL_ENV"):
        environment.pop(name, None)
    return {**environment, "HOME": UNWRITABLE_HOME, "PYTHONWARNINGS": "ignore", **variables}


def listed_slugs(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines()]


@pytest.mark.slow
def test_the_installed_demo_runs_outside_the_checkout(installed, tmp_path):
    result = run(installed / "sourcevault", "demo", cwd=tmp_path, env=outside_the_checkout())
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    header = next(number for number, line in enumerate(lines) if line.split()[:1] == ["outlet"])
    slugs = load_registry(ROOT / "config" / "outlets.toml").slugs
    assert listed_slugs("\n".join(lines[header + 1 : header + 1 + len(slugs)])) == slugs
    assert (tmp_path / "data" / "archive.db").is_file()


@pytest.mark.slow
def test_the_installed_sourcevault_reads_the_config_it_carries_unless_told_otherwise(installed, tmp_path):
    sourcevault = installed / "sourcevault"
    shipped = load_registry(ROOT / "config" / "outlets.toml").slugs
    listed = run(sourcevault, "outlets", cwd=tmp_path, env=outside_the_checkout())
    assert listed_slugs(listed.stdout) == shipped, listed.stderr

    (tmp_path / "solo.toml").write_text(outlet_toml("solo", BASE_URL, feeds=["/feed.xml"]), encoding="utf-8")
    (tmp_path / "duo.toml").write_text(outlet_toml("duo", BASE_URL, feeds=["/feed.xml"]), encoding="utf-8")
    by_variable = outside_the_checkout(**{REGISTRY_ENV_VAR: "solo.toml"})
    listed = run(sourcevault, "outlets", cwd=tmp_path, env=by_variable)
    assert listed_slugs(listed.stdout) == ["solo"], listed.stderr
    listed = run(sourcevault, "outlets", "--registry", "duo.toml", cwd=tmp_path, env=by_variable)
    assert listed_slugs(listed.stdout) == ["duo"], listed.stderr

    # The installed copy is not edited: the next install would replace it.
    new_outlet = (
        "chinatimes",
        "--home",
        "https://www.chinatimes.com/",
        "--language",
        "zh",
        "--script",
        "Hant",
    )
    added = run(
        sourcevault,
        "outlets",
        "new",
        *new_outlet,
        "--timezone",
        "Asia/Taipei",
        cwd=tmp_path,
        env=outside_the_checkout(),
    )
    assert added.returncode == 1 and added.stderr.startswith("Error: ") and "installed" in added.stderr
    assert len(added.stderr.splitlines()) == 1

    print_title = "from crawler.serve import archive_metadata; print(archive_metadata()['title'])"
    title = run(installed / "python", "-c", print_title, cwd=tmp_path, env=outside_the_checkout())
    datasette = tomllib.loads((ROOT / "config" / "datasette.toml").read_text(encoding="utf-8"))
    assert title.stdout.strip() == datasette["title"], title.stderr


@pytest.mark.slow
def test_the_installed_package_carries_the_post_removal_table(installed, tmp_path):
    count_entries = (
        "from crawler.posts.removals import removal_table, TABLE_PATH;"
        "table = removal_table(); print(len(table.answer), len(table.placeholder), TABLE_PATH)"
    )
    counted = run(installed / "python", "-c", count_entries, cwd=tmp_path, env=outside_the_checkout())
    answers, placeholders, path = counted.stdout.split()
    shipped = tomllib.loads((ROOT / "crawler" / "posts" / "removals.toml").read_text(encoding="utf-8"))
    assert (int(answers), int(placeholders)) == (len(shipped["answer"]), len(shipped["placeholder"])), (
        counted.stderr
    )
    assert not Path(path).is_relative_to(ROOT)


def test_in_a_checkout_the_registry_is_its_config_unless_named(monkeypatch, tmp_path):
    monkeypatch.delenv(REGISTRY_ENV_VAR, raising=False)
    assert load_registry().path == ROOT / "config" / "outlets.toml"
    assert config_file("datasette.toml") == ROOT / "config" / "datasette.toml"
    named = tmp_path / "solo.toml"
    named.write_text(outlet_toml("solo", BASE_URL, feeds=["/feed.xml"]), encoding="utf-8")
    monkeypatch.setenv(REGISTRY_ENV_VAR, str(named))
    assert load_registry().slugs == ["solo"]
    assert load_registry(ROOT / "config" / "outlets.toml").path == ROOT / "config" / "outlets.toml"
