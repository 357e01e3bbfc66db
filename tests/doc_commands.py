"""The commands README.md and docs/ show, run as a reader runs them, their output compared with what is shown.

Sybil reads the Markdown (fenced blocks, also indented inside list items); this module adds its parsers:

- A ```console block holds `$ command` lines, each followed by the output it prints. Every command is run
  with bash in a fresh copy of the checkout (a clone as a newcomer has it: no archive yet, `~` a
  home folder of its own, the venv's `sourcevault` on PATH), in document order, and what it prints
  (stdout and stderr together) must be what the block shows. `…` stands for what the block leaves
  out: alone on a line, any number of lines; inside a line, any part of it. A line ending in ` \\`
  continues the command on the next line. A command that exits non-zero must be followed by
  `$ echo $?` showing its status, so the docs say when a command fails.
- A ```toml block whose first line is `# file: PATH` is written to PATH; one whose first line is
  `# in config/outlets.toml, outlet SLUG` sets, in that outlet's entry, each key it shows (in the
  table it shows it under), as a reader editing the scaffolded entry would.
- A ```sh block is shown, not run (systemd, cron, live crawls, `make`): `shown_shell_commands` gives
  its `sourcevault` commands, whose command names and options a test checks exist.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from sybil import Document, Example, Region
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

from crawler.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
VENV_BIN = Path(sys.executable).parent
ELISION = "…"
# What a fresh clone holds that the documented commands use (the venv is the checkout's own).
CLONED = (
    ".gitignore",
    "pyproject.toml",
    "scrapy.cfg",
    "Makefile",
    "crawler",
    "pipelines",
    "config",
    "deploy",
    "data/.gitkeep",
    "tests/fixtures",
)


def documents() -> list[Path]:
    """Every page of the documentation: README.md and the Markdown pages under docs/."""
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


# An example's evaluator: None when it went as the page says, else what differed.
Evaluator = Callable[[Example], str | None]
# What a block reader makes of a fenced block (its text, its first line): an example, or None.
BlockReader = Callable[[str, int], tuple[Any, Evaluator | None] | None]


@dataclass(frozen=True)
class ShownCommand:
    """A `$ command` line of a console block and the output shown under it."""

    line: int
    command: str
    output: str


class Clone:
    """A fresh copy of the checkout in a temporary folder, where the documented commands run.

    The copy's own `crawler` package is imported (PYTHONPATH), so it is the checkout sourcevault
    runs from: its config/outlets.toml and tests/fixtures/outlets are the ones commands read and
    write. It is a git repository with one commit, as a clone is. Made once per test session
    (`Clone.made`, its modules compiled), then copied whole for each page (`copy_to`): a page's
    commands change its copy only.
    """

    def __init__(self, folder: Path) -> None:
        self.root = folder / "sourcevault"
        self.home = folder / "home"
        self.environment = {
            **{name: value for name, value in os.environ.items() if not name.startswith("SOURCEVAULT_")},
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(self.root),
            "HOME": str(self.home),
            "COLUMNS": "80",
            "LC_ALL": "C.UTF-8",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "A Newcomer",
            "GIT_AUTHOR_EMAIL": "newcomer@example.org",
            "GIT_COMMITTER_NAME": "A Newcomer",
            "GIT_COMMITTER_EMAIL": "newcomer@example.org",
        }

    @classmethod
    def made(cls, folder: Path) -> Clone:
        """A clone of the checkout made from its files, its Python modules compiled (as the first
        command a newcomer runs would), so no page's commands pay for compiling them."""
        clone = cls(folder)
        clone.home.mkdir(parents=True)
        for name in CLONED:
            source, target = ROOT / name, clone.root / name
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        for git in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "clone"]):
            subprocess.run(["git", *git], cwd=clone.root, env=clone.environment, check=True)
        compiled = [sys.executable, "-m", "compileall", "-q", "crawler", "pipelines"]
        subprocess.run(compiled, cwd=clone.root, env=clone.environment, check=True)
        return clone

    def copy_to(self, folder: Path) -> Clone:
        """A copy of this clone, its git repository and home folder with it, in `folder`."""
        copy = Clone(folder)
        shutil.copytree(self.root, copy.root, symlinks=True)
        shutil.copytree(self.home, copy.home, symlinks=True)
        return copy

    def run(self, command: str, previous_status: int) -> tuple[int, str]:
        """Run a command line with bash in the clone (`$?` is the previous command's status)."""
        completed = subprocess.run(
            ["bash", "-c", f"(exit {previous_status}); {command}"],
            cwd=self.root,
            env=self.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=600,
            check=False,
        )
        return completed.returncode, completed.stdout.decode("utf-8", errors="replace")


def matches(shown: str, printed: str) -> bool:
    """True if the printed output is what is shown, `…` standing for what the docs leave out."""
    pattern = []
    for line in shown.splitlines():
        if line.strip() == ELISION:
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            pattern.append(".*?".join(re.escape(part) for part in line.split(ELISION)) + r"\n")
    return re.fullmatch("".join(pattern), normalised(printed), re.DOTALL) is not None


def normalised(output: str) -> str:
    """Output as the docs write it: no trailing spaces, no blank lines at the end."""
    lines = [line.rstrip() for line in output.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "".join(f"{line}\n" for line in lines)


def parse_console(source: str, first_line: int) -> list[ShownCommand]:
    """The commands of a console block and the output shown under each."""
    shown: list[ShownCommand] = []
    lines = source.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            raise ValueError(f"line {first_line + index}: a console block starts with a `$ command` line")
        start = index
        command = line[2:]
        while command.endswith("\\") and index + 1 < len(lines):
            index += 1
            command = command[:-1] + lines[index].strip()
        index += 1
        output = []
        while index < len(lines) and not lines[index].startswith("$ "):
            output.append(lines[index])
            index += 1
        shown.append(ShownCommand(first_line + start, command, normalised("\n".join(output))))
    return shown


def evaluate_console(example: Example) -> str | None:
    clone: Clone = example.namespace["clone"]
    commands: list[ShownCommand] = example.parsed
    status = example.namespace.get("status", 0)
    for position, shown in enumerate(commands):
        if status != 0 and shown.command != "echo $?":
            return f"line {shown.line - 1}: the command before exited {status}; show it with `$ echo $?`"
        status, printed = clone.run(shown.command, status)
        example.namespace["commands_run"] = example.namespace.get("commands_run", 0) + 1
        if not matches(shown.output, printed):
            diff = difflib.unified_diff(
                shown.output.splitlines(), normalised(printed).splitlines(), "shown", "printed", lineterm=""
            )
            return f"line {shown.line}: $ {shown.command}\n" + "\n".join(diff)
        if status != 0 and position == len(commands) - 1:
            return f"line {shown.line}: $ {shown.command} exited {status}; show it with `$ echo $?`"
    example.namespace["status"] = status
    return None


def read_console(source: str, first_line: int) -> tuple[Any, Evaluator]:
    return parse_console(source, first_line), evaluate_console


FILE_HEADER = re.compile(r"# file: (?P<path>\S+)\n")
ENTRY_HEADER = re.compile(r"# in (?P<path>\S+), outlet (?P<slug>[a-z0-9_]+)\n")


def write_file(example: Example) -> str | None:
    clone: Clone = example.namespace["clone"]
    name: str = example.parsed["path"]
    path = clone.home / name[2:] if name.startswith("~/") else clone.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(example.parsed["text"], encoding="utf-8")
    return None


def edit_entry(example: Example) -> str | None:
    """Set each key the block shows in the outlet's entry, in the table the block shows it under."""
    clone: Clone = example.namespace["clone"]
    path = clone.root / example.parsed["path"]
    slug = example.parsed["slug"]
    head, marker, entry = path.read_text(encoding="utf-8").partition(f'slug = "{slug}"\n')
    if not marker:
        return f"{path.name} has no outlet {slug!r}"
    lines = entry.splitlines()
    table = "outlet"
    for shown in example.parsed["text"].splitlines():
        if shown.startswith("["):
            table = shown.strip("[] ")
            continue
        if not shown.strip() or shown.strip() == ELISION:
            continue
        key = shown.split("=", 1)[0].strip()
        found = _key_line(lines, table, key)
        if found is None:
            return f"the scaffolded entry of {slug!r} has no key {key!r} in [{table}]"
        lines[found] = shown
    path.write_text(head + marker + "\n".join(lines) + "\n", encoding="utf-8")
    return None


def _key_line(lines: list[str], table: str, key: str) -> int | None:
    """Index of the line setting (or, commented out, offering) `key` in `table` of an entry."""
    current = "outlet"
    for index, line in enumerate(lines):
        if line.startswith("[[outlet]]"):
            return None  # the next outlet's entry
        if line.startswith("["):
            current = line.strip("[] ")
        elif current == table and re.match(rf"(?:# ?)?{re.escape(key)} *=", line):
            return index
    return None


def read_toml(source: str, first_line: int) -> tuple[Any, Evaluator] | None:
    if header := FILE_HEADER.match(source):
        return {"path": header["path"], "text": source}, write_file
    if header := ENTRY_HEADER.match(source):
        return {**header.groupdict(), "text": source[header.end() :]}, edit_entry
    return None  # an example of the registry's syntax, not a step


class FencedBlockParser:
    """A sybil parser: each fenced block in `language` that `read` makes an example of."""

    def __init__(self, language: str, read: BlockReader) -> None:
        self.lexer = FencedCodeBlockLexer(language)
        self.read = read

    def __call__(self, document: Document) -> Iterable[Region]:
        for lexed in self.lexer(document):
            first_line = document.text.count("\n", 0, lexed.start) + 2
            if example := self.read(str(lexed.lexemes["source"]), first_line):
                parsed, evaluator = example
                yield Region(lexed.start, lexed.end, parsed, evaluator)


def parse_document(path: Path) -> Document:
    return Document.parse(
        str(path), FencedBlockParser("console", read_console), FencedBlockParser("toml", read_toml)
    )


def steps(document: Document, run_elsewhere: str | None = None) -> list[Example]:
    """A page's steps, in order: all, but for the console blocks whose every command starts with
    `run_elsewhere` (another test runs those); none when it is "" (another test runs the page)."""
    if run_elsewhere == "":
        return []
    return [
        example
        for example in document
        if run_elsewhere is None
        or not isinstance(example.parsed, list)
        or not all(shown.command.startswith(run_elsewhere) for shown in example.parsed)
    ]


def run_document(path: Path, clone: Clone, run_elsewhere: str | None = None) -> int:
    """Run the command and file steps of a page in the clone, in order; how many commands ran."""
    document = parse_document(path)
    document.namespace["clone"] = clone
    for example in steps(document, run_elsewhere):
        example.evaluate()
    return document.namespace.get("commands_run", 0)


# --- shown, not run: ```sh blocks and `sourcevault …` in the text -------------------------------------


def fenced_blocks(path: Path, language: str) -> list[tuple[int, str]]:
    """The fenced blocks of a page in `language` (a regular expression): their first line and text."""
    document = Document(path.read_text(encoding="utf-8"), str(path))
    return [
        region.parsed
        for region in FencedBlockParser(language, lambda text, line: ((line, text), None))(document)
    ]


def output_shown_after(path: Path, phrase: str) -> str:
    """The ```text block that follows `phrase` on a page: output a test elsewhere compares."""
    text = path.read_text(encoding="utf-8")
    after = text.index(phrase)
    line = text.count("\n", 0, after) + 1
    return next(block for first, block in fenced_blocks(path, "text") if first > line)


def shown_shell_commands(text: str) -> Iterator[list[str]]:
    """The `sourcevault` command lines of shell text: the words after `sourcevault`, up to an operator."""
    operators = {"&&", "||", "|", ";", "&", ">", ">>", "<", "(", ")"}
    for line in text.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words = list(lexer)
        command_position = True
        for index, word in enumerate(words):
            if command_position and (word == "sourcevault" or word.endswith("/bin/sourcevault")):
                end = next((i for i in range(index + 1, len(words)) if words[i] in operators), len(words))
                yield words[index + 1 : end]
            command_position = word in operators or word == "--"


def unknown_words(arguments: list[str]) -> list[str]:
    """The command names and options of a `sourcevault` command line that sourcevault does not have."""
    command: click.Command = main
    context = click.Context(main, info_name="sourcevault")
    unknown = []
    for word in arguments:
        if word.startswith("-") and word != "-":
            name = word.split("=", 1)[0]
            known = {
                opt for param in command.get_params(context) for opt in (*param.opts, *param.secondary_opts)
            }
            if name not in known:
                unknown.append(f"{context.command_path} {name}")
        elif isinstance(command, click.Group):
            subcommand = command.get_command(context, word)
            if subcommand is None:
                unknown.append(f"{context.command_path} {word}")
                break
            context = click.Context(subcommand, info_name=word, parent=context)
            command = subcommand
    return unknown
