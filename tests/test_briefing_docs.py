"""Every `sourcevault` command docs/briefings.md shows runs, and prints what the page says."""

from __future__ import annotations

import shlex

import pytest

from tests.helpers import ROOT, console_examples

DOC = ROOT / "docs" / "briefings.md"


def test_the_page_shows_commands():
    assert len(console_examples(DOC)) >= 4


@pytest.mark.parametrize(
    ("command", "output"), console_examples(DOC), ids=[command for command, _ in console_examples(DOC)]
)
def test_a_command_of_the_page_prints_what_it_shows(cli, monkeypatch, command, output):
    program, *arguments = shlex.split(command)
    assert program == "sourcevault"
    monkeypatch.chdir(ROOT)
    result = cli(*arguments)
    assert result.output == output
    assert result.exit_code == (1 if output.startswith("Error:") else 0)
