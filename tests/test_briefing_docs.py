"""Every `sourcevault briefing parse` docs/briefings.md shows runs, and prints what the page says.

Its other commands (`briefing add`, `report`, `list`, which write and read an archive) are run
with the rest of the documentation, in a fresh clone (tests/test_docs.py).
"""

from __future__ import annotations

import shlex

import pytest

from tests.helpers import ROOT
from tests.helpers import shown_commands as shown_page_commands

DOC = ROOT / "docs" / "briefings.md"
PARSE = "sourcevault briefing parse "


def shown_commands() -> list[tuple[str, str]]:
    """The page's `briefing parse` examples: they need no archive."""
    return [(command, output) for command, output in shown_page_commands(DOC) if command.startswith(PARSE)]


def test_the_page_shows_commands():
    assert len(shown_commands()) >= 4


@pytest.mark.parametrize(
    ("command", "output"), shown_commands(), ids=[command for command, _ in shown_commands()]
)
def test_a_command_of_the_page_prints_what_it_shows(cli, monkeypatch, command, output):
    program, *arguments = shlex.split(command)
    assert program == "sourcevault"
    monkeypatch.chdir(ROOT)
    result = cli(*arguments)
    assert result.output == output
    assert result.exit_code == (1 if output.startswith("Error:") else 0)
