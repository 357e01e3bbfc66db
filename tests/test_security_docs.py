"""Every `sourcevault` command docs/security-robustness.md shows runs, and prints what the page says.

The commands run where `data/archive.db` is the demo archive, as on a machine after `make demo`.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.helpers import ROOT, console_examples, run_sourcevault

DOC = ROOT / "docs" / "security-robustness.md"


@pytest.fixture(scope="module")
def demo_machine(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("security-docs")
    result = run_sourcevault("demo", "--db", str(folder / "data" / "archive.db"))
    assert result.returncode == 0, result.stderr
    return folder


def test_the_page_shows_commands():
    assert len(console_examples(DOC)) >= 5


@pytest.mark.parametrize(
    ("command", "output"), console_examples(DOC), ids=[command for command, _ in console_examples(DOC)]
)
def test_a_command_of_the_page_prints_what_it_shows(cli, monkeypatch, demo_machine, command, output):
    program, *arguments = shlex.split(command)
    assert program == "sourcevault"
    monkeypatch.chdir(demo_machine)
    result = cli(*arguments)
    assert result.output == output
    assert result.exit_code == (1 if output.startswith("Error:") or '"error": ' in output else 0)
