"""Every `sourcevault` command docs/briefings.md shows runs, and prints what the page says."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.helpers import ROOT

DOC = ROOT / "docs" / "briefings.md"
CONSOLE_BLOCK = re.compile(r"^```console\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def shown_commands() -> list[tuple[str, str]]:
    """(command, output as shown) for every `$ sourcevault …` line of the page's console blocks."""
    shown = []
    for block in CONSOLE_BLOCK.findall(DOC.read_text(encoding="utf-8")):
        for example in re.split(r"^(?=\$ )", block, flags=re.MULTILINE):
            if example.strip():
                command, _, output = example.partition("\n")
                shown.append((command.removeprefix("$ "), output))
    return shown


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
